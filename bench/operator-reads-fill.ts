/**
 * Fill a SQLite file or a PostgreSQL database, migrated by the real migrations, with many stored events shaped
 * like an inbox that has run for a month: skewed sources (one with almost nothing), a handful of event types per
 * source, mostly delivered with a few failed, dead and not yet delivered, one or two deliveries each, attempts for
 * the failed and dead ones and for the last day, and the oldest events pruned to tombstones.
 * Rows go in batches of 10,000, one transaction each. The migrations' secondary indexes (all but those of unique
 * constraints) are dropped for the fill and created again from their own definitions after it: built in one pass
 * each instead of row by row, the same indexes in a fraction of the time.
 */
import pg from 'pg';
import { migratePostgres } from '../src/store/postgres/migrate.ts';
import { migrateSqlite } from '../src/store/sqlite/migrate.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';

export const BATCH = 10_000;
export const DAY_MS = 86_400_000;

/** Sources with their share of events and their event types (types never shared between sources). */
export const SOURCES = [
  { name: 'stripe', share: 0.6, types: ['payment_intent.succeeded', 'charge.refunded', 'invoice.paid', 'customer.created', 'payout.paid'] },
  { name: 'github', share: 0.3, types: ['push', 'pull_request', 'issues', 'release'] },
  { name: 'shopify', share: 0.0999, types: ['orders/create', 'orders/paid', 'refunds/create'] },
  { name: 'quiet', share: 0.0001, types: ['ping'] },
] as const;
export const DESTINATIONS = ['ledger', 'analytics'] as const;

export interface FilledEvent {
  seq: number;
  id: string;
  source: string;
  eventKey: string;
  eventType: string;
  receivedAt: number;
  status: 'received' | 'delivered' | 'failed' | 'dead';
  prunedAt: number | null;
  payload: string;
}

export interface FillShape {
  events: number;
  /** receivedAt of the newest event; the oldest is 30 days before. */
  now: number;
  /** A few stored keys, for prefix and detail queries. */
  sampleKeys: string[];
  sampleIds: string[];
}

/** A small seeded generator: the same rows on every run and on both backends. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Events in receipt order, batch by batch. */
export function* eventBatches(count: number, now: number): Generator<FilledEvent[]> {
  const next = random(18);
  const start = now - 30 * DAY_MS;
  const pruneBefore = Math.floor(count * 0.02); // the oldest 2% are tombstones
  let batch: FilledEvent[] = [];
  for (let i = 0; i < count; i++) {
    let pick = next();
    const source =
      SOURCES.find((s) => {
        pick -= s.share;
        return pick < 0;
      }) ?? SOURCES[0];
    const roll = next();
    const status = i >= count - 200 ? 'received' : roll < 0.01 ? 'failed' : roll < 0.02 ? 'dead' : roll < 0.025 ? 'received' : 'delivered';
    let key = 'evt_';
    for (let k = 0; k < 16; k++) key += ALPHABET[Math.floor(next() * 62)];
    const receivedAt = start + Math.floor((i * 30 * DAY_MS) / count);
    const pruned = i < pruneBefore;
    batch.push({
      seq: i + 1,
      id: `msg_${i.toString(36).padStart(8, '0')}`,
      source: source.name,
      eventKey: key,
      eventType: source.types[Math.floor(next() * source.types.length)]!,
      receivedAt,
      status: pruned ? 'delivered' : status,
      prunedAt: pruned ? now - DAY_MS : null,
      payload: pruned
        ? ''
        : JSON.stringify({ id: key, object: 'event', data: { amount: Math.floor(next() * 100_000), currency: 'eur', note: 'x'.repeat(120) } }),
    });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const DELIVERY_STATUS = { received: 'pending', delivered: 'delivered', failed: 'failed', dead: 'dead' } as const;

/** The deliveries of an event (none for a tombstone): ledger for every event, analytics for stripe's. */
export function deliveriesOf(e: FilledEvent) {
  if (e.prunedAt !== null) return [];
  const names = e.source === 'stripe' ? DESTINATIONS : DESTINATIONS.slice(0, 1);
  return names.map((destination, i) => ({
    id: `dlv_${e.seq.toString(36)}_${i}`,
    eventId: e.id,
    destination,
    status: DELIVERY_STATUS[e.status],
    attemptCount: e.status === 'received' ? 0 : e.status === 'delivered' ? 1 : 3,
    nextAttemptAt: e.status === 'received' || e.status === 'failed' ? e.receivedAt + 60_000 : null,
    createdAt: e.receivedAt,
  }));
}

/** Attempts of a delivery: three for a failed or dead one, one for one delivered in the last day. */
export function attemptsOf(d: ReturnType<typeof deliveriesOf>[number], now: number) {
  if (d.status === 'pending' || (d.status === 'delivered' && d.createdAt < now - DAY_MS)) return [];
  const failing = d.status !== 'delivered';
  return Array.from({ length: failing ? 3 : 1 }, (_, i) => ({
    id: `atm_${d.id}_${i}`,
    deliveryId: d.id,
    attemptNumber: i + 1,
    startedAt: d.createdAt + i * 1000 + 5,
    statusCode: failing ? 500 : 200,
    error: failing ? 'HTTP 500' : null,
  }));
}

function sample(batch: FilledEvent[], shape: FillShape) {
  const live = batch.filter((e) => e.prunedAt === null);
  if (live.length) {
    shape.sampleKeys.push(live[0]!.eventKey);
    shape.sampleIds.push(live[live.length - 1]!.id);
  }
}

export function fillSqlite(path: string, count: number, now: number, progress: (done: number) => void): FillShape {
  const db = openSqlite(path);
  migrateSqlite(db);
  db.pragma('synchronous = OFF'); // filling a scratch database: nothing to keep through a crash
  const indexes = db
    .prepare<[], { name: string; sql: string }>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'deliveries', 'attempts')",
    )
    .all();
  for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
  const insertEvent = db.prepare(
    `INSERT INTO events (seq, id, source, event_key, event_type, received_at, payload, headers, payload_sha256, status, pruned_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'sha', ?, ?)`,
  );
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, destination, status, attempt_count, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAttempt = db.prepare(
    'INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, status_code, error) VALUES (?, ?, ?, ?, 12, ?, ?)',
  );
  const shape: FillShape = { events: count, now, sampleKeys: [], sampleIds: [] };
  const insertBatch = db.transaction((batch: FilledEvent[]) => {
    for (const e of batch) {
      insertEvent.run(e.seq, e.id, e.source, e.eventKey, e.eventType, e.receivedAt, Buffer.from(e.payload), e.status, e.prunedAt);
      for (const d of deliveriesOf(e)) {
        insertDelivery.run(d.id, d.eventId, d.destination, d.status, d.attemptCount, d.nextAttemptAt, d.createdAt, d.createdAt);
        for (const a of attemptsOf(d, now)) insertAttempt.run(a.id, a.deliveryId, a.attemptNumber, a.startedAt, a.statusCode, a.error);
      }
    }
  });
  let done = 0;
  for (const batch of eventBatches(count, now)) {
    insertBatch(batch);
    sample(batch, shape);
    done += batch.length;
    progress(done);
  }
  for (const index of indexes) db.exec(index.sql);
  // Rows written around the store: count and list their sources as the writer would have (migrations 007, 008).
  db.exec(`DELETE FROM event_counts; DELETE FROM delivery_counts;
    INSERT OR IGNORE INTO event_sources (source) SELECT DISTINCT source FROM events;
    INSERT INTO event_counts (status, n) SELECT status, count(*) FROM events WHERE pruned_at IS NULL GROUP BY status;
    INSERT INTO delivery_counts (destination, status, n) SELECT destination, status, count(*) FROM deliveries GROUP BY destination, status;`);
  db.close();
  return shape;
}

export async function fillPostgres(url: string, count: number, now: number, progress: (done: number) => void): Promise<FillShape> {
  await migratePostgres(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const shape: FillShape = { events: count, now, sampleKeys: [], sampleIds: [] };
  try {
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes i WHERE tablename IN ('events', 'deliveries', 'attempts')
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
    let done = 0;
    for (const batch of eventBatches(count, now)) {
      const deliveries = batch.flatMap(deliveriesOf);
      const attempts = deliveries.flatMap((d) => attemptsOf(d, now));
      const column = <T, K extends keyof T>(rows: T[], key: K) => rows.map((r) => r[key]);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO events (seq, id, source, event_key, event_type, received_at, payload, headers, payload_sha256, status, pruned_at)
         SELECT seq, id, source, event_key, event_type, received_at, convert_to(payload, 'UTF8'), '{}', 'sha', status, pruned_at
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[])
           AS t (seq, id, source, event_key, event_type, received_at, payload, status, pruned_at)`,
        (['seq', 'id', 'source', 'eventKey', 'eventType', 'receivedAt', 'payload', 'status', 'prunedAt'] as const).map((k) => column(batch, k)),
      );
      await client.query(
        `INSERT INTO deliveries (id, event_id, destination, status, attempt_count, next_attempt_at, created_at, updated_at)
         SELECT id, event_id, destination, status, attempt_count, next_attempt_at, created_at, created_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[])
           AS t (id, event_id, destination, status, attempt_count, next_attempt_at, created_at)`,
        (['id', 'eventId', 'destination', 'status', 'attemptCount', 'nextAttemptAt', 'createdAt'] as const).map((k) => column(deliveries, k)),
      );
      await client.query(
        `INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, status_code, error)
         SELECT id, delivery_id, attempt_number, started_at, 12, status_code, error
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::text[]) AS t (id, delivery_id, attempt_number, started_at, status_code, error)`,
        (['id', 'deliveryId', 'attemptNumber', 'startedAt', 'statusCode', 'error'] as const).map((k) => column(attempts, k)),
      );
      await client.query('COMMIT');
      sample(batch, shape);
      done += batch.length;
      progress(done);
    }
    await client.query(`SELECT setval(pg_get_serial_sequence('events', 'seq'), $1)`, [count]);
    for (const index of indexes) await client.query(index.definition);
    // What autovacuum would do in its own time: statistics for the planner, and the visibility map for index-only scans.
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
  return shape;
}
