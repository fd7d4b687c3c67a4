/**
 * The bare node:http ingest path must be indistinguishable from the Fastify route it bypasses: each request is
 * sent once with Content-Length (fast path) and once chunked (which the fast path declines, so Fastify serves
 * it), and both answers must match. A second part checks which requests the fast path takes and declines.
 */
import Database from 'better-sqlite3';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeClientAddress } from '../../src/http/client-address.ts';
import { makeCommitQueue } from '../../src/ingest/commit-queue.ts';
import { makeFastIngest } from '../../src/ingest/fast-path.ts';
import { makeDeliveryRouter } from '../../src/ingest/route-deliveries.ts';
import { makeMetrics } from '../../src/metrics.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import { makeTempDir, startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { rawRequest, statusOf } from '../helpers/raw-http.ts';
import { SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';

/** An HTTP/1.1 request as raw bytes: with Content-Length, or chunked (split in two chunks). */
function httpRequest(path: string, body: string, headers: Record<string, string>, chunked: boolean): string {
  const lines = Object.entries({ host: '127.0.0.1', connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  const bytes = Buffer.from(body);
  if (!chunked) return `POST ${path} HTTP/1.1\r\n${lines.join('')}content-length: ${bytes.length}\r\n\r\n${body}`;
  const half = Math.floor(body.length / 2);
  const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  return `POST ${path} HTTP/1.1\r\n${lines.join('')}transfer-encoding: chunked\r\n\r\n${chunk(body.slice(0, half))}${chunk(body.slice(half))}0\r\n\r\n`;
}

/** Status, the headers that matter to a client (not Date or the request id's value), and the body. */
function answer(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return {
    status: statusOf(raw),
    contentType: headers['content-type'],
    retryAfter: headers['retry-after'],
    hasRequestId: /^req_[0-9a-z]+$/.test(headers['x-request-id'] ?? ''),
    body,
  };
}

describe('fast ingest path answers exactly as the Fastify route', () => {
  let t: TestInbox;
  beforeAll(async () => {
    t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(() => t.close());

  const send = async (path: string, body: string, headers: Record<string, string>, chunked: boolean) =>
    answer(await rawRequest(t.url, [httpRequest(path, body, headers, chunked)], { timeoutMs: 10_000 }));

  it('for accepted events, replays, bad signatures, bad payloads, query strings and trailing slashes', async () => {
    const cases: [string, (n: number) => { body: string; headers: Record<string, string> }][] = [
      ['accepted', (n) => signed(stripeEvent({ id: `evt_fast_${n}` }))],
      ['replay', () => signed(stripeEvent({ id: 'evt_fast_same', created: 1 }))],
      ['forged', () => ({ body: stripeEvent(), headers: signedStripe(stripeEvent(), 'whsec_wrong').headers })],
      ['not json', () => signed('{"id": "evt_x",')],
      ['no signature', () => ({ body: stripeEvent(), headers: { 'content-type': 'application/json' } })],
    ];
    expect((await send('/webhooks/provider', ...args(cases[1]![1](0)), false)).status).toBe(200); // stored once: later copies are replays
    let n = 0;
    for (const path of ['/webhooks/provider', '/webhooks/provider/', '/webhooks/provider?attempt=2']) {
      for (const [name, make] of cases) {
        const viaFast = await send(path, ...args(make(n++)), false);
        const viaFastify = await send(path, ...args(make(n++)), true);
        expect(viaFast, `${name} ${path}`).toEqual(viaFastify);
        expect(viaFast.hasRequestId).toBe(true);
      }
    }
    const replay = await send('/webhooks/provider', ...args(signed(stripeEvent({ id: 'evt_fast_same', created: 1 }))), false);
    expect(JSON.parse(replay.body)).toEqual({ status: 'received', idempotent_replay: true });
    expect(replay.contentType).toBe('application/json; charset=utf-8');
  });

  it('for storage failures: 503 with Retry-After on both paths, nothing stored', async () => {
    const locker = new Database(join(t.dir, 'app.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const viaFast = await send('/webhooks/provider', ...args(signed(stripeEvent({ id: 'evt_fast_locked_1' }))), false);
      const viaFastify = await send('/webhooks/provider', ...args(signed(stripeEvent({ id: 'evt_fast_locked_2' }))), true);
      expect(viaFast).toEqual(viaFastify);
      expect(viaFast).toMatchObject({ status: 503, retryAfter: '1' });
      expect(JSON.parse(viaFast.body)).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const stored = await t.inbox.store.listEvents({ limit: 500, keyPrefix: 'evt_fast_locked' });
    expect(stored.items).toEqual([]);
  });
});

describe('fast ingest path with a rate limit', () => {
  it('shares one bucket per client with the Fastify route and answers 429 the same way', async () => {
    const t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, yaml: 'ingest:\n  rate_limit: { per_second: 0.01, burst: 2 }\n' });
    try {
      const statuses: number[] = [];
      const refusals = [];
      for (const chunked of [false, true, false, true]) {
        const a = answer(await rawRequest(t.url, [httpRequest('/webhooks/provider', ...args(signed(stripeEvent())), chunked)]));
        statuses.push(a.status);
        if (a.status === 429) refusals.push({ ...a, retryAfter: Number(a.retryAfter) > 0 });
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(refusals[0]).toEqual(refusals[1]);
    } finally {
      await t.close();
    }
  });
});

describe('which requests the fast path takes', () => {
  const dir = makeTempDir();
  const config = loadConfig({ env: { DATABASE_PATH: join(dir, 'app.db'), STRIPE_WEBHOOK_SECRET: SECRET }, cwd: dir });
  const store = makeSqliteStore(config.databasePath!);
  const metrics = makeMetrics();
  let closing = false;
  let declined: string[] = [];
  const fastIngest = makeFastIngest({
    deps: { clock: systemClock, queue: makeCommitQueue(store, config.ingest), metrics, router: makeDeliveryRouter([]), log: pino({ level: 'silent' }) },
    sources: config.sources,
    limiter: null,
    clientAddress: makeClientAddress([]),
    maxHeaderCount: 20,
    nextRequestId: () => 'req_test',
    isClosing: () => closing,
  });
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (fastIngest(req, res)) return;
      declined.push(`${req.method} ${req.url}`);
      res.writeHead(299).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const status = async (request: string | string[]) => statusOf(await rawRequest(url, Array.isArray(request) ? request : [request]));

  it('takes a POST with Content-Length to a source path, and declines everything else to Fastify', async () => {
    declined = [];
    const ok = signed(stripeEvent());
    expect(await status(httpRequest('/webhooks/provider?x=1', ...args(ok), false))).toBe(200);
    expect(declined).toEqual([]);

    expect(await status(httpRequest('/webhooks/provider', ...args(signed(stripeEvent())), true))).toBe(299); // chunked
    expect(await status('GET /webhooks/provider HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')).toBe(299);
    expect(await status(httpRequest('/webhooks/other', ...args(ok), false))).toBe(299);
    const big = 'x'.repeat(config.sources[0]!.maxBodyBytes + 1);
    expect(await status(httpRequest('/webhooks/provider', big, {}, false))).toBe(299); // Fastify answers the 413
    const manyHeaders = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`x-h${i}`, 'v']));
    expect(await status(httpRequest('/webhooks/provider', ...args({ body: ok.body, headers: { ...ok.headers, ...manyHeaders } }), false))).toBe(299);
    closing = true;
    expect(await status(httpRequest('/webhooks/provider', ...args(signed(stripeEvent())), false))).toBe(299); // Fastify's 503 on close
    closing = false;
    expect(declined).toHaveLength(6);
  });

  it('drops an upload the client abandons: nothing stored, the server keeps answering', async () => {
    const abandoned = signed(stripeEvent({ id: 'evt_abandoned' }));
    const full = httpRequest('/webhooks/provider', ...args(abandoned), false);
    expect(statusOf(await rawRequest(url, [full.slice(0, full.length - 100)], { timeoutMs: 300 }))).toBe(0); // closed by the client (timeout) before the body ended
    expect(await status(httpRequest('/webhooks/provider', ...args(signed(stripeEvent({ id: 'evt_after' }))), false))).toBe(200);
    expect((await store.getEvent((await store.listEvents({ limit: 10, keyPrefix: 'evt_after' })).items[0]!.id))?.eventKey).toBe('evt_after');
    expect((await store.listEvents({ limit: 10, keyPrefix: 'evt_abandoned' })).items).toEqual([]);
  });
});

function signed(body: string): { body: string; headers: Record<string, string> } {
  return { body, headers: signedStripe(body).headers };
}

function args(request: { body: string; headers: Record<string, string> }): [string, Record<string, string>] {
  return [request.body, request.headers];
}
