import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventContentHash, verifyEntries } from '../../src/audit/chain.ts';
import { StorageUnavailableError } from '../../src/store/storage-error.ts';
import { CHAIN_HEADS } from '../../src/store/postgres/audit.ts';
import { makePostgresStore } from '../../src/store/postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { describeStoreConformance } from './conformance.ts';
import { attempt, claimOptions, newEvent } from './fixtures.ts';

let db: TestDatabase;
/** Our own connection to the test database, to empty it between tests. */
let direct: pg.Client;
const TABLES = 'events, deliveries, attempts, destination_states, audit_entries, audit_pending, audit_pruned';

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describeStoreConformance('postgres', {
  setup: async () => {
    const store = await makePostgresStore({ url: db.url, poolSize: 4 });
    await store.migrate();
    await store.close();
    direct = new pg.Client(db.url);
    await direct.connect();
  },
  // One database per file (CREATE DATABASE is slow); each test starts from empty tables.
  fresh: async () => {
    await direct.query(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
    return makePostgresStore({ url: db.url, poolSize: 4 });
  },
  execute: async (sql) => void (await direct.query(sql)),
  teardown: async () => direct?.end(),
});

/** A store on emptied tables, and a direct connection to look at (or age) its rows. */
async function emptyStoreWithClient() {
  const store = await makePostgresStore({ url: db.url, poolSize: 2 });
  const sql = new pg.Client(db.url);
  await sql.connect();
  await store.migrate();
  await sql.query(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
  return { store, sql };
}

describe('postgres specifics', () => {
  it('queues each new event with its content hash, and still seals events queued without one by older versions', async () => {
    const { store, sql } = await emptyStoreWithClient();
    try {
      const first = newEvent({ receivedAt: 1_000_000 });
      await store.insertEvents([first]);
      const queued = await sql.query('SELECT source, content_hash, hash_version FROM audit_pending');
      const content = eventContentHash({ ...first, headersJson: JSON.stringify(first.headers), contentDigest: null }, first.payloadSha256);
      expect(queued.rows).toEqual([{ source: 'stripe', content_hash: content, hash_version: 2 }]);
      // As an older version left it: the pending row names the event only.
      const legacy = newEvent({ receivedAt: 1_000_001 });
      await store.insertEvents([legacy]);
      await sql.query('UPDATE audit_pending SET source = NULL, content_hash = NULL WHERE event_id = $1', [legacy.id]);
      expect(await store.sealAudit(100, 2_000_000)).toBe(2);
      const entries = await store.listAuditEntries('stripe', 0, 10);
      expect(entries.map((e) => e.eventId)).toEqual([first.id, legacy.id]);
      expect(verifyEntries(entries)).toMatchObject({ ok: true, entries: 2 });
    } finally {
      await Promise.all([store.close(), sql.end()]);
    }
  });

  it('finds a chain head by reading one entry per source, however long the chain', async () => {
    const { store, sql } = await emptyStoreWithClient();
    try {
      await sql.query(
        `INSERT INTO audit_entries (source, position, event_id, content_hash, prev_hash, entry_hash, sealed_at)
         SELECT src, n, src || '_' || n, 'c', 'p', 'h' || n, 0 FROM unnest(ARRAY['stripe', 'github']) src, generate_series(1, 3000) n`,
      );
      await sql.query('ANALYZE audit_entries');
      const heads = await sql.query(CHAIN_HEADS, [['stripe', 'github', 'none']]);
      // (This direct client reads bigint as text.)
      expect(heads.rows.map((r) => `${r.source}:${r.position}:${r.entry_hash}`).sort()).toEqual(['github:3000:h3000', 'stripe:3000:h3000']);
      const plan = (await sql.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${CHAIN_HEADS}`, [['stripe', 'github', 'none']])).rows[0]['QUERY PLAN'][0].Plan;
      const scans: { rows: number; loops: number }[] = [];
      const walk = (node: Record<string, unknown>) => {
        if (node['Relation Name'] === 'audit_entries') scans.push({ rows: node['Actual Rows'] as number, loops: node['Actual Loops'] as number });
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk(plan);
      expect(scans.length).toBeGreaterThan(0);
      // Actual Rows is per loop: at most one entry read for each of the three sources.
      for (const scan of scans) expect(scan.rows * scan.loops).toBeLessThanOrEqual(3);
    } finally {
      await sql.end();
      await store.close();
    }
  });

  it('two processes recording attempts of the same events at once never deadlock', async () => {
    const { store: a, sql } = await emptyStoreWithClient();
    const b = await makePostgresStore({ url: db.url, poolSize: 2 });
    try {
      for (let round = 0; round < 3; round++) {
        const events = Array.from({ length: 30 }, () => newEvent({ destinations: ['left', 'right'] }));
        await a.insertEvents(events);
        const now = 2_000_000 + round * 1_000_000;
        const mine = await a.claimDeliveries(claimOptions({ now, workerId: 'worker-a', limit: 30, destinations: [{ name: 'left', maxInFlight: 30 }] }));
        const theirs = await b.claimDeliveries(claimOptions({ now, workerId: 'worker-b', limit: 30, destinations: [{ name: 'right', maxInFlight: 30 }] }));
        expect([mine.length, theirs.length]).toEqual([30, 30]);
        // Each process records its half in one transaction; both lock the same 30 event rows, and the second
        // finishes its attempts in the opposite order: taken in arrival order, the locks would cross.
        const kept = await Promise.all([
          ...mine.map((d) => a.completeAttempt(attempt(d.id, { kind: 'delivered' }, { workerId: 'worker-a', startedAt: now }))),
          ...[...theirs].reverse().map((d) => b.completeAttempt(attempt(d.id, { kind: 'delivered' }, { workerId: 'worker-b', startedAt: now }))),
        ]);
        expect(kept.every((k) => k)).toBe(true);
        const statuses = await sql.query('SELECT status, count(*)::int AS n FROM events WHERE id = ANY($1) GROUP BY status', [events.map((e) => e.id)]);
        expect(statuses.rows).toEqual([{ status: 'delivered', n: 30 }]);
      }
    } finally {
      await sql.end();
      await a.close();
      await b.close();
    }
  });

  it('wakes a subscriber in another process (another store) through NOTIFY', async () => {
    const a = await makePostgresStore({ url: db.url, poolSize: 2 });
    const b = await makePostgresStore({ url: db.url, poolSize: 2 });
    try {
      let woken = 0;
      b.subscribeDue(() => woken++);
      await waitFor(() => woken > 0); // the first wake comes when LISTEN is up
      const before = woken;
      await a.insertEvents([newEvent({ destinations: ['dest'] })]);
      await waitFor(() => woken > before);
      expect(await b.pendingMigrations!()).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('one delivery per ordering key at a time, also when an earlier seq commits after a later one was leased', async () => {
    // Two ingest transactions draw seq values, then commit in the opposite order: the later seq is claimed
    // first, then the earlier one becomes visible. It must wait for the leased one rather than run beside it.
    const { store, sql } = await emptyStoreWithClient();
    try {
      await sql.query("SELECT setval(pg_get_serial_sequence('deliveries', 'seq'), 100)");
      const later = newEvent({ receivedAt: 1_000_000, destinations: [['dest', 'cus_1']] });
      await store.insertEvents([later]);
      const options = { now: 2_000_000, workerId: 'w', leaseMs: 30_000, limit: 10, destinations: [{ name: 'dest', maxInFlight: 10 }] };
      expect((await store.claimDeliveries(options)).map((c) => c.eventId)).toEqual([later.id]);
      // The earlier transaction commits now, with the seq it drew before (lower than the leased one's).
      const earlier = newEvent({ receivedAt: 1_000_000, destinations: [] });
      await store.insertEvents([earlier]);
      await sql.query(
        `INSERT INTO deliveries (seq, id, event_id, destination, status, next_attempt_at, ordering_key, created_at, updated_at)
         VALUES (1, 'dlv_earlier', $1, 'dest', 'pending', 1000000, 'cus_1', 1000000, 1000000)`,
        [earlier.id],
      );
      expect(await store.claimDeliveries({ ...options, workerId: 'w2' })).toEqual([]);
      // Once the leased one is finished, the late one goes.
      const [leased] = (await store.getEvent(later.id))!.deliveries;
      expect(
        await store.completeAttempt({
          deliveryId: leased!.id,
          workerId: 'w',
          attemptId: 'att_1',
          startedAt: 2_000_000,
          durationMs: 5,
          statusCode: 200,
          error: null,
          responseSnippet: null,
          outcome: { kind: 'delivered' },
        }),
      ).toBe(true);
      expect((await store.claimDeliveries({ ...options, workerId: 'w2' })).map((c) => c.id)).toEqual(['dlv_earlier']);
    } finally {
      await sql.end();
      await store.close();
    }
  });

  it('an unreachable server is StorageUnavailableError (503 + Retry-After), never a crash', async () => {
    const store = await makePostgresStore({ url: 'postgres://postgres@127.0.0.1:1/nothing', poolSize: 1 });
    try {
      await expect(store.insertEvents([newEvent({ destinations: ['dest'] })])).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(
        store.claimDeliveries({ now: 1, workerId: 'w', leaseMs: 1000, limit: 1, destinations: [{ name: 'dest', maxInFlight: 1 }] }),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.migrate()).rejects.toBeInstanceOf(StorageUnavailableError);
      const unsubscribe = store.subscribeDue(() => {}); // LISTEN keeps retrying quietly in the background
      unsubscribe();
    } finally {
      await store.close();
    }
  });

  it('a statement killed by statement_timeout or a lost lock wait is StorageUnavailableError too', async () => {
    const store = await makePostgresStore({ url: db.url, poolSize: 2 });
    const blocker = new pg.Client(db.url);
    await blocker.connect();
    try {
      // Hold the claim lock of destination "dest" so a claim waits for it until lock_timeout (5 s) gives up.
      await blocker.query('BEGIN');
      await blocker.query("SELECT pg_advisory_xact_lock(hashtext('filab:claim:' || 'dest'))");
      const started = Date.now();
      await expect(
        store.claimDeliveries({ now: 1, workerId: 'w', leaseMs: 1000, limit: 1, destinations: [{ name: 'dest', maxInFlight: 1 }] }),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await store.close();
    }
  }, 20_000);

  it('migrate is safe when several processes run it at once', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => makePostgresStore({ url: db.url, poolSize: 1 })));
    await Promise.all(stores.map((s) => s.migrate()));
    expect(await stores[0]!.pendingMigrations!()).toEqual([]);
    await Promise.all(stores.map((s) => s.close()));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
