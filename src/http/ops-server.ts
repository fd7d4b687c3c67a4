/**
 * The operations endpoints alone (GET /ready, GET /metrics), for a process that serves no webhooks:
 * `filab worker --metrics-port`. Same access rule for /metrics as everywhere (admin token; without one,
 * loopback only, and nobody behind a trusted proxy).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { pino } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { makeAdminGuard, warnAboutAdminAccess } from './admin-auth.ts';
import { clientLoggerFactory, makeClientAddress } from './client-address.ts';
import { makeErrorHandling } from './error-handling.ts';
import { opsRoutes } from './ops-routes.ts';

export interface OpsServerDeps {
  store: Store;
  metrics: Metrics;
  adminToken: string | null;
  /** server.trust_proxy: the same proxies as the inbox, so /metrics follows the same rule. */
  trustProxy: readonly string[];
  /** database.allow_unsafe_commit: /ready reports a durability problem instead of answering 503 for it. */
  allowUnsafeCommit: boolean;
  logger: pino.Logger;
}

export function buildOpsServer(deps: OpsServerDeps): FastifyInstance {
  const clientAddress = makeClientAddress(deps.trustProxy);
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: clientLoggerFactory(clientAddress),
  });
  const access = { adminToken: deps.adminToken, trustProxy: deps.trustProxy, clientAddress };
  warnAboutAdminAccess(deps.logger, access);
  const { errorHandling } = makeErrorHandling();
  app.register(errorHandling);
  app.register(opsRoutes, { store: deps.store, metrics: deps.metrics, adminGuard: makeAdminGuard(access), allowUnsafeCommit: deps.allowUnsafeCommit });
  return app;
}
