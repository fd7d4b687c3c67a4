/** SIGTERM drains in-flight requests, answers them, closes the database cleanly and exits 0. */
import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/inbox.ts';
import { startServerProcess } from '../helpers/child.ts';
import { signedStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('drains in-flight requests on SIGTERM and closes the database', async () => {
  const env = { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db') };
  const server = await startServerProcess(env);
  const ids = Array.from({ length: 100 }, (_, i) => `evt_term_${i}`);
  const requests = ids.map(async (id) => {
    const signed = signedStripe(stripeEvent({ id }));
    try {
      // The timeout is for the client: now and then Node's fetch leaves a request whose connection was refused
      // mid-shutdown pending forever, with no socket left open to the server (seen with `ss`). That request
      // never reached the server, like any other refused one (0).
      const res = await fetch(`${server.url}/webhooks/provider`, {
        method: 'POST',
        headers: signed.headers,
        body: new Uint8Array(signed.body),
        signal: AbortSignal.timeout(10_000),
      });
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
