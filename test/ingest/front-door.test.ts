/**
 * The one ingest front door, on real sockets: chunked and Content-Length bodies, the body limit enforced while the
 * client is still sending, trusted proxies (the same door, and the URL a provider signed), and the refusals it
 * answers before reading a body (431, 405, 429, 503 while shutting down), each counted by its code.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClientAddress } from '../../src/http/client-address.ts';
import { nextRequestId } from '../../src/http/request-id.ts';
import { makeIngestFrontDoor } from '../../src/ingest/front-door.ts';
import { makeDeliveryRouter } from '../../src/ingest/route-deliveries.ts';
import { makeSignedUrl } from '../../src/ingest/signed-url.ts';
import { twilio } from '../../src/providers/twilio.ts';
import { startServerProcess } from '../helpers/child.ts';
import { makeTempDir, startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { rawRequest, rawSocket, statusOf } from '../helpers/raw-http.ts';
import { SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';
import { until } from '../helpers/delivery-server.ts';

const TWILIO_TOKEN = 'twilio_auth_token_0123456789';
const YAML = (extra: string) =>
  [
    'sources:',
    '  - { name: small, provider: stripe, secrets: ["${STRIPE_SECRET}"], max_body_bytes: 4096 }',
    '  - { name: twilio, provider: twilio, secrets: ["${TWILIO_TOKEN}"] }',
    extra,
  ].join('\n');
const ADMIN_TOKEN = 'front-door-admin-token';
const ENV = { STRIPE_SECRET: SECRET, TWILIO_TOKEN, ADMIN_TOKEN };

/** The head of a POST, ending with the blank line. */
function head(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

const chunk = (bytes: Buffer) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);

/** Everything the socket received once a whole answer (head and its Content-Length body) is in. */
async function readAnswer(_socket: Socket, received: { text: string }): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  await until(() => {
    const end = received.text.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(received.text)?.[1];
    return end >= 0 && length !== undefined && received.text.length >= end + 4 + Number(length);
  }, 'a whole answer');
  const [top = '', body = ''] = received.text.split('\r\n\r\n');
  const headers = Object.fromEntries(
    top
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: statusOf(received.text), headers, body };
}

function collect(socket: Socket): { text: string; closed: Promise<void> } {
  const received = { text: '', closed: new Promise<void>((resolve) => socket.on('close', () => resolve())) };
  socket.on('data', (d: Buffer) => (received.text += d.toString('latin1')));
  socket.on('error', () => {});
  return received;
}

async function storedKeys(t: TestInbox): Promise<string[]> {
  return (await t.inbox.store.listEvents({ limit: 500, cursor: null })).items.map((e) => e.eventKey);
}

async function metric(t: TestInbox, source: string, outcome: string): Promise<number> {
  const res = await t.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.statusCode).toBe(200);
  const text = res.body;
  const line = text.split('\n').find((l) => l.startsWith(`filab_ingest_requests_total{source="${source}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe.each([
  ['directly connected clients', ''],
  ['behind a trusted proxy', 'server:\n  trust_proxy: ["127.0.0.1"]'],
])('the front door, %s', (_name, extra) => {
  let t: TestInbox;
  beforeAll(async () => {
    t = await startTestInbox({ env: ENV, yaml: YAML(extra) });
  });
  afterAll(() => t.close());

  it('answers 413 while a chunked upload is still sending, stores nothing, and keeps answering', async () => {
    const signed = signedStripe(stripeEvent({ id: 'evt_too_big', pad: 'x'.repeat(9000) }));
    const socket = await rawSocket(t.url);
    const received = collect(socket);
    socket.write(head('/webhooks/small', { ...signed.headers, 'transfer-encoding': 'chunked' }));
    socket.write(chunk(signed.body.subarray(0, 3000)));
    socket.write(chunk(signed.body.subarray(3000, 6000)));
    // 6000 bytes of a 9 KB body are sent, the rest is not: the answer must come now.
    const answer = await readAnswer(socket, received);
    expect([answer.status, JSON.parse(answer.body)]).toEqual([413, { detail: 'Request body too large', code: 'payload_too_large' }]);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-request-id']).toMatch(/^req_[0-9a-z]+$/);
    // The connection is closed after it; whatever the client still sends goes nowhere.
    if (!socket.destroyed) socket.write(chunk(signed.body.subarray(6000)));
    await received.closed;
    expect(await storedKeys(t)).not.toContain('evt_too_big');
    expect(await metric(t, 'small', 'payload_too_large')).toBe(1);

    // A Content-Length over the limit is refused before a byte of the body is sent.
    const declared = await rawSocket(t.url);
    const early = collect(declared);
    declared.write(head('/webhooks/small', { ...signed.headers, 'content-length': String(signed.body.length) }));
    expect((await readAnswer(declared, early)).status).toBe(413);
    await early.closed;
    expect(await storedKeys(t)).not.toContain('evt_too_big');

    const fresh = signedStripe(stripeEvent({ id: 'evt_after_413' }));
    const res = await fetch(`${t.url}/webhooks/small`, { method: 'POST', headers: fresh.headers, body: new Uint8Array(fresh.body) });
    expect(res.status).toBe(200);
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('with Expect: 100-continue, refuses a Content-Length over the limit without "continue", and continues a body within it', async () => {
    const big = signedStripe(stripeEvent({ id: 'evt_expect_big', pad: 'z'.repeat(6000) }));
    const refused = await rawSocket(t.url);
    const refusedReceived = collect(refused);
    refused.write(head('/webhooks/small', { ...big.headers, 'content-length': String(big.body.length), expect: '100-continue' }));
    const answer = await readAnswer(refused, refusedReceived);
    expect(answer.status).toBe(413);
    expect(refusedReceived.text).not.toContain('100 Continue');
    await refusedReceived.closed;

    const small = signedStripe(stripeEvent({ id: 'evt_expect_small' }));
    const accepted = await rawSocket(t.url);
    const acceptedReceived = collect(accepted);
    accepted.write(head('/webhooks/small', { ...small.headers, 'content-length': String(small.body.length), expect: '100-continue', connection: 'close' }));
    await until(() => acceptedReceived.text.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue');
    acceptedReceived.text = '';
    accepted.write(small.body);
    expect((await readAnswer(accepted, acceptedReceived)).status).toBe(200);
    expect(await storedKeys(t)).toContain('evt_expect_small');
    expect(await storedKeys(t)).not.toContain('evt_expect_big');
    await acceptedReceived.closed;
  });

  it('stores a signed event sent chunked, in pieces with pauses; the same event with Content-Length is a replay', async () => {
    const signed = signedStripe(stripeEvent({ id: 'evt_chunked' }));
    const pieces = [signed.body.subarray(0, 10), signed.body.subarray(10, 100), signed.body.subarray(100)].map(chunk);
    const raw = await rawRequest(
      t.url,
      [head('/webhooks/small/?via=chunks', { ...signed.headers, 'transfer-encoding': 'chunked', connection: 'close' }), ...pieces, '0\r\n\r\n'],
      {
        pauseMs: 30,
        timeoutMs: 10_000,
      },
    );
    expect(statusOf(raw)).toBe(200);
    expect(raw).toContain('{"status":"received"}');
    expect(await storedKeys(t)).toContain('evt_chunked');
    const again = await fetch(`${t.url}/webhooks/small`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    expect(await again.json()).toEqual({ status: 'received', idempotent_replay: true });
  });

  it('answers 405 with Allow: POST, 431 for too many headers, in the error shape, counted by code', async () => {
    const get = await fetch(`${t.url}/webhooks/small`);
    expect([get.status, get.headers.get('allow'), await get.json()]).toEqual([405, 'POST', { detail: 'Method Not Allowed', code: 'method_not_allowed' }]);
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, 'v']));
    const crowded = await fetch(`${t.url}/webhooks/small`, { method: 'POST', headers: many, body: '{}' });
    expect([crowded.status, await crowded.json()]).toEqual([431, { detail: 'Request header fields too large or too many', code: 'headers_too_large' }]);
    expect([await metric(t, 'small', 'method_not_allowed'), await metric(t, 'small', 'headers_too_large')]).toEqual([1, 1]);
  });
});

describe('the URL a provider signed, behind a trusted proxy', () => {
  let proxied: TestInbox;
  let direct: TestInbox;
  beforeAll(async () => {
    proxied = await startTestInbox({ env: ENV, yaml: YAML('server:\n  trust_proxy: ["127.0.0.1"]') });
    direct = await startTestInbox({ env: ENV, yaml: YAML('') });
  });
  afterAll(async () => {
    await proxied.close();
    await direct.close();
  });

  const publicUrl = 'https://hooks.example.test/webhooks/twilio?account=1';
  const form = (sid: string) => `MessageSid=${sid}&Body=hello`;
  const post = (t: TestInbox, sid: string, headers: Record<string, string>) => {
    const signed = twilio.sign({ body: form(sid), secret: TWILIO_TOKEN, timestamp: 0, url: publicUrl, idempotencyToken: sid });
    return fetch(`${t.url}/webhooks/twilio?account=1`, { method: 'POST', headers: { ...signed.headers, ...headers }, body: new Uint8Array(signed.body) });
  };
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'hooks.example.test', 'x-forwarded-for': '203.0.113.9' };

  it('is the scheme and host the trusted proxy names (its last entry)', async () => {
    expect((await post(proxied, 'SM_proxied', forwarded)).status).toBe(200);
    const twoHops = { 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'inner.example.test, hooks.example.test' };
    expect((await post(proxied, 'SM_two_hops', twoHops)).status).toBe(200);
    expect(await storedKeys(proxied)).toEqual(expect.arrayContaining(['SM_proxied', 'SM_two_hops']));
    const bare = await post(proxied, 'SM_no_headers', {});
    expect([bare.status, (await bare.json()).code]).toEqual([400, 'invalid_signature']);
  });

  it('ignores X-Forwarded-Proto/-Host from a peer that is not a trusted proxy', async () => {
    const spoofed = await post(direct, 'SM_spoofed', forwarded);
    expect([spoofed.status, (await spoofed.json()).code]).toEqual([400, 'invalid_signature']);
    expect(await storedKeys(direct)).not.toContain('SM_spoofed');
  });
});

describe('the rate limit on the front door', () => {
  it('answers 429 with Retry-After in the error shape, counted, and the connection stays usable', async () => {
    const t = await startTestInbox({ env: ENV, yaml: YAML('ingest:\n  rate_limit: { per_second: 0.01, burst: 1 }') });
    try {
      const send = (id: string) => {
        const signed = signedStripe(stripeEvent({ id }));
        return fetch(`${t.url}/webhooks/small`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
      };
      expect((await send('evt_rl_1')).status).toBe(200);
      const limited = await send('evt_rl_2');
      expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).toEqual([
        429,
        '100',
        { detail: 'Too many requests', code: 'rate_limited' },
      ]);
      expect(await storedKeys(t)).not.toContain('evt_rl_2');
      expect(await metric(t, 'small', 'rate_limited')).toBe(1);
      expect((await fetch(`${t.url}/health`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('the front door while shutting down', () => {
  let t: TestInbox;
  let server: Server;
  let url: string;
  let closing = false;
  beforeAll(async () => {
    t = await startTestInbox({ env: ENV, yaml: YAML('') });
    const { inbox } = t;
    const door = makeIngestFrontDoor({
      deps: { clock: { now: () => Date.now() }, queue: inbox.queue, metrics: inbox.metrics, router: makeDeliveryRouter([]), log: pino({ level: 'silent' }) },
      sources: inbox.config.sources,
      limiter: null,
      clientAddress: makeClientAddress([]),
      signedUrl: makeSignedUrl([]),
      maxHeaderCount: 100,
      nextRequestId,
      isClosing: () => closing,
    });
    server = createServer((req, res) => {
      if (!door(req, res, false)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('finishes a request in flight with Connection: close, and refuses a new one on a kept-alive connection with 503', async () => {
    const inFlight = signedStripe(stripeEvent({ id: 'evt_in_flight' }));
    const first = await rawSocket(url);
    const firstReceived = collect(first);
    first.write(head('/webhooks/small', { ...inFlight.headers, 'content-length': String(inFlight.body.length) }));
    first.write(inFlight.body.subarray(0, 20));

    // A kept-alive connection that served one request before shutdown began.
    const second = await rawSocket(url);
    const secondReceived = collect(second);
    const before = signedStripe(stripeEvent({ id: 'evt_before_close' }));
    second.write(Buffer.concat([Buffer.from(head('/webhooks/small', { ...before.headers, 'content-length': String(before.body.length) })), before.body]));
    expect((await readAnswer(second, secondReceived)).status).toBe(200);
    secondReceived.text = '';

    closing = true;
    first.write(inFlight.body.subarray(20));
    const finished = await readAnswer(first, firstReceived);
    expect([finished.status, finished.headers.connection]).toEqual([200, 'close']);
    await firstReceived.closed;

    const late = signedStripe(stripeEvent({ id: 'evt_after_close' }));
    second.write(Buffer.concat([Buffer.from(head('/webhooks/small', { ...late.headers, 'content-length': String(late.body.length) })), late.body]));
    const refused = await readAnswer(second, secondReceived);
    expect([refused.status, refused.headers.connection, refused.headers['retry-after'], JSON.parse(refused.body)]).toEqual([
      503,
      'close',
      '1',
      { detail: 'Server is shutting down, retry later', code: 'shutting_down' },
    ]);
    await secondReceived.closed;
    const keys = await storedKeys(t);
    expect(keys).toEqual(expect.arrayContaining(['evt_in_flight', 'evt_before_close']));
    expect(keys).not.toContain('evt_after_close');
    expect(await metric(t, 'small', 'shutting_down')).toBe(1);
  });
});

describe('the front door of a real `filab serve`', () => {
  it('refuses an oversize chunked upload mid-stream with 413, stays healthy, and still stores a fresh signed event', async () => {
    const dir = makeTempDir();
    const server = await startServerProcess({ STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db'), MAX_BODY_BYTES: '2048' });
    try {
      const signed = signedStripe(stripeEvent({ id: 'evt_serve_too_big', pad: 'y'.repeat(8000) }));
      const socket = await rawSocket(server.url);
      const received = collect(socket);
      socket.write(head('/webhooks/provider', { ...signed.headers, 'transfer-encoding': 'chunked' }));
      socket.write(chunk(signed.body.subarray(0, 3000)));
      expect((await readAnswer(socket, received)).status).toBe(413);
      await received.closed;

      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      const fresh = signedStripe(stripeEvent({ id: 'evt_serve_fresh' }));
      expect((await fetch(`${server.url}/webhooks/provider`, { method: 'POST', headers: fresh.headers, body: new Uint8Array(fresh.body) })).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const db = new Database(join(dir, 'app.db'), { readonly: true });
      expect(db.prepare('SELECT event_key FROM events ORDER BY event_key').pluck().all()).toEqual(['evt_serve_fresh']);
      db.close();
    } finally {
      server.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
