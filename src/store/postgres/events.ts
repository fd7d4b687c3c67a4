/** Event storage on PostgreSQL: group-committed inserts with their deliveries, listing, detail. */
import { HASH_VERSION } from '../../audit/chain.ts';
import { toStorable } from '../storable.ts';
import { cursorPosition, prefixRange, toPage } from '../cursor.ts';
import type { EventDetail, EventQuery, EventSummary, InsertOutcome, NewEvent, Page } from '../types.ts';
import { DUE_CHANNEL, type Db, type Query } from './pool.ts';
import { makeWhere, toAttempt, toDelivery, toSummary } from '../rows.ts';

// One statement for the whole batch. ON CONFLICT DO NOTHING (every unique constraint: source + key, and source +
// content digest, tombstones included) also skips a later copy inside the batch (copies of a key go in `ord` order,
// so the first copy wins; copies of a digest under different keys: the lowest key wins); a concurrent insert of the
// same key or digest in another transaction makes this one wait for it and then skip. Rows go in (source, event_key)
// order so two batches sharing keys always lock them in the same order; two batches sharing digests under crossed
// keys can still deadlock, and the one PostgreSQL aborts is run again (insertBatch). No check-then-write anywhere.
// The same statement queues each new event for audit sealing (audit_pending, with its content hash) and creates the deliveries of the
// events it inserted: one statement is one atomic transaction (autocommit), one round trip instead of BEGIN,
// INSERT, INSERT, NOTIFY, COMMIT. Parameters: $1 the batch's fields as one JSON array; $2 every payload back to
// back as one binary bytea, cut apart by (off, len); $3 the deliveries as JSON; $4 the wake-up channel. node-postgres sends a Buffer in binary, while a bytea[] array would go as hex text:
// twice the bytes, encoded by us and decoded by the server, which cost more than the insert itself.
const INSERT_EVENTS = `WITH ins AS (INSERT INTO events (seq, id, source, event_key, event_type, provider_created_at, received_at, payload, headers, payload_sha256, secret_label, content_digest)
  SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, substring($2::bytea FROM off FOR len), headers, payload_sha256, secret_label, content_digest
  FROM (
    -- seq is drawn in input order (receipt order), before the rows are sorted by key for locking.
    SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq, t.*
    FROM json_to_recordset($1::json) AS t (ord int, id text, source text, event_key text, event_type text, provider_created_at bigint,
      received_at bigint, headers text, payload_sha256 text, secret_label text, content_digest text, off int, len int)
  ) numbered
  ORDER BY source, event_key, ord
  ON CONFLICT DO NOTHING RETURNING id, seq, source),
  pending AS (INSERT INTO audit_pending (seq, event_id, source, content_hash, hash_version)
    SELECT ins.seq, ins.id, ins.source, h.content_hash, ${HASH_VERSION} FROM ins JOIN json_to_recordset($1::json) AS h (id text, content_hash text) USING (id)),
  dels AS (INSERT INTO deliveries (id, event_id, destination, status, next_attempt_at, ordering_key, created_at, updated_at)
    SELECT d.id, d.event_id, d.destination, 'pending', d.at, d.ordering_key, d.at, d.at
    FROM json_to_recordset($3::json) AS d (id text, event_id text, destination text, ordering_key text, at bigint)
    WHERE d.event_id IN (SELECT id FROM ins)
    RETURNING 1)
  -- New deliveries wake every LISTENing worker at COMMIT (once per statement: equal notifications fold into one).
  SELECT id, (SELECT count(*) FROM (SELECT pg_notify($4, '') FROM (SELECT 1 FROM dels LIMIT 1) one) n) AS notified FROM ins`;

/** The batch as INSERT_EVENTS' parameters. */
function batchParameters(events: NewEvent[]): [string, Buffer, string, string] {
  let off = 1; // SQL substring counts from 1
  const rows = events.map(toStorable).map((e, ord) => {
    const row = {
      ord,
      id: e.id,
      source: e.source,
      event_key: e.eventKey,
      event_type: e.eventType,
      provider_created_at: e.providerCreatedAt,
      received_at: e.receivedAt,
      headers: e.headersJson,
      payload_sha256: e.payloadSha256,
      secret_label: e.secretLabel,
      content_digest: e.contentDigest,
      // The audit content hash needs nothing but what is stored here: computed now, the sealer only chains.
      content_hash: e.contentHash,
      off,
      len: e.payload.length,
    };
    off += e.payload.length;
    return row;
  });
  const deliveries = events.flatMap((e) =>
    e.deliveries.map((d) => ({ id: d.id, event_id: e.id, destination: d.destination, ordering_key: d.orderingKey, at: e.receivedAt })),
  );
  return [JSON.stringify(rows), Buffer.concat(events.map((e) => e.payload)), JSON.stringify(deliveries), DUE_CHANNEL];
}

// The stored events (or tombstones) that made inserts no-ops: by (source, key) and by (source, content digest).
const FIND_EXISTING = `SELECT e.id, e.source, e.event_key, e.content_digest, e.payload_sha256 FROM events e
    JOIN unnest($1::text[], $2::text[]) AS k (source, event_key) ON e.source = k.source AND e.event_key = k.event_key
  UNION
  SELECT e.id, e.source, e.event_key, e.content_digest, e.payload_sha256 FROM events e
    JOIN unnest($1::text[], $3::text[]) AS k (source, content_digest) ON e.source = k.source AND e.content_digest = k.content_digest`;

/** Times a batch that PostgreSQL aborted as a deadlock victim runs again (it was rolled back whole). */
const DEADLOCK_RETRIES = 3;

async function insertOnce(q: Query, events: NewEvent[]): Promise<{ rows: { id: string }[] }> {
  for (let attempt = 0; ; attempt++) {
    try {
      // Prepared: parsed and planned once per connection; per batch that was about a quarter of its server time.
      return await q<{ id: string }>(INSERT_EVENTS, batchParameters(events), 'filab_insert_events');
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= DEADLOCK_RETRIES) throw err;
    }
  }
}

async function insertBatch(q: Query, events: NewEvent[]): Promise<InsertOutcome[]> {
  const inserted = await insertOnce(q, events);
  const insertedIds = new Set(inserted.rows.map((r) => r.id));
  // A skipped event's row was committed by someone else (or is an earlier copy in this batch): a new statement,
  // with a new snapshot, sees it.
  const skipped = events.filter((e) => !insertedIds.has(e.id));
  const byKey = new Map<string, { id: string; sha: string }>();
  const byDigest = new Map<string, string>();
  if (skipped.length) {
    const found = await q<{ id: string; source: string; event_key: string; content_digest: string | null; payload_sha256: string }>(FIND_EXISTING, [
      skipped.map((e) => e.source),
      skipped.map((e) => e.eventKey),
      skipped.map((e) => e.contentDigest ?? null),
    ]);
    for (const r of found.rows) {
      byKey.set(JSON.stringify([r.source, r.event_key]), { id: r.id, sha: r.payload_sha256 });
      if (r.content_digest !== null) byDigest.set(JSON.stringify([r.source, r.content_digest]), r.id);
    }
  }
  return events.map((e): InsertOutcome => {
    if (insertedIds.has(e.id)) return { inserted: true, id: e.id };
    // Same signed content: a replay, whatever its key says.
    const replayOf = e.contentDigest ? byDigest.get(JSON.stringify([e.source, e.contentDigest])) : undefined;
    if (replayOf) return { inserted: false, id: replayOf, conflict: false };
    const found = byKey.get(JSON.stringify([e.source, e.eventKey]));
    if (!found) throw new Error(`event ${e.source}/${e.eventKey} neither inserted nor found`);
    return { inserted: false, id: found.id, conflict: found.sha !== e.payloadSha256 };
  });
}

/** The event listing with its filters (newest first, keyset cursor on (receivedAt, seq)); served by migration 005's indexes. */
export function eventListStatement(query: EventQuery): { sql: string; params: unknown[] } {
  const where = makeWhere();
  where.add('pruned_at IS NULL'); // tombstones are not events; also what makes the listing indexes usable
  const position = cursorPosition(query.cursor);
  if (position) {
    // A row value: one index range after the leading filter.
    where.add(`(received_at, seq) < (${where.param(position.receivedAt)}, ${where.param(position.seq)})`);
  }
  if (query.source !== undefined) where.add(`source = ${where.param(query.source)}`);
  if (query.type !== undefined) where.add(`event_type = ${where.param(query.type)}`);
  if (query.status !== undefined) where.add(`status = ${where.param(query.status)}`);
  if (query.since !== undefined) where.add(`received_at >= ${where.param(query.since)}`);
  if (query.until !== undefined) where.add(`received_at <= ${where.param(query.until)}`);
  if (query.keyPrefix !== undefined) {
    // A range of the key index (code point order, the C collation), not a function of every key.
    const { from, to } = prefixRange(query.keyPrefix);
    where.add(`(event_key COLLATE "C") >= ${where.param(from)}`);
    if (to !== null) where.add(`(event_key COLLATE "C") < ${where.param(to)}`);
    else where.add(`starts_with(event_key, ${where.param(query.keyPrefix)})`);
  }
  return {
    sql: `SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, status FROM events
       ${where.sql()} ORDER BY received_at DESC, seq DESC LIMIT ${where.param(query.limit + 1)}`,
    params: where.params,
  };
}

export function makePostgresEvents(db: Db) {
  async function listEvents(query: EventQuery): Promise<Page<EventSummary>> {
    const { sql, params } = eventListStatement(query);
    const { rows } = await db.query(sql, params);
    return toPage(rows, query.limit, toSummary, (r) => ({ receivedAt: r.received_at as number, seq: r.seq as number }));
  }

  async function getEvent(id: string): Promise<EventDetail | null> {
    const [event, deliveries, attempts] = await Promise.all([
      db.query('SELECT * FROM events WHERE id = $1 AND pruned_at IS NULL', [id]),
      db.query('SELECT * FROM deliveries WHERE event_id = $1 ORDER BY seq', [id]),
      db.query(
        `SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1
         ORDER BY a.started_at, a.attempt_number`,
        [id],
      ),
    ]);
    const row = event.rows[0];
    if (!row) return null;
    return {
      ...toSummary(row),
      payload: row.payload as Buffer,
      headers: JSON.parse(row.headers as string) as Record<string, string>,
      payloadSha256: row.payload_sha256 as string,
      secretLabel: row.secret_label as string | null,
      deliveries: deliveries.rows.map((d) => ({ ...toDelivery(d), attempts: attempts.rows.filter((a) => a.delivery_id === d.id).map(toAttempt) })),
    };
  }

  return {
    insertEvents: (events: NewEvent[]) => (events.length ? insertBatch(db.query, events) : Promise.resolve([])),
    listEvents,
    getEvent,
  };
}
