/**
 * Durability: a real server process is killed with SIGKILL mid-load; after a restart on the same file,
 * every event it acknowledged is still there (WAL + synchronous=FULL, and no 2xx before COMMIT).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/inbox.ts';
import { startServerProcess } from '../helpers/child.ts';
import { postWhileStopping, signedStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';
import { rmSync } from 'node:fs';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it.each([
  ['on the event loop', '0'],
  ['on the writer thread', '1'],
])('keeps every acknowledged event across kill -9 and restart (SQLite commits %s)', async (_label, writerThread) => {
  const env = { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, `app-${writerThread}.db`), SQLITE_WRITER_THREAD: writerThread };
  const server = await startServerProcess(env);
  const acknowledged: string[] = [];
  let sent = 0;
  let stop = false;

  async function sender(worker: number): Promise<void> {
    for (let i = 0; !stop; i++) {
      const id = `evt_dur_${worker}_${i}`;
      const signed = signedStripe(stripeEvent({ id }));
      sent++;
      try {
        const res = await postWhileStopping(`${server.url}/webhooks/provider`, signed);
        if (res.status === 200 && (await res.text()) === '{"status":"received"}') acknowledged.push(id);
      } catch {
        return; // the server is gone: anything unanswered was never acknowledged
      }
    }
  }
  const senders = Array.from({ length: 8 }, (_, w) => sender(w));
  while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 10));
  server.child.kill('SIGKILL');
  stop = true;
  await Promise.all(senders);
  expect(await server.exited).toBe('SIGKILL');

  const restarted = await startServerProcess(env);
  try {
    const health = await fetch(`${restarted.url}/health`);
    expect(health.status).toBe(200);
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    const stored = new Set(db.prepare('SELECT event_key FROM events').pluck().all() as string[]);
    db.close();
    const lost = acknowledged.filter((id) => !stored.has(id));
    console.log(`durability: sent=${sent} acknowledged=${acknowledged.length} stored=${stored.size} lost=${lost.length}`);
    expect(lost).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
  } finally {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
});
