/**
 * The ingest front door: every request to a source path, whatever its method or body framing, is answered here on
 * bare node:http, before Fastify (which serves only the operator routes) sees it. Fastify's per-request machinery
 * (router, hooks, child logger, reply pipeline) cost about as much main-thread time as verifying and storing the
 * event, and one path means nothing to keep in step. In order, as the operator routes do:
 * shutting down (503, connection closed) -> too many headers (431) -> not POST (405, Allow: POST) -> rate limit
 * (429) -> body over the source's limit (413 the moment it is exceeded, connection closed) -> verify and store.
 * Every answer carries x-request-id, every refusal is `{"detail","code"}` and counted by its code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceConfig } from '../config/types.ts';
import { ApiError } from '../errors.ts';
import type { ClientAddress } from '../http/client-address.ts';
import type { Log } from '../log.ts';
import { IngestExchange } from './exchange.ts';
import type { IngestDeps } from './handle-webhook.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { SignedUrl } from './signed-url.ts';

export interface FrontDoorOptions {
  deps: IngestDeps & { log: Log & { child(bindings: object): Log } };
  sources: readonly SourceConfig[];
  limiter: RateLimiter | null;
  /** Who the client is (the TCP peer, or behind trusted proxies the right-most forwarded address). */
  clientAddress: ClientAddress;
  /** The URL the provider signed (behind trusted proxies, with their X-Forwarded-Proto/-Host). */
  signedUrl: SignedUrl;
  maxHeaderCount: number;
  nextRequestId(): string;
  /** True once shutdown began. */
  isClosing(): boolean;
}

/**
 * Answers the request and returns true when its path is a source's; false leaves it to the operator routes.
 * `expectsContinue`: the client sent `Expect: 100-continue` and waits for "100 Continue" before its body.
 */
export type IngestFrontDoor = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => boolean;

export function makeIngestFrontDoor(options: FrontDoorOptions): IngestFrontDoor {
  const { limiter } = options;
  const sources = new Map(options.sources.map((source) => [source.path, source]));
  return (req, res, expectsContinue) => {
    const source = sources.get(routePath(req.url ?? ''));
    if (source === undefined) return false;
    const started = performance.now();
    const client = options.clientAddress(req);
    const exchange = new IngestExchange(options, req, res, source, options.nextRequestId(), started, client);
    if (options.isClosing()) exchange.refuse(new ApiError('shutting_down'), undefined, true);
    else if (req.rawHeaders.length / 2 > options.maxHeaderCount) refuseUnread(req, exchange, new ApiError('headers_too_large'));
    else if (req.method !== 'POST') refuseUnread(req, exchange, new ApiError('method_not_allowed'), 'POST');
    else {
      const wait = limiter ? limiter.take(client) : 0;
      if (wait > 0) refuseUnread(req, exchange, new ApiError('rate_limited', undefined, wait));
      else exchange.readBody(expectsContinue);
    }
    return true;
  };
}

/** Refused before its body was read: the body is drained so the connection stays usable. */
function refuseUnread(req: IncomingMessage, exchange: IngestExchange, error: ApiError, allow?: string): void {
  req.on('error', ignore);
  req.resume();
  exchange.refuse(error, error, false, allow);
}

function ignore(): void {}

/** The path a source is matched on: no query string, one trailing slash ignored. */
function routePath(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
