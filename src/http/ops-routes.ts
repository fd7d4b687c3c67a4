/**
 * Operations endpoints: GET /metrics (Prometheus text, same access rule as the admin API) and GET /ready
 * (readiness: the database answers, its schema is up to date and it commits durably; 503 with the reason otherwise).
 * With database.allow_unsafe_commit the operator accepted non-durable commits at startup: /ready stays 200 then,
 * so the process keeps its place behind the load balancer, and names the problem in `unsafeCommit`.
 * /health stays the seed's liveness answer in public-routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { StoreDownError } from '../store/store-down.ts';
import type { Store } from '../store/types.ts';
import { sendError } from './error-handling.ts';

export interface OpsRoutesOptions {
  store: Pick<Store, 'kind' | 'ping' | 'pendingMigrations' | 'durabilityProblem'>;
  metrics: Metrics;
  /** database.allow_unsafe_commit: report a durability problem instead of answering 503 for it. */
  allowUnsafeCommit?: boolean;
  adminGuard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Why the service is not ready, or null when it is. Never includes connection strings or driver messages. */
export async function notReadyReason(store: OpsRoutesOptions['store']): Promise<string | null> {
  try {
    await store.ping();
  } catch (err) {
    return err instanceof StoreDownError ? err.reason : 'Database unreachable';
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

/** Why commits are not durable (text of our own, no driver message), or null when they are or the store cannot tell. */
async function durabilityReason(store: OpsRoutesOptions['store']): Promise<string | null> {
  if (!store.durabilityProblem) return null;
  try {
    return await store.durabilityProblem();
  } catch {
    return 'Could not read the database durability settings';
  }
}

export async function opsRoutes(app: FastifyInstance, { store, metrics, adminGuard, allowUnsafeCommit = false }: OpsRoutesOptions): Promise<void> {
  app.get('/ready', async (_request, reply) => {
    const reason = await notReadyReason(store);
    if (reason !== null) return sendError(reply, new ApiError('not_ready', `Not ready: ${reason}`));
    const problem = await durabilityReason(store);
    if (problem === null) return { status: 'ready', store: store.kind };
    if (allowUnsafeCommit) return { status: 'ready', store: store.kind, unsafeCommit: problem };
    return sendError(reply, new ApiError('not_ready', `Not ready: ${problem}`));
  });

  app.get('/metrics', { onRequest: adminGuard }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(text);
  });
}
