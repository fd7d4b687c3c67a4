/**
 * Fastify plugin: one POST route per source. The raw-body parser is registered only here (encapsulated),
 * so signatures are checked on the exact bytes the provider sent and admin routes keep normal JSON parsing.
 */
import type { FastifyInstance } from 'fastify';
import type { SourceConfig } from '../config/types.ts';
import { getProvider } from '../providers/index.ts';
import type { SignedRequest } from '../providers/types.ts';
import { ApiError } from '../errors.ts';
import type { ClientAddress } from '../http/client-address.ts';
import { toApiError } from '../http/error-handling.ts';
import { handleWebhook, type IngestDeps } from './handle-webhook.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface IngestRoutesOptions {
  deps: IngestDeps;
  sources: readonly SourceConfig[];
  limiter: RateLimiter | null;
  /** Who the client is (the TCP peer, or behind trusted proxies the right-most forwarded address). */
  clientAddress: ClientAddress;
}

const EMPTY = Buffer.alloc(0);

export async function ingestRoutes(app: FastifyInstance, { deps, sources, limiter, clientAddress }: IngestRoutesOptions): Promise<void> {
  if (limiter) {
    app.addHook('onRequest', async (request) => {
      const wait = limiter.take(clientAddress(request.raw));
      if (wait > 0) throw new ApiError('rate_limited', undefined, wait);
    });
  }
  // Every refusal is counted here by its code, whoever raised it: the rate limiter, the body parser (413, 415),
  // the provider's verdict (400s) or the commit queue (503); accepted and replay are counted by handleWebhook.
  const sourceByPath = new Map(sources.map((s) => [s.path, s.name]));
  app.addHook('onError', async (request, _reply, error) => {
    const source = sourceByPath.get(request.routeOptions.url ?? '');
    if (source !== undefined) deps.metrics.ingestRequests.inc({ source, outcome: toApiError(error).code });
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  for (const source of sources) {
    const provider = getProvider(source.provider);
    if (!provider) throw new Error(`source ${source.name}: unknown provider ${source.provider}`);
    app.post(source.path, { bodyLimit: source.maxBodyBytes }, async (request, reply) => {
      const started = process.hrtime.bigint();
      const signed: SignedRequest = {
        headers: request.headers as SignedRequest['headers'],
        rawBody: Buffer.isBuffer(request.body) ? request.body : EMPTY,
        url: `${request.protocol}://${request.host}${request.url}`,
      };
      try {
        const answer = await handleWebhook({ ...deps, log: request.log }, source, signed);
        return reply.code(answer.status).type(answer.contentType).send(answer.body);
      } finally {
        deps.metrics.ingestLatency.observe({ source: source.name }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    });
  }
}
