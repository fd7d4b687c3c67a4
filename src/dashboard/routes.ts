/**
 * The operators' dashboard: static files at /dashboard (no data in them), and the two read endpoints only
 * the dashboard needs (per-source ingest counters, per-minute activity), guarded like the admin API.
 * The page asks for the admin token once and sends it as a Bearer header; it never goes in a URL.
 * Its actions (replay, retry, enable/disable) go through /admin/api, whose guard refuses cross-site requests.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { SourceConfig } from '../config/types.ts';
import { ApiError } from '../errors.ts';
import { sendError } from '../http/error-handling.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { activitySeries } from './activity.ts';
import { ingestStats } from './ingest-stats.ts';
import { loadStaticFiles, SECURITY_HEADERS, type StaticFile } from './static-files.ts';

export interface DashboardOptions {
  store: Store;
  metrics: Metrics;
  clock: Clock;
  sources: readonly SourceConfig[];
  adminToken: string | null;
  adminGuard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const activityQuery = z
  .object({
    minutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    bucket_seconds: z.coerce.number().int().min(10).max(3600).default(60),
  })
  .strict()
  .refine((q) => (q.minutes * 60) / q.bucket_seconds <= 1440, 'at most 1440 buckets');

export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { store, metrics, clock, sources, adminToken, adminGuard } = options;
  const files = loadStaticFiles();

  // The shell holds no data, so with a token anyone may load it (the API asks for the token). Without one, nobody
  // the API would refuse gets it either: same guard, same answers (non-loopback client or Host; behind a proxy, 401).
  const shellGuard = adminToken === null ? adminGuard : async () => {};

  function sendFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile | undefined) {
    if (!file) return sendError(reply, new ApiError('not_found'));
    reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  }

  app.get('/dashboard', { onRequest: shellGuard }, (request, reply) => sendFile(request, reply, files.get('index.html')));
  app.get('/dashboard/*', { onRequest: shellGuard }, (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return sendFile(request, reply, path === '' ? files.get('index.html') : files.get(path));
  });

  app.get('/admin/api/ingest-stats', { onRequest: adminGuard }, async () => ({ sources: await ingestStats(sources, metrics, store) }));

  app.get('/admin/api/activity', { onRequest: adminGuard }, async (request) => {
    const parsed = activityQuery.safeParse(request.query);
    if (!parsed.success)
      throw new ApiError('invalid_query', `Invalid query parameters: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`);
    return activitySeries(store, clock.now(), parsed.data.minutes, parsed.data.bucket_seconds);
  });
}
