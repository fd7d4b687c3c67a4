/**
 * Delivery bookkeeping runs on the SQLite writer thread like ingest does: while the thread is down, a claim, an
 * attempt record, a requeue and a lease release fail with StorageUnavailableError (the worker retries later)
 * and change nothing; once a new thread is up, the same calls succeed and nothing was lost or duplicated.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../src/store/storage-error.ts';
import { openStore } from '../../src/store/index.ts';
import { WRITER_THREAD_NAME } from '../../src/store/sqlite/writer-spawn.ts';
import { attempt, claimOptions, newEvent } from '../store-conformance/fixtures.ts';
import { exitThread } from '../helpers/durability-threads.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { until } from '../metrics/receiver.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('claims, attempt records, requeues and releases answer StorageUnavailableError while the writer thread is down, then work again', async () => {
  let restarts = 0;
  const store = await openStore({ databasePath: join(dir, 'app.db'), databaseUrl: null, ingest: { sqliteWriterThread: true } }, undefined, {
    writerRestarted: () => restarts++,
  });
  try {
    const events = [newEvent({ destinations: ['dest'] }), newEvent({ destinations: ['dest'] })];
    await store.insertEvents(events);
    const [first] = await store.claimDeliveries(claimOptions({ limit: 1 }));
    expect(first).toBeDefined();
    expect(Buffer.isBuffer(first!.payload)).toBe(true);
    expect(first!.payload.equals(events[0]!.payload)).toBe(true);

    await exitThread(WRITER_THREAD_NAME);
    await until(
      () =>
        store.ping().then(
          () => false,
          () => true,
        ),
      'the store to report the thread down',
    );
    await expect(store.claimDeliveries(claimOptions({ workerId: 'worker-b' }))).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.completeAttempt(attempt(first!.id, { kind: 'delivered' }))).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.requeueDeliveries({ now: 2_000_000, statuses: ['pending'], manual: false })).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.releaseLeases('worker-a')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.sealAudit(10, 2_000_000)).rejects.toBeInstanceOf(StorageUnavailableError);

    await until(() => restarts === 1, 'the writer thread to start again', 10_000);
    // Nothing above changed a row: the first lease still holds, the second delivery is still due.
    const second = await store.claimDeliveries(claimOptions({ workerId: 'worker-b' }));
    expect(second.map((d) => d.eventId)).toEqual([events[1]!.id]);
    expect(await store.completeAttempt(attempt(first!.id, { kind: 'delivered' }))).toBe(true);
    expect(await store.completeAttempt(attempt(second[0]!.id, { kind: 'delivered' }, { workerId: 'worker-b' }))).toBe(true);
    const stored = await Promise.all(events.map((e) => store.getEvent(e.id)));
    expect(stored.map((e) => [e!.status, e!.deliveries[0]!.attempts.length])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
    ]);
  } finally {
    await store.close();
  }
});

it('reports each transaction as the writer thread ran it: concurrent insert calls merged into fewer commits', async () => {
  const store = await openStore({ databasePath: join(dir, 'merged.db'), databaseUrl: null, ingest: { sqliteWriterThread: true } });
  try {
    const commits: { events: number; committed: boolean }[] = [];
    store.observeCommits!((events, _seconds, committed) => commits.push({ events, committed }));
    await Promise.all(Array.from({ length: 40 }, () => store.insertEvents([newEvent()])));
    await until(() => commits.reduce((n, c) => n + c.events, 0) === 40, 'every event reported');
    expect(commits.every((c) => c.committed)).toBe(true);
    expect(commits.length).toBeLessThan(40);
  } finally {
    await store.close();
  }
});
