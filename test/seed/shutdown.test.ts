/** SIGTERM drains in-flight requests, answers them, closes the database cleanly and exits 0. */
import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/inbox.ts';
import { startServerProcess } from '../helpers/child.ts';
import { postWhileStopping, signedStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('drains in-flight requests on SIGTERM and closes the database', async () => {
  const env = { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db') };
  const server = await startServerProcess(env);
  const ids = Array.from({ length: 100 }, (_, i) => `evt_term_${i}`);
  const requests = ids.map(async (id) => {
    const signed = signedStripe(stripeEvent({ id }));
    try {
      const res = await postWhileStopping(`${server.url}/webhooks/provider`, signed);
      return { id, status: res.status };
    } catch {
      return { id, status: 0 };
    }
  });
  setTimeout(() => server.child.kill('SIGTERM'), 5);
  const results = await Promise.all(requests);
  expect(await server.exited).toBe(0);
  expect(server.output()).toContain('stopping: no new claims, finishing in-flight work');
  // A clean close checkpoints the WAL and removes it.
  expect(existsSync(`${env.DATABASE_PATH}-wal`)).toBe(false);

  const db = new Database(env.DATABASE_PATH, { readonly: true });
  const stored = new Set(db.prepare('SELECT event_key FROM events').pluck().all() as string[]);
  db.close();
  const answered = results.filter((r) => r.status === 200);
  expect(answered.every((r) => stored.has(r.id))).toBe(true);
  // Nothing half-done: every request was answered 200, refused before it started (0), or told to retry (503).
  expect(results.every((r) => [0, 200, 503].includes(r.status))).toBe(true);
});
