/**
 * Issue 17, cases 3 and 4, as a new user would try them, against real `filab serve` processes:
 * 3. behind a proxy, `X-Forwarded-For: 127.0.0.1, 203.0.113.5` must not pass for loopback;
 * 4. `POST /admin/api/destinations/ledger/disable` with `Origin`/`Host: evil.example` and no body must not disable.
 * Each ends with the process still healthy (/health 200, a fresh signed event accepted).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/child.ts';
import { until } from '../metrics/receiver.ts';
import { adminInboxSetup, rawAdminRequest, startAdminInbox, stillHealthy, type AdminInbox } from '../helpers/admin-inbox.ts';

const TOKEN = 'issue-cases-admin-token-81c2';
const SPOOFED = { 'x-forwarded-for': '127.0.0.1, 203.0.113.5' };
const ADMIN_PATHS = ['/admin/api/events', '/admin/api/destinations', '/events', '/metrics', '/dashboard', '/dashboard/app.js', '/admin/api/ingest-stats'];

/** The JSON log lines a process printed with this message. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('case 3: a spoofed X-Forwarded-For behind a trusted proxy', () => {
  it('refuses to start with trust_proxy: true, naming the alternatives', async () => {
    const { dir, env } = adminInboxSetup({ trustProxy: true });
    try {
      const failure = await startServerProcess(env, ['serve', '--no-worker'], dir).then(
        (server) => {
          server.child.kill('SIGKILL');
          return null;
        },
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/server exited \(\d+\) before listening/);
      expect(failure).toContain('server.trust_proxy: true would believe any client');
      expect(failure).toContain('["127.0.0.1"]');
      expect(failure).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with trust_proxy ["127.0.0.1"] and no ADMIN_TOKEN', () => {
    let inbox: AdminInbox;
    beforeAll(async () => {
      inbox = await startAdminInbox({ trustProxy: ['127.0.0.1'] });
    }, 60_000);
    afterAll(() => inbox?.close());

    it('says at startup that the admin routes answer nobody', () => {
      const [warning] = logLines(
        inbox.server.output(),
        'server.trust_proxy is set and ADMIN_TOKEN is not: the admin API, /events, /metrics and the dashboard answer 401 to every request. Set ADMIN_TOKEN to use them.',
      );
      expect(warning).toMatchObject({ level: 40, trustProxy: ['127.0.0.1'] });
    });

    it('answers 401 on every admin route to the spoofed request, and logs the real client', async () => {
      for (const path of ADMIN_PATHS) {
        const answer = await rawAdminRequest(inbox.url, 'GET', path, SPOOFED);
        expect([path, answer.status, answer.json?.code]).toEqual([path, 401, 'unauthorized']);
      }
      const disable = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { ...SPOOFED, 'content-type': 'application/json' });
      expect(disable.status).toBe(401);
      expect(inbox.ledgerDisabledInDatabase()).toBe(false);
      // The log lines reach the pipe after the answers: wait for all of them.
      await until(() => logLines(inbox.server.output(), 'admin request refused').length === ADMIN_PATHS.length + 1, 'a log line per refusal');
      const refused = logLines(inbox.server.output(), 'admin request refused');
      expect(new Set(refused.map((line) => line.client))).toEqual(new Set(['203.0.113.5']));
    });

    it('is still healthy', async () => {
      expect(await stillHealthy(inbox.url)).toEqual({ health: 200, ingest: 200 });
    });
  });

  describe('with trust_proxy ["127.0.0.1"] and ADMIN_TOKEN', () => {
    let inbox: AdminInbox;
    beforeAll(async () => {
      inbox = await startAdminInbox({ trustProxy: ['127.0.0.1'], adminToken: TOKEN });
    }, 60_000);
    afterAll(() => inbox?.close());

    it('wants the token from the spoofed request too, and lets the token in from the forwarded client', async () => {
      expect((await rawAdminRequest(inbox.url, 'GET', '/admin/api/events', SPOOFED)).status).toBe(401);
      expect(
        (await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { ...SPOOFED, 'content-type': 'application/json' })).status,
      ).toBe(401);
      expect(inbox.ledgerDisabledInDatabase()).toBe(false);
      expect((await rawAdminRequest(inbox.url, 'GET', '/admin/api/events', { ...SPOOFED, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect(
        logLines(
          inbox.server.output(),
          'server.trust_proxy is set and ADMIN_TOKEN is not: the admin API, /events, /metrics and the dashboard answer 401 to every request. Set ADMIN_TOKEN to use them.',
        ),
      ).toEqual([]);
      expect(await stillHealthy(inbox.url)).toEqual({ health: 200, ingest: 200 });
    });
  });
});

describe('case 4: a cross-site state change', () => {
  const EVIL = { origin: 'http://evil.example', host: 'evil.example' };

  describe('without ADMIN_TOKEN', () => {
    let inbox: AdminInbox;
    beforeAll(async () => {
      inbox = await startAdminInbox();
    }, 60_000);
    afterAll(() => inbox?.close());

    const ledgerDisabled = async () => {
      const answer = await rawAdminRequest(inbox.url, 'GET', '/admin/api/destinations');
      expect(answer.status).toBe(200);
      return answer.json.destinations.find((d: { name: string }) => d.name === 'ledger').disabled as boolean;
    };

    it('refuses the issue request (no body), and a JSON one, and leaves the destination enabled', async () => {
      const issue = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', EVIL);
      expect(issue.status).toBe(403);
      expect(issue.json).toEqual({ code: 'forbidden', detail: expect.stringContaining('Host "evil.example" refused') });
      const json = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { ...EVIL, 'content-type': 'application/json' }, '{}');
      expect(json.status).toBe(403);
      // A rebinding page cannot read either.
      expect((await rawAdminRequest(inbox.url, 'GET', '/admin/api/events', EVIL)).status).toBe(403);
      expect(await ledgerDisabled()).toBe(false);
    });

    it('refuses a cross-site Origin on the inbox own Host, and a form-like body from its own page', async () => {
      const crossSite = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', {
        origin: 'http://evil.example',
        'content-type': 'application/json',
      });
      expect(crossSite.status).toBe(403);
      expect(crossSite.json.detail).toBe('Cross-site request refused: Origin "http://evil.example" is not this inbox\'s origin');
      const own = new URL(inbox.url).origin;
      const form = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { origin: own, 'content-type': 'text/plain' }, '{}');
      expect([form.status, form.json.code]).toEqual([415, 'unsupported_media_type']);
      expect(await ledgerDisabled()).toBe(false);
      // The inbox's own page is let through.
      const sameOrigin = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', {
        origin: own,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      });
      expect(sameOrigin.status).toBe(200);
      expect(await ledgerDisabled()).toBe(true);
      expect((await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/enable', { 'content-type': 'application/json' })).status).toBe(200);
    });

    it('is still healthy', async () => {
      expect(await stillHealthy(inbox.url)).toEqual({ health: 200, ingest: 200 });
    });
  });

  describe('with ADMIN_TOKEN', () => {
    let inbox: AdminInbox;
    beforeAll(async () => {
      inbox = await startAdminInbox({ adminToken: TOKEN });
    }, 60_000);
    afterAll(() => inbox?.close());

    it('refuses the issue request with or without the token, and leaves the destination enabled', async () => {
      expect((await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', EVIL)).status).toBe(401);
      // Even a page holding the token could not send it: no JSON content type (a JSON one needs a CORS preflight,
      // which is never answered), and an Origin other than the inbox's own Host.
      const noJson = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { ...EVIL, authorization: `Bearer ${TOKEN}` });
      expect([noJson.status, noJson.json.code]).toEqual([415, 'unsupported_media_type']);
      const crossSite = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', {
        origin: EVIL.origin,
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
      });
      expect([crossSite.status, crossSite.json.code]).toEqual([403, 'forbidden']);
      expect(inbox.ledgerDisabledInDatabase()).toBe(false);
      const ledger = (await rawAdminRequest(inbox.url, 'GET', '/admin/api/destinations', { authorization: `Bearer ${TOKEN}` })).json.destinations[0];
      expect(ledger).toMatchObject({ name: 'ledger', disabled: false });
      expect(await stillHealthy(inbox.url)).toEqual({ health: 200, ingest: 200 });
    });
  });
});
