/** The seed's read API: GET /health (liveness + database) and GET /events (guarded, paginated). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../errors.ts';
import { InvalidCursorError } from '../store/cursor.ts';
import type { Store } from '../store/types.ts';
import { sendError } from './error-handling.ts';

const eventsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
    type: z.string().min(1).max(255).optional(),
  })
  .strict();

export interface PublicRoutesOptions {
  store: Store;
  adminGuard: (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => Promise<void>;
}

export async function publicRoutes(app: FastifyInstance, { store, adminGuard }: PublicRoutesOptions): Promise<void> {
  app.get('/health', async (_request, reply) => {
    try {
      await store.ping();
      return { status: 'ok' };
    } catch {
      return sendError(reply, new ApiError('storage_unavailable', 'Database unreachable'));
    }
  });

  app.get('/events', { onRequest: adminGuard }, async (request) => {
    const parsed = eventsQuery.safeParse(request.query);
    if (!parsed.success)
      throw new ApiError('invalid_query', `Invalid query parameters: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`);
    const { limit, cursor, type } = parsed.data;
    try {
      const page = await store.listEvents({ limit, cursor: cursor ?? null, ...(type ? { type } : {}) });
      return {
        events: page.items.map((e) => ({
          id: e.eventKey,
          type: e.eventType,
          created_at: e.providerCreatedAt,
          received_at: new Date(e.receivedAt).toISOString(),
          status: e.status,
          source: e.source,
        })),
        next_cursor: page.nextCursor,
      };
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new ApiError('invalid_query', 'Invalid cursor');
      throw err;
    }
  });
}
