/** Tamper-evident audit log: `filab audit verify` passes on an intact database and names the first altered event. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/child.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';

let t: TestInbox;
let dbPath: string;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
  dbPath = join(t.dir, 'app.db');
  for (let i = 0; i < 10; i++) expect((await postStripe(t.url, stripeEvent({ id: `evt_audit_${i}` }))).status).toBe(200);
  // The background sealer may already have sealed some (its interval can pass while a busy machine posts):
  // what matters is that all ten are in the chain now.
  await t.inbox.maintenance.sealNow();
  const db = new Database(dbPath, { readonly: true });
  try {
    expect(db.prepare('SELECT count(*) AS n FROM audit_entries').get()).toEqual({ n: 10 });
  } finally {
    db.close();
  }
});
afterAll(() => t.close());

it('verifies an intact chain', async () => {
  const { code, stdout } = await runCli(['audit', 'verify'], { DATABASE_PATH: dbPath }, t.dir);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^OK {6}provider: 10 entries, head [0-9a-f]{64}$/m);
});

it('reports the first altered byte with its position and event, and nothing before it', async () => {
  const db = new Database(dbPath);
  const victim = db.prepare("SELECT id, payload FROM events WHERE event_key = 'evt_audit_6'").get() as { id: string; payload: Buffer };
  const altered = Buffer.from(victim.payload);
  altered[altered.indexOf('pi_123')] = 'P'.charCodeAt(0);
  db.prepare('UPDATE events SET payload = ? WHERE id = ?').run(altered, victim.id);
  db.close();
  const { code, stdout } = await runCli(['audit', 'verify', '--json'], { DATABASE_PATH: dbPath }, t.dir);
  expect(code).toBe(1);
  const report = JSON.parse(stdout) as {
    ok: boolean;
    sources: { source: string; verdict: { ok: boolean; entries: number; brokenAt: { seq: number; eventId: string; reason: string } } }[];
  };
  expect(report.ok).toBe(false);
  expect(report.sources[0]!.verdict).toMatchObject({
    ok: false,
    entries: 6,
    brokenAt: { seq: 7, eventId: victim.id, reason: expect.stringContaining('content differs') },
  });
});

it('reports a deleted audit entry as a broken link', async () => {
  const db = new Database(dbPath);
  db.prepare("DELETE FROM audit_entries WHERE source = 'provider' AND position = 3").run();
  db.close();
  const { code, stdout } = await runCli(['audit', 'verify'], { DATABASE_PATH: dbPath }, t.dir);
  expect(code).toBe(1);
  expect(stdout).toContain('first broken link at position 4');
});
