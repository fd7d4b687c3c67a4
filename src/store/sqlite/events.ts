/** Event storage on SQLite: group-committed inserts with their deliveries, listing, detail. */
import { decodeCursor, InvalidCursorError, toPage } from '../cursor.ts';
import { toAttempt, toDelivery, toSummary } from '../rows.ts';
import type { EventDetail, EventQuery, EventStatus, EventSummary, InsertOutcome, NewEvent, Page } from '../types.ts';
import { toStorable, type StorableEvent } from '../storable.ts';
import { guarded } from './errors.ts';
import { makeChainAppender, type ChainItem } from './audit.ts';
import type { SqliteDb } from './open.ts';

interface EventRow {
  seq: number;
  id: string;
  source: string;
  event_key: string;
  event_type: string;
  provider_created_at: number | null;
  received_at: number;
  status: EventStatus;
}

export function makeSqliteEvents(db: SqliteDb) {
  const insertEvent = db.prepare(
    `INSERT INTO events (id, source, event_key, event_type, provider_created_at, received_at, payload, headers, payload_sha256, secret_label, content_digest, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')
     ON CONFLICT DO NOTHING`,
  );
  // The stored event (or tombstone) that made the insert a no-op: by content digest first (a replay of the same
  // signed content, whatever its key), else by key. NULL digests never match.
  const findExisting = db.prepare<[string | null, string, string, string | null], { id: string; payload_sha256: string; same_digest: number }>(
    `SELECT id, payload_sha256, coalesce(content_digest = ?, 0) AS same_digest FROM events
     WHERE source = ? AND (event_key = ? OR content_digest = ?) ORDER BY same_digest DESC LIMIT 1`,
  );
  const appendToChains = makeChainAppender(db);
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, destination, status, next_attempt_at, ordering_key, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
  );

  // The unique constraints (source + key, source + content digest; a tombstone's too) decide inside this one
  // transaction: no check-then-write, and copies of an event within the same batch see the first copy's row. New events are sealed into their source's audit chain in
  // the same transaction: one writer holds the lock anyway, and it costs less than queueing them for later
  // (no second transaction, no re-reading or re-hashing of payloads, no stall while a backlog is sealed).
  const insertBatch = db.transaction((events: StorableEvent[]): InsertOutcome[] => {
    const sealed: ChainItem[] = [];
    const outcomes = events.map((event): InsertOutcome => {
      // Positional parameters: binding eleven named ones from a spread object cost more than the insert's B-trees.
      const result = insertEvent.run(event.id, event.source, event.eventKey, event.eventType, event.providerCreatedAt, event.receivedAt, event.payload, event.headersJson, event.payloadSha256, event.secretLabel, event.contentDigest);
      if (result.changes !== 1) {
        const existing = findExisting.get(event.contentDigest, event.source, event.eventKey, event.contentDigest)!;
        return { inserted: false, id: existing.id, conflict: existing.same_digest !== 1 && existing.payload_sha256 !== event.payloadSha256 };
      }
      sealed.push({ eventId: event.id, source: event.source, contentHash: event.contentHash });
      for (const d of event.deliveries) {
        insertDelivery.run(d.id, event.id, d.destination, event.receivedAt, d.orderingKey, event.receivedAt, event.receivedAt);
      }
      return { inserted: true, id: event.id };
    });
    appendToChains(sealed, events[0]?.receivedAt ?? 0);
    return outcomes;
  });

  function listEvents(query: EventQuery): Page<EventSummary> {
    const where: string[] = ['pruned_at IS NULL']; // tombstones are not events
    const params: Record<string, string | number> = { limit: query.limit + 1 };
    if (query.cursor) {
      const position = decodeCursor(query.cursor);
      if (!position) throw new InvalidCursorError();
      where.push('(received_at < @cRecv OR (received_at = @cRecv AND seq < @cSeq))');
      Object.assign(params, { cRecv: position.receivedAt, cSeq: position.seq });
    }
    if (query.source !== undefined) (where.push('source = @source'), (params.source = query.source));
    if (query.type !== undefined) (where.push('event_type = @type'), (params.type = query.type));
    if (query.status !== undefined) (where.push('status = @status'), (params.status = query.status));
    if (query.since !== undefined) (where.push('received_at >= @since'), (params.since = query.since));
    if (query.until !== undefined) (where.push('received_at <= @until'), (params.until = query.until));
    if (query.keyPrefix !== undefined) {
      where.push("substr(event_key, 1, length(@keyPrefix)) = @keyPrefix");
      params.keyPrefix = query.keyPrefix;
    }
    const rows = db
      .prepare<Record<string, string | number>, EventRow>(
        `SELECT seq, id, source, event_key, event_type, provider_created_at, received_at, status FROM events
         WHERE ${where.join(' AND ')} ORDER BY received_at DESC, seq DESC LIMIT @limit`,
      )
      .all(params);
    return toPage(rows, query.limit, toSummary, (r) => ({ receivedAt: r.received_at, seq: r.seq }));
  }

  const getEventRow = db.prepare<[string], EventRow & { payload: Buffer; headers: string; payload_sha256: string; secret_label: string | null }>(
    'SELECT * FROM events WHERE id = ? AND pruned_at IS NULL',
  );
  const getDeliveries = db.prepare<[string], Record<string, unknown>>('SELECT * FROM deliveries WHERE event_id = ? ORDER BY seq');
  const getAttempts = db.prepare<[string], Record<string, unknown>>('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY started_at, attempt_number');

  function getEvent(id: string): EventDetail | null {
    const row = getEventRow.get(id);
    if (!row) return null;
    return {
      ...toSummary(row),
      payload: row.payload,
      headers: JSON.parse(row.headers) as Record<string, string>,
      payloadSha256: row.payload_sha256,
      secretLabel: row.secret_label,
      deliveries: getDeliveries.all(id).map((d) => ({ ...toDelivery(d), attempts: getAttempts.all(d.id as string).map(toAttempt) })),
    };
  }

  return {
    insertEvents: (events: NewEvent[]) => guarded(() => insertBatch.immediate(events.map(toStorable))),
    /** For the writer thread, which translates failures itself: throws what SQLite throws. */
    insertEventsSync: (events: StorableEvent[]) => insertBatch.immediate(events),
    listEvents: (query: EventQuery) => guarded(() => listEvents(query)),
    getEvent: (id: string) => guarded(() => getEvent(id)),
  };
}
