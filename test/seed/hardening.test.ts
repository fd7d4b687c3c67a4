/** Bad input never yields a 5xx or a stack trace; storage failures yield 503 + Retry-After; secrets stay secret. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postStripe, SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: `whsec_other,${SECRET}`, ADMIN_TOKEN: 'admin-token-for-tests-7c1e' } });
});
afterAll(() => t.close());

function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${t.url}${path}`, { method: 'POST', headers, body });
}

describe('hardening', () => {
  it('answers a non-ASCII v1, a non-UTF-8 signed body and created=1e30 with 4xx', async () => {
    const nonAscii = await post('/webhooks/provider', stripeEvent(), { 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=é${'a'.repeat(63)}` });
    expect(nonAscii.status).toBe(400);

    const raw = Buffer.concat([Buffer.from('{"id":"evt_bin","type":"x","created":1,"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const nonUtf8 = await postStripe(t.url, raw);
    expect(nonUtf8.status).toBe(400);
    expect(nonUtf8.json).toMatchObject({ code: 'invalid_payload' });

    const huge = await postStripe(t.url, '{"id":"evt_big","type":"x","created":1e30}');
    expect(huge.status).toBe(400);
    expect(huge.json).toMatchObject({ code: 'invalid_payload' });
  });

  it('accepts either secret of a comma-separated rotation list and records which matched', async () => {
    const res = await postStripe(t.url, stripeEvent({ id: 'evt_rot_old' }), { secret: 'whsec_other' });
    expect(res.status).toBe(200);
    const [summary] = (await t.inbox.store.listEvents({ limit: 1, keyPrefix: 'evt_rot_old' })).items;
    expect((await t.inbox.store.getEvent(summary!.id))!.secretLabel).toBe('#0');
  });

  it('refuses bodies over 1 MiB with 413 JSON and stores nothing', async () => {
    const big = stripeEvent({ id: 'evt_huge', pad: 'x'.repeat(1024 * 1024) });
    const res = await postStripe(t.url, big);
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ detail: 'Request body too large', code: 'payload_too_large' });
    expect((await t.inbox.store.listEvents({ limit: 1, keyPrefix: 'evt_huge' })).items).toHaveLength(0);
  });

  it('accepts a trailing slash without a redirect', async () => {
    const signed = signedStripe(stripeEvent({ id: 'evt_slash' }));
    const res = await post('/webhooks/provider/', new Uint8Array(signed.body), signed.headers);
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(false);
  });

  it('answers a wrong method with 405 JSON and Allow, an unknown path with 404 JSON', async () => {
    const wrong = await fetch(`${t.url}/webhooks/provider`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toEqual({ detail: 'Method Not Allowed', code: 'method_not_allowed' });
    const del = await fetch(`${t.url}/health`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    const missing = await fetch(`${t.url}/nope/x?y=1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found', code: 'not_found' });
  });

  it('never answers odd requests with a 5xx or a stack trace', async () => {
    const cases: [string, RequestInit][] = [
      ['/webhooks/provider', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }],
      ['/webhooks/provider', { method: 'POST', headers: { 'content-type': 'text/plain; charset=klingon' }, body: 'x' }],
      ['/webhooks/provider', { method: 'POST', headers: { 'stripe-signature': `t=1,v1=${'z'.repeat(64)}` }, body: '{}' }],
      ['/webhooks/provider', { method: 'POST', headers: { 'stripe-signature': ',,,=,t==,v1==' }, body: new Uint8Array([0, 1, 2, 255]) }],
      ['/events?limit=1&limit=2', { method: 'GET', headers: { authorization: 'Bearer admin-token-for-tests-7c1e' } }],
      ['/%E0%A4%A', { method: 'GET' }],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${t.url}${path}`, init);
      const text = await res.text();
      expect(res.status, `${path} ${text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${text}`).toBeLessThan(500);
      expect(text).not.toMatch(/at .*\.ts:\d+|stack/i);
      expect(JSON.parse(text)).toHaveProperty('code');
    }
  });

  it('guards /events with the admin token (401 without, 200 with)', async () => {
    expect((await fetch(`${t.url}/events`)).status).toBe(401);
    expect((await fetch(`${t.url}/events`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${t.url}/events`, { headers: { authorization: 'Bearer admin-token-for-tests-7c1e' } })).status).toBe(200);
  });

  it('answers 503 with Retry-After when the database is locked, and recovers', async () => {
    const locker = new Database(join(t.dir, 'app.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const res = await postStripe(t.url, stripeEvent({ id: 'evt_locked' }));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.json).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const retry = await postStripe(t.url, stripeEvent({ id: 'evt_locked' }));
    expect(retry.json).toEqual({ status: 'received' });
  });

  it('never writes a secret or the admin token into logs or responses', () => {
    const all = t.logs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [SECRET, 'whsec_other', 'admin-token-for-tests-7c1e']) expect(all).not.toContain(secret);
  });
});

describe('admin access without ADMIN_TOKEN', () => {
  it('serves /events to loopback clients only', async () => {
    const open = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      expect((await fetch(`${open.url}/events`)).status).toBe(200);
      const remote = await open.inbox.server.inject({ method: 'GET', url: '/events', remoteAddress: '203.0.113.9' });
      expect(remote.statusCode).toBe(403);
      expect(remote.json()).toMatchObject({ code: 'forbidden' });
    } finally {
      await open.close();
    }
  });
});

describe('health and cross-origin', () => {
  it('GET /health answers 503 when the database cannot be reached', async () => {
    const broken = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      await broken.inbox.store.close();
      const res = await fetch(`${broken.url}/health`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await res.json()).toMatchObject({ code: 'storage_unavailable' });
    } finally {
      await broken.close().catch(() => {});
    }
  });

  it('sends no CORS headers on admin routes, even to a preflight', async () => {
    const headers = { origin: 'https://evil.example', authorization: 'Bearer admin-token-for-tests-7c1e' };
    const get = await fetch(`${t.url}/admin/api/events`, { headers });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${t.url}/admin/api/events`, { method: 'OPTIONS', headers: { ...headers, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});
