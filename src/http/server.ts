/**
 * buildServer(): one node:http server. Every request to a source path goes to the ingest front door
 * (src/ingest/front-door.ts); Fastify, with every plugin registered, serves only the operator routes (admin API,
 * dashboard, /events, /health, /ready, /metrics). It never listens; callers do (or inject(), operator routes only).
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, type ErrorCode } from '../errors.ts';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { adminRoutes } from '../admin/routes.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import type { CommitQueue } from '../ingest/commit-queue.ts';
import { dashboardRoutes } from '../dashboard/routes.ts';
import { makeIngestFrontDoor } from '../ingest/front-door.ts';
import { makeRateLimiter } from '../ingest/rate-limit.ts';
import { makeDeliveryRouter } from '../ingest/route-deliveries.ts';
import { makeSignedUrl } from '../ingest/signed-url.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { makeAdminGuard, warnAboutAdminAccess } from './admin-auth.ts';
import { clientLoggerFactory, makeClientAddress } from './client-address.ts';
import { makeErrorHandling } from './error-handling.ts';
import { opsRoutes } from './ops-routes.ts';
import { publicRoutes } from './public-routes.ts';
import { nextRequestId } from './request-id.ts';
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
  const ingestDeps = { clock: deps.clock, queue: deps.queue, metrics: deps.metrics, router: makeDeliveryRouter(config.destinations), log: deps.logger };
  const { trustProxy } = config.server;
  // The one answer to "who is the client" for the admin guard, the rate limiter and the logs.
  const clientAddress = makeClientAddress(trustProxy);
  const limiter = config.ingest.rateLimit ? makeRateLimiter(config.ingest.rateLimit.perSecond, config.ingest.rateLimit.burst, deps.clock) : null;
  let closing = false;
  const frontDoor = makeIngestFrontDoor({
    deps: ingestDeps,
    sources: config.sources,
    limiter,
    clientAddress,
    signedUrl: makeSignedUrl(trustProxy),
    maxHeaderCount: config.server.maxHeaderCount,
    nextRequestId,
    isClosing: () => closing,
  });
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One ingest log line per request comes from the handler; Fastify's two per request would double the cost.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: clientLoggerFactory(clientAddress),
    genReqId: nextRequestId,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true },
    // Only for request.protocol and request.host (the admin Origin check). Who the client is
    // comes from clientAddress, never from Fastify's request.ip.
    trustProxy: trustProxy.length > 0 ? [...trustProxy] : false,
    // Slow clients are cut off (slowloris): headers and the whole request each have a deadline, checked every second.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: Math.min(config.server.headersTimeoutMs, config.server.requestTimeoutMs),
          requestTimeout: config.server.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
        },
        (req, res) => {
          if (!frontDoor(req, res, false)) handler(req, res);
        },
      ).on('checkContinue', (req, res) => {
        // Expect: 100-continue: the front door says "continue" only to a body it will read (not to one whose
        // Content-Length is over the limit, nor to a refused request); operator routes always continue.
        if (!frontDoor(req, res, true)) {
          res.writeContinue();
          handler(req, res);
        }
      }),
    clientErrorHandler: answerClientError,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.raw.rawHeaders.length / 2 > config.server.maxHeaderCount) throw new ApiError('headers_too_large');
  });

  const access = { adminToken: config.adminToken, trustProxy, clientAddress };
  warnAboutAdminAccess(deps.logger, access);
  const adminGuard = makeAdminGuard(access);
  const { errorHandling, methodNotAllowed } = makeErrorHandling();
  app.register(errorHandling);
  app.register(publicRoutes, { store, adminGuard });
  app.register(adminRoutes, { prefix: '/admin/api', deps: { store, config, clock: deps.clock }, adminGuard });
  app.register(opsRoutes, { store, metrics: deps.metrics, adminGuard, allowUnsafeCommit: config.allowUnsafeCommit });
  app.register(dashboardRoutes, { store, metrics: deps.metrics, clock: deps.clock, sources: config.sources, adminToken: config.adminToken, adminGuard });
  app.register(methodNotAllowed);
  return app;
}

/** Errors Node's HTTP parser raises before Fastify sees a request: answer in our JSON shape, then close. */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'bad_request';
  const apiError = new ApiError(code);
  const body = JSON.stringify(apiError.body());
  socket.end(
    `HTTP/1.1 ${apiError.status} ${code.replace(/_/g, ' ')}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
