/**
 * One HTTP attempt: POST the stored raw body with the Standard Webhooks headers, over keep-alive agents,
 * with a timeout, reading at most a few KB of the answer, never following redirects (a 3xx is a failure).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress, PrivateDestinationError } from './outbound-guard.ts';

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

export function postWebhook(attempt: HttpAttempt): Promise<HttpAttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: HttpAttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const failed = (error: string) => done({ statusCode: null, retryAfter: undefined, snippet: null, error });

    let url: URL;
    try {
      url = new URL(attempt.url);
    } catch {
      return failed('invalid destination url');
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // IP literals skip DNS lookup, so they are checked here; names are checked inside the lookup.
    if (!attempt.allowPrivate && isIP(hostname) && isPrivateAddress(hostname)) return failed(new PrivateDestinationError(hostname).message);

    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol as 'http:' | 'https:'],
      headers: { ...attempt.headers, 'content-length': String(attempt.body.length) },
      ...(attempt.allowPrivate ? {} : { lookup: guardedLookup as unknown as typeof import('node:dns').lookup }),
      ...(attempt.signal ? { signal: attempt.signal } : {}),
    });
    const timer = setTimeout(() => {
      request.destroy();
      failed(`timeout after ${attempt.timeoutMs} ms`);
    }, attempt.timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => failed(err.name === 'AbortError' ? 'aborted (worker shutting down)' : err.message || err.code || 'request failed'));
    request.on('response', (response) => {
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
        // Enough read: stop the download rather than pull a huge answer we would not keep.
        if (size >= RESPONSE_SNIPPET_BYTES) {
          finish();
          response.destroy();
        }
      });
      response.on('end', finish);
      response.on('error', finish);
    });
    request.end(attempt.body);
  });
}
