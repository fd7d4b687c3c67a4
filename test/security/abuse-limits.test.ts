/** Limits under abuse: header size/count, slow clients, per-IP rate limit, a full commit queue, trusted proxies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { rawRequest, rawSocket, statusOf } from '../helpers/raw-http.ts';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({
    env: { STRIPE_WEBHOOK_SECRET: SECRET },
    yaml: 'server:\n  headers_timeout_ms: 700\n  request_timeout_ms: 1500\n  max_header_count: 40\n',
  });
});
afterAll(() => t.close());

describe('abuse limits', () => {
  it('refuses too many headers and oversized headers with 431 JSON', async () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-h${i}`, 'v']));
    const res = await fetch(`${t.url}/health`, { headers: many });
    expect(res.status).toBe(431);
    expect(await res.json()).toMatchObject({ code: 'headers_too_large' });

    const raw = await rawRequest(t.url, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(statusOf(raw)).toBe(431);
    expect(raw).toContain('"code":"headers_too_large"');
  });

  it('cuts off a slowloris client that never finishes its headers', async () => {
    const started = Date.now();
    const socket = await rawSocket(t.url);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write('POST /webhooks/provider HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 200);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(drip);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    expect(received === '' || statusOf(received) === 408).toBe(true);
  });

  it('cuts off a client that sends its body too slowly', async () => {
    const started = Date.now();
    const response = await rawRequest(
      t.url,
      ['POST /webhooks/provider HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', ...Array.from({ length: 40 }, () => 'a')],
      { pauseMs: 150, timeoutMs: 8000 },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([0, 408]).toContain(statusOf(response));
  });
});

describe('optional limits', () => {
  it('rate-limits ingest per client IP with 429 + Retry-After when configured', async () => {
    const limited = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, yaml: 'ingest:\n  rate_limit: { per_second: 0.05, burst: 3 }\n' });
    try {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await postStripe(limited.url, stripeEvent()));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
      expect(Number(results[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(results[3]!.json).toMatchObject({ code: 'rate_limited' });
      // Admin/read routes are not rate-limited.
      expect((await fetch(`${limited.url}/health`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 503 overloaded instead of queueing without bound, and stores every acknowledged event', async () => {
    const tight = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, yaml: 'ingest:\n  max_pending: 2\n  batch_wait_ms: 20\n' });
    try {
      const bodies = Array.from({ length: 30 }, (_, i) => stripeEvent({ id: `evt_over_${i}` }));
      const results = await Promise.all(bodies.map((b) => postStripe(tight.url, b)));
      const overloaded = results.filter((r) => r.status === 503);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(overloaded[0]!.json).toMatchObject({ code: 'overloaded' });
      expect(overloaded[0]!.headers.get('retry-after')).toBeTruthy();
      const accepted = results.filter((r) => r.status === 200).length;
      expect((await tight.inbox.store.listEvents({ limit: 100, keyPrefix: 'evt_over_' })).items).toHaveLength(accepted);
    } finally {
      await tight.close();
    }
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const spoof = await t.inbox.server.inject({ method: 'GET', url: '/events', remoteAddress: '203.0.113.7', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(spoof.statusCode).toBe(403);
    const proxied = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, yaml: 'server:\n  trust_proxy: ["127.0.0.1"]\n' });
    try {
      // Behind a proxy every request comes from the proxy's address: without ADMIN_TOKEN nobody gets in, not even
      // a request that names itself loopback on the left.
      for (const xff of ['203.0.113.7', '127.0.0.1, 203.0.113.7', '127.0.0.1']) {
        const remote = await proxied.inbox.server.inject({ method: 'GET', url: '/events', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': xff } });
        expect([xff, remote.statusCode, remote.json().code]).toEqual([xff, 401, 'unauthorized']);
      }
      expect(proxied.logs.join('')).toContain('server.trust_proxy is set and ADMIN_TOKEN is not');
      // The refusal is logged under the client the proxy saw, not the one the request claims to be.
      expect(proxied.logs.filter((l) => l.includes('admin request refused')).map((l) => JSON.parse(l).client)).toEqual([
        '203.0.113.7',
        '203.0.113.7',
        '127.0.0.1',
      ]);
    } finally {
      await proxied.close();
    }
  });

  it('rate-limits the client behind a trusted proxy, not the proxy, and a spoofed left hop is no new client', async () => {
    const limited = await startTestInbox({
      env: { STRIPE_WEBHOOK_SECRET: SECRET },
      yaml: 'server:\n  trust_proxy: ["127.0.0.1"]\ningest:\n  rate_limit: { per_second: 0.05, burst: 2 }\n',
    });
    try {
      const viaProxy = (xff: string) => postStripe(limited.url, stripeEvent(), { headers: { 'x-forwarded-for': xff } });
      const first = [];
      for (const xff of ['203.0.113.5', '198.51.100.1, 203.0.113.5', '10.0.0.1, 203.0.113.5']) first.push((await viaProxy(xff)).status);
      expect(first).toEqual([200, 200, 429]);
      // Another client behind the same proxy has its own bucket.
      expect((await viaProxy('203.0.113.6')).status).toBe(200);
      expect(limited.logs.some((l) => l.includes('"client":"203.0.113.6"') && l.includes('"msg":"ingest"'))).toBe(true);
    } finally {
      await limited.close();
    }
  });
});
