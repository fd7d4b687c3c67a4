/**
 * SQLite keeps its counts by status (event_counts, delivery_counts) in the writes that change a status, not in
 * triggers (src/store/sqlite/counts.ts). After a mixed run of every such write (inserts with replays, claims,
 * attempt records of each outcome, manual and bulk requeues, failed replays restored, retention), the kept counts
 * equal a recount of the rows.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrations.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import type { AttemptOutcome } from '../../src/store/types.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { attempt, claimOptions, newEvent } from '../store-conformance/fixtures.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keptAndRecounted(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const rows = (sql: string) => db.prepare(sql).all();
    return {
      kept: {
        events: rows('SELECT status, n FROM event_counts WHERE n <> 0 ORDER BY status'),
        deliveries: rows('SELECT destination, status, n FROM delivery_counts WHERE n <> 0 ORDER BY destination, status'),
      },
      recounted: {
        events: rows('SELECT status, count(*) AS n FROM events WHERE pruned_at IS NULL GROUP BY status ORDER BY status'),
        deliveries: rows('SELECT destination, status, count(*) AS n FROM deliveries GROUP BY destination, status ORDER BY destination, status'),
      },
    };
  } finally {
    db.close();
  }
}

it('counts by status stay equal to a recount through every kind of status change', async () => {
  const path = join(dir, 'counts.db');
  const store = makeSqliteStore(path);
  const destinations = [
    { name: 'a', maxInFlight: 100 },
    { name: 'b', maxInFlight: 100 },
  ];
  try {
    const events = Array.from({ length: 30 }, (_, i) => newEvent({ receivedAt: 1_000_000 + i, destinations: i % 3 === 0 ? ['a'] : ['a', 'b'] }));
    // Replays inside the batch and of stored events insert nothing and count nothing.
    await store.insertEvents([...events.slice(0, 20), newEvent({ eventKey: events[0]!.eventKey, payload: events[0]!.payload, destinations: ['a'] })]);
    await store.insertEvents([...events.slice(15), newEvent({ eventKey: events[1]!.eventKey, destinations: ['b'] })]);

    const outcomes: AttemptOutcome[] = [{ kind: 'delivered' }, { kind: 'retry', nextAttemptAt: 2_000_500 }, { kind: 'dead' }];
    const first = await store.claimDeliveries(claimOptions({ limit: 100, destinations }));
    expect(first.length).toBe(50);
    await Promise.all(first.map((d, i) => store.completeAttempt(attempt(d.id, outcomes[i % 3]!))));
    expect(keptAndRecounted(path).kept).toEqual(keptAndRecounted(path).recounted);

    // A manual replay of dead and delivered deliveries; failing, each goes back to what it was.
    expect(await store.requeueDeliveries({ now: 2_001_000, statuses: ['dead', 'delivered'], manual: true, limit: 10 })).toBe(10);
    const replays = await store.claimDeliveries(claimOptions({ now: 2_001_000, limit: 100, destinations }));
    await Promise.all(replays.map((d, i) => store.completeAttempt(attempt(d.id, i % 2 ? { kind: 'restore' } : { kind: 'delivered' }))));
    // A bulk retry of everything dead or failed, then the failed retries come due and are delivered.
    expect(await store.requeueDeliveries({ now: 2_002_000, statuses: ['dead', 'failed'], manual: false })).toBeGreaterThan(0);
    const retries = await store.claimDeliveries(claimOptions({ now: 2_002_000, limit: 100, destinations }));
    await Promise.all(retries.map((d, i) => store.completeAttempt(attempt(d.id, i % 4 === 0 ? { kind: 'dead' } : { kind: 'delivered' }))));
    const mid = keptAndRecounted(path);
    expect(mid.kept).toEqual(mid.recounted);
    expect(mid.recounted.events.length).toBeGreaterThan(1);

    // Retention turns delivered events into tombstones (not counted) and deletes their deliveries.
    expect(await store.pruneDelivered({ before: 3_000_000, now: 2_003_000, limit: 100 })).toBeGreaterThan(0);
    const after = keptAndRecounted(path);
    expect(after.kept).toEqual(after.recounted);
  } finally {
    await store.close();
  }
});

it('a database made before the counts moved out of triggers keeps its counts, and its key search finds its events', async () => {
  const path = join(dir, 'upgraded.db');
  // The schema as version 006 left it, with rows counted by its triggers.
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of readMigrations(new URL('../../src/store/sqlite/migrations/', import.meta.url)).filter((m) => m.version <= 6)) {
    old.exec(m.sql);
    old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  const insertEvent = old.prepare(
    "INSERT INTO events (id, source, event_key, event_type, received_at, payload, headers, payload_sha256) VALUES (?, ?, ?, 'charge.succeeded', ?, x'7b7d', '{}', 'sha')",
  );
  const insertDelivery = old.prepare(
    "INSERT INTO deliveries (id, event_id, destination, status, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'a', 'pending', 1000000, 1000000, 1000000)",
  );
  for (let i = 0; i < 5; i++) {
    insertEvent.run(`msg_old_${i}`, i % 2 ? 'github' : 'stripe', `evt_old_${i}`, 1_000_000 + i);
    insertDelivery.run(`dlv_old_${i}`, `msg_old_${i}`);
  }
  old.close();

  const store = makeSqliteStore(path);
  try {
    expect((await store.listEvents({ limit: 10, keyPrefix: 'evt_old_' })).items).toHaveLength(5);
    await store.insertEvents([newEvent({ eventKey: 'evt_old_new', receivedAt: 1_000_010, destinations: ['a'] })]);
    const claimed = await store.claimDeliveries(claimOptions({ limit: 100, destinations: [{ name: 'a', maxInFlight: 100 }] }));
    expect(claimed).toHaveLength(6);
    await Promise.all(claimed.map((d, i) => store.completeAttempt(attempt(d.id, i % 2 ? { kind: 'delivered' } : { kind: 'dead' }))));
    expect((await store.listEvents({ limit: 10, keyPrefix: 'evt_old_' })).items).toHaveLength(6);
  } finally {
    await store.close();
  }
  const { kept, recounted } = keptAndRecounted(path);
  expect(kept).toEqual(recounted);
  expect(recounted.events).toEqual([
    { status: 'dead', n: 3 },
    { status: 'delivered', n: 3 },
  ]);
});
