/**
 * The admin API under /admin/api: JSON over the admin service functions, guarded by makeAdminGuard
 * (Bearer ADMIN_TOKEN, or loopback-only when it is unset). Register with `{ prefix: '/admin/api' }`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../errors.ts';
import * as admin from './service.ts';

export interface AdminRoutesOptions {
  deps: admin.AdminDeps;
  adminGuard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** An ISO 8601 time or epoch milliseconds, as ms. */
const time = z.union([z.iso.datetime({ offset: true }).transform((v) => Date.parse(v)), z.coerce.number().int().min(0).max(8.64e15)]);
const text = z.string().min(1).max(255);
const eventStatus = z.enum(['received', 'delivered', 'failed', 'dead']);
const deliveryStatus = z.enum(['pending', 'failed', 'delivered', 'dead']);
const page = { limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().max(200).optional() };

const eventsQuery = z
  .object({
    ...page,
    source: text.optional(),
    type: text.optional(),
    status: eventStatus.optional(),
    since: time.optional(),
    until: time.optional(),
    key_prefix: text.optional(),
  })
  .strict();
const deliveriesQuery = z.object({ ...page, status: deliveryStatus.optional(), destination: text.optional(), source: text.optional() }).strict();
const replayBody = z.object({ destination: text.optional() }).strict();
const retryBody = z
  .object({
    status: z.union([
      z.enum(['dead', 'failed']),
      z
        .array(z.enum(['dead', 'failed']))
        .min(1)
        .max(2),
    ]),
    destination: text.optional(),
    source: text.optional(),
    since: time.optional(),
    until: time.optional(),
    /** Extension for batched bulk work (the CLI's progress bar): requeue at most this many per call. */
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
const idParam = z.object({ id: z.string().min(1).max(100) });
const nameParam = z.object({ name: text });

function parse<T>(schema: z.ZodType<T>, value: unknown, code: 'invalid_query' | 'bad_request'): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  throw new ApiError(code, `${code === 'invalid_query' ? 'Invalid query parameters' : 'Invalid request body'}: ${where}`);
}

/** Drop undefined values so optional filters stay absent (exactOptionalPropertyTypes-friendly store queries). */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}

export async function adminRoutes(app: FastifyInstance, { deps, adminGuard }: AdminRoutesOptions): Promise<void> {
  app.addHook('onRequest', adminGuard);
  // An empty POST body (no content-type, or an empty JSON body) means "no options".
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const raw = (body as string).trim();
    if (raw === '') return done(null, undefined);
    try {
      done(null, JSON.parse(raw));
    } catch {
      done(new ApiError('bad_request', 'Invalid JSON body'), undefined);
    }
  });

  app.get('/events', async (request) => {
    const q = parse(eventsQuery, request.query, 'invalid_query');
    const { key_prefix: keyPrefix, ...rest } = q;
    return admin.listEvents(deps, defined({ ...rest, keyPrefix }));
  });
  app.get('/events/:id', async (request) => admin.getEvent(deps, parse(idParam, request.params, 'invalid_query').id));
  app.post('/events/:id/replay', async (request) => {
    const { id } = parse(idParam, request.params, 'invalid_query');
    const { destination } = parse(replayBody, request.body, 'bad_request');
    return admin.replayEvent(deps, id, destination);
  });

  app.get('/deliveries', async (request) => admin.listDeliveries(deps, defined(parse(deliveriesQuery, request.query, 'invalid_query'))));
  app.post('/deliveries/retry', async (request) => {
    const { status, ...filter } = parse(retryBody, request.body, 'bad_request');
    return admin.retryDeliveries(deps, defined({ ...filter, statuses: [...new Set(Array.isArray(status) ? status : [status])] }));
  });

  app.get('/destinations', async () => admin.listDestinations(deps));
  app.post('/destinations/:name/disable', async (request) => admin.setDestinationEnabled(deps, parse(nameParam, request.params, 'invalid_query').name, false));
  app.post('/destinations/:name/enable', async (request) => admin.setDestinationEnabled(deps, parse(nameParam, request.params, 'invalid_query').name, true));

  app.get('/stats', async () => admin.stats(deps));
  app.get('/sources', async () => admin.listSources(deps));
}
