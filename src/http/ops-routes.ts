/**
 * Operations endpoints: GET /metrics (Prometheus text, same access rule as the admin API) and GET /ready
 * (readiness: the database answers and its schema is up to date; 503 with the reason otherwise).
 * /health stays the seed's liveness answer in public-routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { sendError } from './error-handling.ts';

export interface OpsRoutesOptions {
  store: Pick<Store, 'kind' | 'ping' | 'pendingMigrations'>;
  metrics: Metrics;
  adminGuard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Why the service is not ready, or null when it is. Never includes connection strings or driver messages. */
export async function notReadyReason(store: OpsRoutesOptions['store']): Promise<string | null> {
  try {
    await store.ping();
  } catch {
    return 'Database unreachable';
  }
  if (!store.pendingMigrations) return null;
  let pending: string[];
  try {
    pending = await store.pendingMigrations();
  } catch {
    return 'Could not read the schema version';
  }
  if (pending.length > 0) return `Database schema is behind: ${pending.length} migration(s) not applied (${pending.join(', ')})`;
  return null;
}

export async function opsRoutes(app: FastifyInstance, { store, metrics, adminGuard }: OpsRoutesOptions): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const reason = await notReadyReason(store);
    if (reason !== null) return sendError(reply, new ApiError('not_ready', `Not ready: ${reason}`));
    return { status: 'ready', store: store.kind };
  });

  app.get('/metrics', { onRequest: adminGuard }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
