/** Event storage on SQLite: group-committed inserts with their deliveries, listing, detail. */
import type { EventQuery, InsertOutcome } from '../types.ts';
import type { StorableEvent } from '../storable.ts';
import { guarded } from './errors.ts';
import { makeChainAppender, type ChainItem } from './audit.ts';
import { makeStatusCounts } from './counts.ts';
import type { SqliteDb } from './open.ts';
import { makeSqliteEventReads } from './reader-events.ts';

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
  // Counted once per batch (counts.ts): every new event is live and 'received', every new delivery 'pending'.
  const counts = makeStatusCounts(db);
  const listSource = db.prepare('INSERT OR IGNORE INTO event_sources (source) VALUES (?)');
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, destination, status, next_attempt_at, ordering_key, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
  );

  // The unique constraints (source + key, source + content digest; a tombstone's too) decide inside this one
  // transaction: no check-then-write, and copies of an event within the same batch see the first copy's row. New events are sealed into their source's audit chain in
  // the same transaction: one writer holds the lock anyway, and it costs less than queueing them for later
  // (no second transaction, no re-reading or re-hashing of payloads, no stall while a backlog is sealed).
  const insertBatch = (events: StorableEvent[]): InsertOutcome[] => {
    const sealed: ChainItem[] = [];
    const newDeliveries = new Map<string, number>();
    const outcomes = events.map((event): InsertOutcome => {
      // Positional parameters: binding eleven named ones from a spread object cost more than the insert's B-trees.
      const result = insertEvent.run(
        event.id,
        event.source,
        event.eventKey,
        event.eventType,
        event.providerCreatedAt,
        event.receivedAt,
        event.payload,
        event.headersJson,
        event.payloadSha256,
        event.secretLabel,
        event.contentDigest,
      );
      if (result.changes !== 1) {
        const existing = findExisting.get(event.contentDigest, event.source, event.eventKey, event.contentDigest)!;
        return { inserted: false, id: existing.id, conflict: existing.same_digest !== 1 && existing.payload_sha256 !== event.payloadSha256 };
      }
      sealed.push({ eventId: event.id, source: event.source, contentHash: event.contentHash });
      for (const d of event.deliveries) {
        insertDelivery.run(d.id, event.id, d.destination, event.receivedAt, d.orderingKey, event.receivedAt, event.receivedAt);
        newDeliveries.set(d.destination, (newDeliveries.get(d.destination) ?? 0) + 1);
      }
      return { inserted: true, id: event.id };
    });
    counts.events('received', sealed.length);
    for (const source of new Set(sealed.map((e) => e.source))) listSource.run(source);
    for (const [destination, n] of newDeliveries) counts.deliveries(destination, 'pending', n);
    appendToChains(sealed, events[0]?.receivedAt ?? 0);
    return outcomes;
  };

  const reads = makeSqliteEventReads(db);

  return {
    /** Inside the writer's transaction (writes.ts), which translates failures itself: throws what SQLite throws. */
    insertEventsSync: (events: StorableEvent[]) => insertBatch(events),
    listEvents: (query: EventQuery) => guarded(() => reads.listEvents(query)),
    getEvent: (id: string) => guarded(() => reads.getEvent(id)),
  };
}
