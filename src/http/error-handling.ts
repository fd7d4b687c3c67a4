/**
 * Every error leaves as `{"detail","code"}` from the one table in src/errors.ts: 4xx for bad input,
 * 503 + Retry-After when storage cannot commit (a StorageUnavailableError), 500 without a stack trace for our own bugs.
 * Also: JSON 404 for unknown paths and JSON 405 (with Allow) for a known path with the wrong method.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, type ErrorCode } from '../errors.ts';
import { StorageUnavailableError } from '../store/storage-error.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_VALIDATION: 'bad_request',
};

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type('application/json').send(error.body());
}

/**
 * The `{detail, code}` error any thrown value answers as, at every HTTP edge (Fastify's error handler and the
 * ingest front door): storage errors are the store's own type and become 503 `storage_unavailable` here.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StorageUnavailableError) return new ApiError('storage_unavailable');
  const fastify = error as Partial<FastifyError> | null;
  const mapped = fastify?.code ? FASTIFY_CODES[fastify.code] : undefined;
  if (mapped) return new ApiError(mapped);
  // Fastify's own 4xx (bad content-length, aborted body, ...): keep them 4xx with a generic code.
  const status = fastify?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('bad_request');
  return new ApiError('internal_error');
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Registered first: JSON error, 404 handlers, and a record of every route for the 405 answers. */
export function makeErrorHandling() {
  const routes = new Map<string, Set<string>>();

  const errorHandling = fp(async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const known = routes.get(route.url) ?? new Set<string>();
      for (const m of methods) known.add(m);
      routes.set(route.url, known);
    });
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const apiError = toApiError(error);
      if (apiError.status >= 500) request.log.error({ err: error }, apiError.code);
      else request.log.debug({ code: apiError.code }, 'request rejected');
      return sendError(reply, apiError);
    });
    app.setNotFoundHandler((_request, reply) => sendError(reply, new ApiError('not_found')));
  });

  /** Registered last, once every route exists: 405 with Allow for the methods a known path lacks. */
  const methodNotAllowed = async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    for (const [url, allowed] of [...routes]) {
      const missing = METHODS.filter((m) => !allowed.has(m));
      if (url.includes('*') || missing.length === 0) continue;
      const allow = [...allowed].filter((m) => m !== 'HEAD').join(', ');
      scope.route({
        method: missing,
        url,
        handler: (_request, reply) => sendError(reply.header('allow', allow), new ApiError('method_not_allowed')),
      });
    }
  };

  return { errorHandling, methodNotAllowed };
}
