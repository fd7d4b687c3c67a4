/**
 * The operations endpoints alone (GET /ready, GET /metrics), for a process that serves no webhooks:
 * `filab worker --metrics-port`. Same access rule for /metrics as everywhere (admin token, or loopback without one).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { pino } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { makeAdminGuard } from './admin-auth.ts';
import { makeErrorHandling } from './error-handling.ts';
import { opsRoutes } from './ops-routes.ts';

export function buildOpsServer(deps: { store: Store; metrics: Metrics; adminToken: string | null; logger: pino.Logger }): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const { errorHandling } = makeErrorHandling();
  app.register(errorHandling);
  app.register(opsRoutes, { store: deps.store, metrics: deps.metrics, adminGuard: makeAdminGuard(deps.adminToken) });
  return app;
}
