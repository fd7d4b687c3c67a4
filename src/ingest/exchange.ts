/**
 * One request at the ingest front door: its body read as it streams in (Content-Length or chunked) with the
 * source's limit enforced while reading, then verify and store (handleWebhook), then the answer. A class with
 * listeners defined once rather than closures made per request: this runs for every webhook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { SourceConfig } from '../config/types.ts';
import { ApiError } from '../errors.ts';
import { toApiError } from '../http/error-handling.ts';
import { lazyChild, type Log } from '../log.ts';
import type { SignedRequest } from '../providers/types.ts';
import type { FrontDoorOptions } from './front-door.ts';
import { handleWebhook, type IngestAnswer } from './handle-webhook.ts';

const EXCHANGE = Symbol('ingest exchange');
/** How long a connection refused mid-upload is still read (and discarded) after its answer, at most. */
const LINGER_MS = 2000;
const EMPTY = Buffer.alloc(0);

type Carrier = { [EXCHANGE]?: IngestExchange };

export class IngestExchange {
  readonly log: Log;
  /** Set once the answer is written: later body bytes, ends and errors are ignored. */
  #answered = false;
  #received = 0;
  /** Content-Length bodies: one buffer of the announced size. Chunked bodies: the chunks, joined at the end. */
  #body: Buffer | null = null;
  #chunks: Buffer[] | null = null;

  constructor(
    private readonly door: FrontDoorOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly source: SourceConfig,
    private readonly requestId: string,
    /**
     * When the request reached us (its head parsed: the first packet, for any client that sends its head at once),
     * from performance.now(): a number, where hrtime.bigint() would allocate a BigInt per request.
     */
    private readonly started: number,
    client: string,
  ) {
    this.log = lazyChild(door.deps.log, { reqId: requestId, client });
  }

  /**
   * Read the body, refusing it the moment it exceeds the source's limit; then verify, store and answer. A client
   * waiting for "100 Continue" is told to send only once the announced length is within the limit.
   */
  readBody(expectsContinue: boolean): void {
    const { req } = this;
    const limit = this.source.maxBodyBytes;
    if (req.headers['transfer-encoding'] === undefined) {
      // Node's parser has checked the framing: without Transfer-Encoding the body is exactly Content-Length bytes.
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > limit) {
        lingeringClose(req.socket);
        this.refuse(new ApiError('payload_too_large'));
        return;
      }
      this.#body = Buffer.allocUnsafe(length);
    } else {
      this.#chunks = [];
    }
    if (expectsContinue) this.res.writeContinue();
    (req as Carrier)[EXCHANGE] = this;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  }

  accept(chunk: Buffer): void {
    if (this.#answered) return;
    const offset = this.#received;
    this.#received += chunk.length;
    if (this.#received > this.source.maxBodyBytes) {
      this.#body = null;
      this.#chunks = null;
      // The client may still be sending: it gets the 413 now, and the connection closes after it.
      lingeringClose(this.req.socket);
      this.refuse(new ApiError('payload_too_large'));
    } else if (this.#chunks) this.#chunks.push(chunk);
    else if (this.#body && offset + chunk.length <= this.#body.length) chunk.copy(this.#body, offset);
  }

  complete(): void {
    if (this.#answered) return;
    const body = this.#chunks ? (this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#received)) : (this.#body ?? EMPTY);
    this.#body = null;
    this.#chunks = null;
    void this.#verifyAndStore(body);
  }

  async #verifyAndStore(rawBody: Buffer): Promise<void> {
    try {
      const signed: SignedRequest = { headers: this.req.headers as SignedRequest['headers'], rawBody, url: this.door.signedUrl(this.req) };
      this.answer(await handleWebhook(this.door.deps, this.source, signed, this.log));
    } catch (err) {
      try {
        this.refuse(toApiError(err), err);
      } catch (writeErr) {
        // Writing the answer itself failed: nothing more can be said on this socket, and nothing may go unhandled.
        this.log.error({ err: writeErr }, 'could not write the ingest answer');
        this.res.destroy();
      }
    }
  }

  /** A refusal, counted by its code. `close`: the connection ends after it (the body was not read). */
  refuse(error: ApiError, cause: unknown = error, close = false, allow?: string): void {
    this.door.deps.metrics.ingestRequests.inc({ source: this.source.name, outcome: error.code });
    if (error.status >= 500) this.log.error({ err: cause }, error.code);
    const headers = this.#headers('application/json; charset=utf-8', error.retryAfterSeconds, close || error.code === 'payload_too_large');
    if (allow !== undefined) headers.allow = allow;
    this.#write(error.status, headers, JSON.stringify(error.body()));
  }

  answer(answer: IngestAnswer): void {
    this.#write(answer.status, this.#headers(withCharset(answer.contentType)), answer.body);
  }

  #headers(contentType: string, retryAfter?: number, close = false): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': this.requestId, 'content-type': contentType };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    // Shutting down: this answer is the connection's last, or server.close() would wait on a keep-alive socket.
    if (close || this.door.isClosing()) headers.connection = 'close';
    return headers;
  }

  #write(status: number, headers: Record<string, string>, body: string): void {
    this.#answered = true;
    headers['content-length'] = String(Buffer.byteLength(body));
    (this.res as Carrier)[EXCHANGE] = this;
    this.res.on('finish', onFinish);
    this.res.writeHead(status, headers).end(body);
  }

  /** The last byte of the answer was handed to the socket. */
  finished(): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.door.deps.metrics.ingestLatency.observe({ source: this.source.name }, seconds);
  }
}

function onData(this: IncomingMessage, chunk: Buffer): void {
  (this as Carrier)[EXCHANGE]!.accept(chunk);
}

function onEnd(this: IncomingMessage): void {
  (this as Carrier)[EXCHANGE]!.complete();
}

/** An aborted upload: the socket is gone, there is no one to answer, and nothing was stored. */
function onError(): void {}

function onFinish(this: ServerResponse): void {
  (this as Carrier)[EXCHANGE]!.finished();
}

/**
 * Close a connection whose client may still be sending, the way it can read our answer: Node would close the
 * socket right after the 413, and closing a socket with unread incoming data sends a reset, which makes the
 * client's TCP stack drop the 413 it had not read yet. Instead: send FIN after the answer, keep reading (and
 * discarding) what still arrives, and close when the client does or after LINGER_MS. Only on this rare path.
 */
function lingeringClose(socket: Socket): void {
  socket.destroySoon = function lingerThenDestroy(this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS).unref();
    this.once('close', () => clearTimeout(timer));
    this.once('end', () => this.destroy());
  };
}

/** JSON types without a charset get `; charset=utf-8`, as every other answer of ours (Fastify's rule). */
function withCharset(contentType: string): string {
  return contentType.includes('json') && !contentType.includes('charset') ? `${contentType}; charset=utf-8` : contentType;
}
