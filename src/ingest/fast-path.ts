/**
 * Ingest on bare node:http, before Fastify sees the request. Under load Fastify's per-request machinery
 * (router, hooks, child logger, reply pipeline) cost about as much main-thread time as verifying and storing
 * the event; this path does only what ingest needs. It takes the common request only: POST to a source path
 * with a Content-Length body within the source's limit. Anything else (chunked bodies, oversize or odd headers,
 * trust_proxy, where the signed URL may carry the proxy's scheme and host, a closing server) returns false and
 * goes to the Fastify route (routes.ts), which runs the same handleWebhook and answers the same statuses,
 * bodies and headers. Both paths name the client with the same clientAddress (rate limit and logs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceConfig } from '../config/types.ts';
import { ApiError } from '../errors.ts';
import { toApiError } from '../http/error-handling.ts';
import type { ClientAddress } from '../http/client-address.ts';
import { lazyChild, type Log } from '../log.ts';
import { getProvider } from '../providers/index.ts';
import type { Provider, SignedRequest } from '../providers/types.ts';
import { handleWebhook, type IngestAnswer, type IngestDeps } from './handle-webhook.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface FastIngestOptions {
  deps: IngestDeps & { log: Log & { child(bindings: object): Log } };
  sources: readonly SourceConfig[];
  limiter: RateLimiter | null;
  clientAddress: ClientAddress;
  maxHeaderCount: number;
  nextRequestId(): string;
  /** True once shutdown began: Fastify then answers 503 with Connection: close. */
  isClosing(): boolean;
}

export type FastIngest = (req: IncomingMessage, res: ServerResponse) => boolean;

const DECIMAL = /^\d{1,10}$/;

export function makeFastIngest(options: FastIngestOptions): FastIngest {
  const { deps, limiter } = options;
  const routes = new Map<string, { source: SourceConfig; provider: Provider }>();
  for (const source of options.sources) {
    const provider = getProvider(source.provider);
    if (provider) routes.set(source.path, { source, provider });
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const route = routes.get(routePath(req.url ?? ''));
    const length = req.headers['content-length'];
    if (!route || length === undefined || !DECIMAL.test(length) || req.headers['transfer-encoding'] !== undefined) return false;
    if (Number(length) > route.source.maxBodyBytes || req.rawHeaders.length / 2 > options.maxHeaderCount || options.isClosing()) return false;

    const { source, provider } = route;
    const client = options.clientAddress(req);
    const exchange = new Exchange(options, res, source, options.nextRequestId(), client);
    const wait = limiter ? limiter.take(client) : 0;
    if (wait > 0) {
      req.resume(); // drain the body so the connection stays usable
      exchange.refuse(new ApiError('rate_limited', undefined, wait));
      return true;
    }
    readBody(req, Number(length), (rawBody) => {
      const signed: SignedRequest = { headers: req.headers as SignedRequest['headers'], rawBody, url: `http://${req.headers.host ?? ''}${req.url}` };
      handleWebhook({ ...deps, log: exchange.log }, source, signed)
        .then(
          (answer) => exchange.answer(answer),
          (err: unknown) => exchange.refuse(toApiError(err), err),
        )
        // Writing the answer itself failed: nothing more can be said on this socket, and nothing may go unhandled.
        .catch((err: unknown) => {
          exchange.log.error({ err }, 'could not write the ingest answer');
          res.destroy();
        });
    });
    return true;
  };
}

/**
 * One request on the fast path and how to answer it. A class rather than closures made per request: under tsx
 * each named closure also costs a defineProperty for its name.
 */
class Exchange {
  readonly log: Log;
  readonly #started = process.hrtime.bigint();

  constructor(
    private readonly options: FastIngestOptions,
    private readonly res: ServerResponse,
    private readonly source: SourceConfig,
    private readonly requestId: string,
    client: string,
  ) {
    this.log = lazyChild(options.deps.log, { reqId: requestId, client });
  }

  answer(answer: IngestAnswer, retryAfter?: number): void {
    const seconds = Number(process.hrtime.bigint() - this.#started) / 1e9;
    this.options.deps.metrics.ingestLatency.observe({ source: this.source.name }, seconds);
    const headers: Record<string, string | number> = {
      'x-request-id': this.requestId,
      'content-type': withCharset(answer.contentType),
      'content-length': Buffer.byteLength(answer.body),
    };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    // Shutting down: this answer is the connection's last, or server.close() would wait on a keep-alive socket.
    if (this.options.isClosing()) headers.connection = 'close';
    this.res.writeHead(answer.status, headers).end(answer.body);
  }

  refuse(error: ApiError, cause: unknown = error): void {
    this.options.deps.metrics.ingestRequests.inc({ source: this.source.name, outcome: error.code });
    if (error.status >= 500) this.log.error({ err: cause }, error.code);
    this.answer({ status: error.status, contentType: 'application/json', body: JSON.stringify(error.body()) }, error.retryAfterSeconds);
  }
}

/** The path Fastify would route: no query string, one trailing slash ignored. */
function routePath(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Read exactly `length` bytes into one buffer; a client that disconnects first is simply dropped. */
function readBody(req: IncomingMessage, length: number, done: (body: Buffer) => void): void {
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  req.on('error', () => {}); // an aborted upload: the socket is gone, there is no one to answer
  req.on('data', (chunk: Buffer) => {
    if (received + chunk.length <= length) chunk.copy(body, received);
    received += chunk.length;
  });
  req.on('end', () => {
    if (received === length) done(body);
  });
}

/** Fastify's rule, so both paths send the same header: JSON types without a charset get `; charset=utf-8`. */
function withCharset(contentType: string): string {
  return contentType.includes('json') && !contentType.includes('charset') ? `${contentType}; charset=utf-8` : contentType;
}
