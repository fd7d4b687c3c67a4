/** Group commit over a real SQLite file: batching, the batch bound, all-or-nothing failure, the pending cap. */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { StorageUnavailableError } from '../../src/store/storage-error.ts';
import { makeCommitQueue } from '../../src/ingest/commit-queue.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import type { NewEvent, Store } from '../../src/store/types.ts';
import { makeTempDir } from '../helpers/inbox.ts';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = makeTempDir();
  store = makeSqliteStore(join(dir, 'app.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function event(key: string): NewEvent {
  return {
    id: `msg_${key}`,
    source: 's',
    eventKey: key,
    eventType: 't',
    providerCreatedAt: null,
    receivedAt: Date.now(),
    payload: Buffer.from(key),
    headers: {},
    payloadSha256: key,
    secretLabel: null,
    deliveries: [],
  };
}
const tuning = (over: Partial<Parameters<typeof makeCommitQueue>[1]> = {}) => ({
  batchMax: 256,
  batchWaitMs: 0,
  maxPending: 10_000,
  maxCommitsInFlight: 2,
  rateLimit: null,
  sqliteWriterThread: false,
  ...over,
});

describe('commit queue', () => {
  it('gathers concurrent submissions into few commits, each within batch_max, answering each with its own outcome', async () => {
    const commits: number[] = [];
    const queue = makeCommitQueue(store, tuning({ batchMax: 16 }), (n) => commits.push(n));
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => queue.submit([event(`k${i % 80}`)])));
    expect(commits.reduce((a, b) => a + b, 0)).toBe(100);
    expect(commits.length).toBeLessThan(20);
    expect(Math.max(...commits)).toBeLessThanOrEqual(16);
    expect(outcomes.filter(([o]) => o!.inserted)).toHaveLength(80);
    expect((await store.listEvents({ limit: 500 })).items).toHaveLength(80);
  });

  it('never splits one submission (a batch provider request) across commits', async () => {
    const commits: number[] = [];
    const queue = makeCommitQueue(store, tuning({ batchMax: 4 }), (n) => commits.push(n));
    await Promise.all([queue.submit([event('a'), event('b'), event('c')]), queue.submit([event('d'), event('e')]), queue.submit([event('f')])]);
    expect(commits).toEqual([3, 3]);
  });

  it('rejects every request of a failed commit and stores none of them', async () => {
    const locker = new Database(join(dir, 'app.db'));
    locker.exec('BEGIN EXCLUSIVE');
    const queue = makeCommitQueue(store, tuning());
    const results = await Promise.allSettled(['x1', 'x2', 'x3'].map((k) => queue.submit([event(k)])));
    locker.exec('ROLLBACK');
    locker.close();
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof StorageUnavailableError)).toBe(true);
    expect((await store.listEvents({ limit: 10 })).items).toHaveLength(0);
  });

  it('refuses past max_pending with overloaded instead of queueing', async () => {
    const queue = makeCommitQueue(store, tuning({ maxPending: 3 }));
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => queue.submit([event(`p${i}`)])));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(2);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
    expect(((refused[0] as PromiseRejectedResult).reason as ApiError).code).toBe('overloaded');
    expect(queue.pending()).toBe(0);
  });
});
