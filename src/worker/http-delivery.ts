/**
 * One HTTP attempt: POST the stored raw body with the Standard Webhooks headers, over keep-alive agents,
 * with a timeout, reading at most a few KB of the answer, never following redirects (a 3xx is a failure).
 * It always resolves, never rejects and never throws: whatever goes wrong is an error text in the result.
 */
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, refusalBeforeLookup } from './outbound-guard.ts';

export const RESPONSE_SNIPPET_BYTES = 2048;

export interface HttpAttempt {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  allowPrivate: boolean;
  signal?: AbortSignal;
}

export interface HttpAttemptResult {
  statusCode: number | null;
  retryAfter: string | undefined;
  snippet: string | null;
  error: string | null;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

export const failedResult = (error: string): HttpAttemptResult => ({ statusCode: null, retryAfter: undefined, snippet: null, error });

/** The error text of anything thrown, for the attempt record (never a stack). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return (err.message || (err as NodeJS.ErrnoException).code || err.name).slice(0, 1000);
  return String(err).slice(0, 1000);
}

/** Refusals that need no socket: a URL that does not parse, an internal IP literal or a localhost name. */
function refusalBeforeConnect(attempt: HttpAttempt): { url: URL } | { error: string } {
  let url: URL;
  try {
    url = new URL(attempt.url);
  } catch {
    return { error: 'invalid destination url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `unsupported destination url scheme ${url.protocol}` };
  const refused = attempt.allowPrivate ? null : refusalBeforeLookup(url.hostname);
  return refused ? { error: refused } : { url };
}

export async function postWebhook(attempt: HttpAttempt): Promise<HttpAttemptResult> {
  const checked = refusalBeforeConnect(attempt);
  if ('error' in checked) return failedResult(checked.error);
  try {
    return await send(checked.url, attempt);
  } catch (err) {
    // http.request throws synchronously on a header it cannot send, among others: a failed attempt like any other.
    return failedResult(errorText(err));
  }
}

function send(url: URL, attempt: HttpAttempt): Promise<HttpAttemptResult> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (result: HttpAttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const failed = (error: string) => done(failedResult(error));
    let request: http.ClientRequest | undefined;
    try {
      request = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { ...attempt.headers, 'content-length': String(attempt.body.length) },
        ...(attempt.allowPrivate ? {} : { lookup: guardedLookup as unknown as typeof import('node:dns').lookup }),
        ...(attempt.signal ? { signal: attempt.signal } : {}),
      });
      const sent = request;
      timer = setTimeout(() => {
        sent.destroy();
        failed(`timeout after ${attempt.timeoutMs} ms`);
      }, attempt.timeoutMs);
      sent.on('error', (err: NodeJS.ErrnoException) =>
        failed(err.name === 'AbortError' ? 'aborted (worker shutting down)' : errorText(err) || 'request failed'),
      );
      sent.on('response', (response) => readCapped(response, done));
      sent.end(attempt.body);
    } catch (err) {
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      reject(err);
    }
  });
}

/** Keep the status, Retry-After and the first RESPONSE_SNIPPET_BYTES of the answer; never download the rest. */
function readCapped(response: http.IncomingMessage, done: (result: HttpAttemptResult) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = () => {
    const retryAfter = response.headers['retry-after'];
    done({
      statusCode: response.statusCode ?? null,
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      snippet: Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8'),
      error: null,
    });
  };
  response.on('data', (chunk: Buffer) => {
    if (size >= RESPONSE_SNIPPET_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_SNIPPET_BYTES) {
      finish();
      response.destroy();
    }
  });
  response.on('end', finish);
  response.on('error', finish);
}
