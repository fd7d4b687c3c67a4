/** Event storage on PostgreSQL: group-committed inserts with their deliveries, listing, detail. */
import { decodeCursor, InvalidCursorError, toPage } from '../cursor.ts';
import type { EventDetail, EventQuery, EventSummary, InsertOutcome, NewEvent, Page } from '../types.ts';
import { DUE_CHANNEL, type Db, type Query } from './pool.ts';
import { makeWhere, toAttempt, toDelivery, toSummary } from '../rows.ts';

// One statement for the whole batch. ON CONFLICT DO NOTHING also skips a later copy of a key inside the
// batch (copies go in `ord` order, so the first copy wins); a concurrent insert of the same key in another
// transaction makes this one wait for it and then skip. Rows go in (source, event_key) order so two batches
// sharing keys always lock them in the same order and cannot deadlock. No check-then-write anywhere.
// The same statement queues each new event for audit sealing (audit_pending), in the same transaction.
const INSERT_EVENTS = `WITH ins AS (INSERT INTO events (seq, id, source, event_key, event_type, provider_created_at, received_at, payload, headers, payload_sha256, secret_label)
  SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, payload, headers, payload_sha256, secret_label
  FROM (
    -- seq is drawn in input order (receipt order), before the rows are sorted by key for locking.
    SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq, t.*
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bytea[], $8::text[], $9::text[], $10::text[])
      WITH ORDINALITY AS t (id, source, event_key, event_type, provider_created_at, received_at, payload, headers, payload_sha256, secret_label, ord)
  ) numbered
  ORDER BY source, event_key, ord
  ON CONFLICT (source, event_key) DO NOTHING RETURNING id, seq),
  pending AS (INSERT INTO audit_pending (seq, event_id) SELECT seq, id FROM ins)
  SELECT id FROM ins`;

const FIND_EXISTING = `SELECT e.id, e.source, e.event_key, e.payload_sha256 FROM events e
  JOIN unnest($1::text[], $2::text[]) AS k (source, event_key) ON e.source = k.source AND e.event_key = k.event_key`;

const INSERT_DELIVERIES = `INSERT INTO deliveries (id, event_id, destination, status, next_attempt_at, ordering_key, created_at, updated_at)
  SELECT id, event_id, destination, 'pending', at, ordering_key, at, at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS t (id, event_id, destination, ordering_key, at)`;

async function insertBatch(q: Query, events: NewEvent[]): Promise<InsertOutcome[]> {
  const column = <T>(pick: (e: NewEvent) => T) => events.map(pick);
  const inserted = await q<{ id: string }>(INSERT_EVENTS, [
    column((e) => e.id),
    column((e) => e.source),
    column((e) => e.eventKey),
    column((e) => e.eventType),
    column((e) => e.providerCreatedAt),
    column((e) => e.receivedAt),
    column((e) => e.payload),
    column((e) => JSON.stringify(e.headers)),
    column((e) => e.payloadSha256),
    column((e) => e.secretLabel),
  ]);
  const insertedIds = new Set(inserted.rows.map((r) => r.id));
  const skipped = events.filter((e) => !insertedIds.has(e.id));
  const existing = new Map<string, { id: string; sha: string }>();
  if (skipped.length) {
    const found = await q<{ id: string; source: string; event_key: string; payload_sha256: string }>(FIND_EXISTING, [
      skipped.map((e) => e.source),
      skipped.map((e) => e.eventKey),
    ]);
    for (const r of found.rows) existing.set(JSON.stringify([r.source, r.event_key]), { id: r.id, sha: r.payload_sha256 });
  }
  const deliveries = events.filter((e) => insertedIds.has(e.id)).flatMap((e) => e.deliveries.map((d) => ({ ...d, eventId: e.id, at: e.receivedAt })));
  if (deliveries.length) {
    await q(INSERT_DELIVERIES, [deliveries.map((d) => d.id), deliveries.map((d) => d.eventId), deliveries.map((d) => d.destination), deliveries.map((d) => d.orderingKey), deliveries.map((d) => d.at)]);
    // Delivered at COMMIT, to every process LISTENing (workers elsewhere wake at once).
    await q('SELECT pg_notify($1, $2)', [DUE_CHANNEL, '']);
  }
  return events.map((e): InsertOutcome => {
    if (insertedIds.has(e.id)) return { inserted: true, id: e.id };
    const found = existing.get(JSON.stringify([e.source, e.eventKey]));
    if (!found) throw new Error(`event ${e.source}/${e.eventKey} neither inserted nor found`);
    return { inserted: false, id: found.id, conflict: found.sha !== e.payloadSha256 };
  });
}

export function makePostgresEvents(db: Db) {
  async function listEvents(query: EventQuery): Promise<Page<EventSummary>> {
    const where = makeWhere();
    if (query.cursor) {
      const position = decodeCursor(query.cursor);
      if (!position) throw new InvalidCursorError();
      const recv = where.param(position.receivedAt);
      where.add(`(received_at < ${recv} OR (received_at = ${recv} AND seq < ${where.param(position.seq)}))`);
    }
    if (query.source !== undefined) where.add(`source = ${where.param(query.source)}`);
    if (query.type !== undefined) where.add(`event_type = ${where.param(query.type)}`);
    if (query.status !== undefined) where.add(`status = ${where.param(query.status)}`);
    if (query.since !== undefined) where.add(`received_at >= ${where.param(query.since)}`);
    if (query.until !== undefined) where.add(`received_at <= ${where.param(query.until)}`);
    if (query.keyPrefix !== undefined) {
      const prefix = where.param(query.keyPrefix);
      where.add(`left(event_key, length(${prefix})) = ${prefix}`);
    }
    const { rows } = await db.query(
      `SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, status FROM events
       ${where.sql()} ORDER BY received_at DESC, seq DESC LIMIT ${where.param(query.limit + 1)}`,
      where.params,
    );
    return toPage(rows, query.limit, toSummary, (r) => ({ receivedAt: r.received_at as number, seq: r.seq as number }));
  }

  async function getEvent(id: string): Promise<EventDetail | null> {
    const [event, deliveries, attempts] = await Promise.all([
      db.query('SELECT * FROM events WHERE id = $1', [id]),
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
    insertEvents: (events: NewEvent[]) => (events.length ? db.tx((q) => insertBatch(q, events)) : Promise.resolve([])),
    listEvents,
    getEvent,
  };
}
