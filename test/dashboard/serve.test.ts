/** How the dashboard is served: strict security headers, the loopback rule, and its own guarded endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStaticFiles } from '../../src/dashboard/static-files.ts';
import { postSigned, SECRET, signedEvent } from '../metrics/harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

describe('dashboard files', () => {
  let s: TestInbox;
  beforeAll(async () => {
    s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: 'dash-token-1' } });
  });
  afterAll(() => s.close());

  it('serves the shell with a strict CSP, nosniff and no framing', async () => {
    const res = await fetch(`${s.url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/dashboard/app.js">');
    // Nothing inline: the CSP would block it anyway, so the page must not depend on it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
  });

  it('serves every module with a JavaScript type and answers 304 to a matching ETag', async () => {
    for (const path of loadStaticFiles().keys()) {
      const res = await fetch(`${s.url}/dashboard/${path}`);
      expect(res.status, path).toBe(200);
      if (path.endsWith('.js')) expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const again = await fetch(`${s.url}/dashboard/${path}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  it('answers JSON 404 for unknown files and never reads outside its folder', async () => {
    for (const path of ['/dashboard/nope.js', '/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/views/../../routes.ts']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('guards its endpoints with the admin token', async () => {
    await postSigned(`${s.url}/webhooks/provider`, signedEvent({ id: 'evt_dash_1' }));
    expect((await fetch(`${s.url}/admin/api/ingest-stats`)).status).toBe(401);
    expect((await fetch(`${s.url}/admin/api/ingest-stats`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const res = await fetch(`${s.url}/admin/api/ingest-stats`, { headers: { authorization: 'Bearer dash-token-1' } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.sources).toEqual([
      expect.objectContaining({
        name: 'provider',
        provider: 'stripe',
        path: '/webhooks/provider',
        accepted: 1,
        replays: 0,
        rejected: {},
        secrets: [{ label: '#0', verifications: 1, expires_at: null }],
      }),
    ]);
    expect(typeof body.sources[0].last_event_at).toBe('string');
    expect(JSON.stringify(body)).not.toContain('whsec_');
    expect((await fetch(`${s.url}/admin/api/activity`)).status).toBe(401);
  });

  it('rejects a bad activity query with 400', async () => {
    const res = await fetch(`${s.url}/admin/api/activity?minutes=0`, { headers: { authorization: 'Bearer dash-token-1' } });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('invalid_query');
  });
});

describe('dashboard without ADMIN_TOKEN', () => {
  it('is loopback only, shell included', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const remote = await s.inbox.server.inject({ method: 'GET', url: '/dashboard', remoteAddress: '192.0.2.7' });
      expect(remote.statusCode).toBe(403);
      expect(remote.json().code).toBe('forbidden');
      expect((await s.inbox.server.inject({ method: 'GET', url: '/admin/api/ingest-stats', remoteAddress: '192.0.2.7' })).statusCode).toBe(403);
      expect((await s.inbox.server.inject({ method: 'GET', url: '/dashboard', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
      // DNS rebinding: loopback peer, foreign Host. Shell and data both refused.
      for (const url of ['/dashboard', '/dashboard/app.js', '/admin/api/ingest-stats']) {
        const rebound = await s.inbox.server.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: { host: 'evil.example:8000' } });
        expect([url, rebound.statusCode, rebound.json().code]).toEqual([url, 403, 'forbidden']);
        expect(rebound.json().detail).toContain('Host "evil.example:8000" refused');
      }
      for (const host of ['localhost:8000', '127.0.0.1', '[::1]:1234']) {
        expect((await s.inbox.server.inject({ method: 'GET', url: '/dashboard', remoteAddress: '127.0.0.1', headers: { host } })).statusCode).toBe(200);
      }
    } finally {
      await s.close();
    }
  });

  it('behind a trusted proxy answers 401 to everyone, shell included', async () => {
    const s = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, yaml: 'server:\n  trust_proxy: ["127.0.0.1"]\n' });
    try {
      for (const url of ['/dashboard', '/dashboard/app.js', '/admin/api/ingest-stats', '/admin/api/activity']) {
        const res = await s.inbox.server.inject({ method: 'GET', url, remoteAddress: '127.0.0.1' });
        expect([url, res.statusCode, res.json().code]).toEqual([url, 401, 'unauthorized']);
      }
    } finally {
      await s.close();
    }
  });
});
