/** buildServer(): the Fastify app with every plugin registered. It never listens; callers do (or inject()). */
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from '../admin/routes.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import type { CommitQueue } from '../ingest/commit-queue.ts';
import { ingestRoutes } from '../ingest/routes.ts';
import { makeDeliveryRouter } from '../ingest/route-deliveries.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { makeAdminGuard } from './admin-auth.ts';
import { makeErrorHandling } from './error-handling.ts';
import { publicRoutes } from './public-routes.ts';
import type { pino } from 'pino';

export interface ServerDeps {
  config: Config;
  store: Store;
  queue: CommitQueue;
  metrics: Metrics;
  clock: Clock;
  logger: pino.Logger;
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const { config, store } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One ingest log line per request comes from the handler; Fastify's two per request would double the cost.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true },
    // Slow clients are cut off: a whole request must arrive within 30 s (slowloris).
    requestTimeout: 30_000,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const adminGuard = makeAdminGuard(config.adminToken);
  const { errorHandling, methodNotAllowed } = makeErrorHandling();
  app.register(errorHandling);
  app.register(ingestRoutes, {
    sources: config.sources,
    deps: { clock: deps.clock, queue: deps.queue, metrics: deps.metrics, router: makeDeliveryRouter(config.destinations), log: deps.logger },
  });
  app.register(publicRoutes, { store, adminGuard });
  app.register(adminRoutes, { prefix: '/admin/api', deps: { store, config, clock: deps.clock }, adminGuard });
  app.register(methodNotAllowed);
  return app;
}
