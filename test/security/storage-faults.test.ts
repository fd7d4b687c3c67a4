/**
 * Storage faults on SQLite: the database's file system fills up (a small tmpfs mounted for the test).
 * Ingest answers 503 + Retry-After, acknowledges nothing it did not store, and recovers without a restart.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir, startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';

const dir = makeTempDir();
const mnt = join(dir, 'small-disk');
let t: TestInbox;

beforeAll(async () => {
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]);
  } catch (err) {
    throw new Error(`this test mounts a 3 MiB tmpfs to fill a disk and needs root: ${(err as Error).message}`);
  }
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(mnt, 'app.db') } });
});

afterAll(async () => {
  await t?.close().catch(() => {});
  execFileSync('umount', ['-l', mnt]);
  rmSync(dir, { recursive: true, force: true });
});

function fillDisk(): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(mnt, `filler-${i}`), chunk);
    } catch {
      return; // ENOSPC: the disk is full
    }
  }
}

it('answers 503 + Retry-After on a full disk, stores nothing it did not acknowledge, and recovers', async () => {
  expect((await postStripe(t.url, stripeEvent({ id: 'evt_before_full' }))).status).toBe(200);
  fillDisk();
  const pad = 'p'.repeat(100 * 1024);
  const during = [];
  for (let i = 0; i < 5; i++) during.push({ id: `evt_full_${i}`, res: await postStripe(t.url, stripeEvent({ id: `evt_full_${i}`, pad })) });
  const refused = during.filter((d) => d.res.status === 503);
  expect(refused.length).toBeGreaterThan(0);
  for (const d of refused) {
    expect(d.res.json).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
    expect(d.res.headers.get('retry-after')).toBe('1');
  }
  expect(during.every((d) => d.res.status === 200 || d.res.status === 503)).toBe(true);

  // Free the disk: the same process takes events again, including the ones refused before.
  execFileSync('sh', ['-c', `rm -f ${mnt}/filler-*`]);
  for (const d of refused) expect((await postStripe(t.url, stripeEvent({ id: d.id, pad }))).json).toEqual({ status: 'received' });
  const stored = new Set((await t.inbox.store.listEvents({ limit: 50 })).items.map((e) => e.eventKey));
  for (const d of during) if (d.res.status === 200) expect(stored.has(d.id)).toBe(true);
  for (const d of refused) expect(stored.has(d.id)).toBe(true);
  expect((await fetch(`${t.url}/health`)).status).toBe(200);
});
