/**
 * The admin access matrix, end to end with real `filab serve` processes:
 * {no proxy, trusted proxy 127.0.0.1} x {ADMIN_TOKEN set, unset} x where the request comes from.
 * Each cell sends a read (GET /admin/api/destinations) and a state change (POST .../ledger/disable, the way the
 * CLI does: JSON content type, no Origin) and expects a status for each. Where the change is refused, the
 * destination must still be enabled; where it is allowed, it is enabled again for the next cell.
 *
 * All test traffic comes from 127.0.0.1. "Remote" clients are therefore made by the trusted proxy's
 * X-Forwarded-For, and without trust_proxy that header must change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdminRequest, startAdminInbox, stillHealthy, type AdminInbox } from '../helpers/admin-inbox.ts';

const TOKEN = 'matrix-admin-token-5d1e';

type Situation =
  | 'loopback'
  | 'forwarded remote'
  | 'spoofed X-Forwarded-For'
  | 'foreign Host'
  | 'cross-site Origin'
  | 'cross-site Sec-Fetch-Site'
  | 'no token presented';

/** What each situation adds to a request (all from 127.0.0.1; the token, when one is configured, is added separately). */
const SITUATIONS: Record<Situation, Record<string, string>> = {
  loopback: {},
  'forwarded remote': { 'x-forwarded-for': '203.0.113.5' },
  'spoofed X-Forwarded-For': { 'x-forwarded-for': '127.0.0.1, 203.0.113.5' },
  'foreign Host': { host: 'evil.example' },
  'cross-site Origin': { origin: 'http://evil.example' },
  'cross-site Sec-Fetch-Site': { 'sec-fetch-site': 'cross-site' },
  'no token presented': {},
};

interface Config {
  name: string;
  trustProxy?: string[];
  adminToken?: string;
}

const CONFIGS: Record<string, Config> = {
  'no proxy, no token': { name: 'no proxy, no token' },
  'no proxy, token': { name: 'no proxy, token', adminToken: TOKEN },
  'trusted proxy, no token': { name: 'trusted proxy, no token', trustProxy: ['127.0.0.1'] },
  'trusted proxy, token': { name: 'trusted proxy, token', trustProxy: ['127.0.0.1'], adminToken: TOKEN },
};

/** [situation, read status, state change status] per configuration. */
const MATRIX: Record<keyof typeof CONFIGS, [Situation, number, number][]> = {
  'no proxy, no token': [
    ['loopback', 200, 200],
    ['forwarded remote', 200, 200], // X-Forwarded-For ignored: the peer is loopback
    ['spoofed X-Forwarded-For', 200, 200],
    ['foreign Host', 403, 403], // DNS rebinding
    ['cross-site Origin', 200, 403], // reads are not cross-site actions; the browser keeps the answer from the page
    ['cross-site Sec-Fetch-Site', 200, 403],
  ],
  'no proxy, token': [
    ['loopback', 200, 200],
    ['forwarded remote', 200, 200],
    ['spoofed X-Forwarded-For', 200, 200],
    ['foreign Host', 200, 200], // a rebinding page has no token
    ['cross-site Origin', 200, 403], // even carrying the token
    ['cross-site Sec-Fetch-Site', 200, 403],
    ['no token presented', 401, 401],
  ],
  'trusted proxy, no token': [
    ['loopback', 401, 401], // behind a proxy every request comes from the proxy: nobody without a token
    ['forwarded remote', 401, 401],
    ['spoofed X-Forwarded-For', 401, 401], // issue 17 case 3
    ['foreign Host', 401, 401],
    ['cross-site Origin', 401, 401],
    ['cross-site Sec-Fetch-Site', 401, 401],
  ],
  'trusted proxy, token': [
    ['loopback', 200, 200],
    ['forwarded remote', 200, 200],
    ['spoofed X-Forwarded-For', 200, 200],
    ['foreign Host', 200, 200],
    ['cross-site Origin', 200, 403],
    ['cross-site Sec-Fetch-Site', 200, 403],
    ['no token presented', 401, 401],
  ],
};

const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden' };

for (const [configName, rows] of Object.entries(MATRIX)) {
  const config = CONFIGS[configName]!;
  describe(`admin access: ${configName}`, () => {
    let inbox: AdminInbox;
    beforeAll(async () => {
      inbox = await startAdminInbox({
        ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
        ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      });
    }, 60_000);
    afterAll(() => inbox?.close());

    const tokenHeader = (situation: Situation): Record<string, string> =>
      config.adminToken && situation !== 'no token presented' ? { authorization: `Bearer ${config.adminToken}` } : {};
    /** The request this configuration does allow, to look at the destination over HTTP; null when none is. */
    const allowed = config.trustProxy && !config.adminToken ? null : tokenHeader('loopback');

    async function ledgerDisabled(): Promise<boolean> {
      const fromDatabase = inbox.ledgerDisabledInDatabase();
      if (allowed === null) return fromDatabase;
      const answer = await rawAdminRequest(inbox.url, 'GET', '/admin/api/destinations', allowed);
      expect(answer.status).toBe(200);
      const fromApi = answer.json.destinations.find((d: { name: string }) => d.name === 'ledger').disabled as boolean;
      expect(fromApi).toBe(fromDatabase);
      return fromApi;
    }

    for (const [situation, readStatus, changeStatus] of rows) {
      it(`${situation}: read ${readStatus}, state change ${changeStatus}`, async () => {
        const headers = { ...SITUATIONS[situation], ...tokenHeader(situation) };
        const read = await rawAdminRequest(inbox.url, 'GET', '/admin/api/destinations', headers);
        expect(read.status).toBe(readStatus);
        if (readStatus !== 200) expect(read.json.code).toBe(CODES[readStatus]);

        expect(await ledgerDisabled()).toBe(false);
        const change = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/disable', { ...headers, 'content-type': 'application/json' });
        expect(change.status).toBe(changeStatus);
        if (changeStatus === 200) {
          expect(change.json).toMatchObject({ name: 'ledger', disabled: true });
          expect(await ledgerDisabled()).toBe(true);
          const enable = await rawAdminRequest(inbox.url, 'POST', '/admin/api/destinations/ledger/enable', { ...allowed, 'content-type': 'application/json' });
          expect(enable.status).toBe(200);
        } else {
          expect(change.json.code).toBe(CODES[changeStatus]);
        }
        expect(await ledgerDisabled()).toBe(false);
      });
    }

    it('is still healthy: /health 200, ingest 200', async () => {
      expect(await stillHealthy(inbox.url)).toEqual({ health: 200, ingest: 200 });
      expect(inbox.server.child.exitCode).toBeNull();
    });
  });
}
