/** Read-side of deliveries on SQLite (dead-letter list, per-destination counts, activity, stats) and destination states. */
import { addTerm } from '../sql-terms.ts';
import { cursorPosition, toPage } from '../cursor.ts';
import type {
  ActivityBucket,
  DeliveryListItem,
  DeliveryQuery,
  DeliveryStatus,
  DestinationCounts,
  DestinationState,
  EventStatus,
  Page,
  Stats,
} from '../types.ts';
import { guarded } from './errors.ts';
import { activityBuckets, toDeliveryListItem } from '../rows.ts';
import { makeStatementCache, type SqliteDb } from './open.ts';
import { eventListProbe, PROBE_LIMIT, type Statement } from './reader-events.ts';

const EVENT_STATUSES: EventStatus[] = ['received', 'delivered', 'failed', 'dead'];
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

/** Delivery listings by status, destination, both or neither: each through its index, in listing order. */
function deliveryListIndex(query: DeliveryQuery): string {
  if (query.status !== undefined) return query.destination !== undefined ? 'deliveries_by_status_destination' : 'deliveries_by_status_created';
  return query.destination !== undefined ? 'deliveries_by_destination' : 'deliveries_by_created';
}

/**
 * The dead-letter listing, newest first, keyset cursor on (createdAt, seq). `fromSource`: start from the source's
 * events instead (listDeliveries does when a probe found the source has few), their deliveries then sorted; a
 * tombstone has no deliveries left, so starting from live events only loses none.
 */
export function deliveryListStatement(query: DeliveryQuery, fromSource = false): Statement {
  const where: string[] = [];
  const params: Statement['params'] = { limit: query.limit + 1 };
  const position = cursorPosition(query.cursor);
  if (position) {
    where.push('(d.created_at, d.seq) < (@cAt, @cSeq)');
    Object.assign(params, { cAt: position.receivedAt, cSeq: position.seq });
  }
  addTerm(where, params, 'd.status = @status', 'status', query.status);
  addTerm(where, params, 'd.destination = @destination', 'destination', query.destination);
  addTerm(where, params, 'e.source = @source', 'source', query.source);
  if (fromSource) where.push('e.pruned_at IS NULL');
  const from = fromSource
    ? 'events e INDEXED BY events_live_by_source JOIN deliveries d INDEXED BY deliveries_by_event ON d.event_id = e.id'
    : `deliveries d INDEXED BY ${deliveryListIndex(query)} JOIN events e ON e.id = d.event_id`;
  return {
    sql: `SELECT d.*, e.source, e.event_key, e.event_type, e.received_at FROM ${from}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.created_at DESC, d.seq DESC LIMIT @limit`,
    params,
  };
}

// Counts come from the tables the triggers of migration 006 keep; the oldest waiting delivery is an index seek.
export const DELIVERY_COUNTS_SQL = 'SELECT status, destination, n FROM delivery_counts WHERE n <> 0';
export const OLDEST_FOR_DESTINATION_SQL = 'SELECT min(created_at) AS oldest FROM deliveries WHERE status = @status AND destination = @destination';
export const OLDEST_PENDING_SQL = 'SELECT min(created_at) AS oldest FROM deliveries INDEXED BY deliveries_by_status_created WHERE status = @status';
export const EVENT_COUNTS_SQL = 'SELECT status, n FROM event_counts';
export const RECEIVED_BUCKETS_SQL =
  'SELECT CAST((received_at - @since) / @bucket AS INTEGER) AS b, count(*) AS n FROM events INDEXED BY events_live_by_received WHERE received_at >= @since AND pruned_at IS NULL GROUP BY b';
export const FAILED_BUCKETS_SQL = `SELECT CAST((started_at - @since) / @bucket AS INTEGER) AS b, count(*) AS n FROM attempts INDEXED BY attempts_by_started
     WHERE started_at >= @since AND (error IS NOT NULL OR status_code < 200 OR status_code > 299) GROUP BY b`;
/** Pending and failed: the statuses whose deliveries still wait. */
const WAITING: DeliveryStatus[] = ['pending', 'failed'];

/** The delivery listing and the aggregates, synchronous: the reader thread runs these on its own connection. */
export function makeSqliteDeliveryReads(db: SqliteDb) {
  const prepared = makeStatementCache(db);
  /** A source with few events (fewer than PROBE_LIMIT): start from them rather than walk every delivery. */
  function fewEvents(source: string | undefined): boolean {
    if (source === undefined) return false;
    const probe = eventListProbe({ limit: 1, source }, 'source');
    return (prepared(probe.sql).get(probe.params) as { n: number }).n < PROBE_LIMIT;
  }
  function listDeliveries(query: DeliveryQuery): Page<DeliveryListItem> {
    const { sql, params } = deliveryListStatement(query, fewEvents(query.source));
    const rows = prepared(sql).all(params) as Record<string, unknown>[];
    return toPage(rows, query.limit, toDeliveryListItem, (r) => ({ receivedAt: r.created_at as number, seq: r.seq as number }));
  }

  const deliveryCounts = db.prepare<[], { status: DeliveryStatus; destination: string; n: number }>(DELIVERY_COUNTS_SQL);
  const oldestFor = db.prepare<{ status: DeliveryStatus; destination: string }, { oldest: number | null }>(OLDEST_FOR_DESTINATION_SQL);
  const oldestPending = db.prepare<{ status: DeliveryStatus }, { oldest: number | null }>(OLDEST_PENDING_SQL);
  const earliest = (values: (number | null)[]) => values.reduce<number | null>((min, v) => (v !== null && (min === null || v < min) ? v : min), null);

  // deliveries.created_at is the event's receivedAt (the outbox writes both in one transaction).
  function destinationCounts(): DestinationCounts[] {
    const byName = new Map<string, DestinationCounts>();
    for (const r of deliveryCounts.all()) {
      const counts = byName.get(r.destination) ?? { destination: r.destination, pending: 0, failed: 0, delivered: 0, dead: 0, oldestPendingAt: null };
      counts[r.status] = r.n;
      byName.set(r.destination, counts);
    }
    const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return names.map((destination) => ({
      ...byName.get(destination)!,
      oldestPendingAt: earliest(WAITING.map((status) => oldestFor.get({ status, destination })!.oldest)),
    }));
  }

  const receivedBuckets = db.prepare<{ since: number; bucket: number }, { b: number; n: number }>(RECEIVED_BUCKETS_SQL);
  const failedBuckets = db.prepare<{ since: number; bucket: number }, { b: number; n: number }>(FAILED_BUCKETS_SQL);
  function activity(since: number, bucketMs: number): ActivityBucket[] {
    const bucket = Math.max(1, Math.floor(bucketMs));
    const start = Math.floor(since);
    return activityBuckets(start, bucket, receivedBuckets.all({ since: start, bucket }), failedBuckets.all({ since: start, bucket }));
  }

  const eventCounts = db.prepare<[], { status: EventStatus; n: number }>(EVENT_COUNTS_SQL);
  function stats(): Stats {
    const events = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
    for (const r of eventCounts.all()) events[r.status] = r.n;
    const deliveries = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    for (const r of deliveryCounts.all()) deliveries[r.status] += r.n;
    return { events, deliveries, oldestPendingAt: earliest(WAITING.map((status) => oldestPending.get({ status })!.oldest)) };
  }

  return { listDeliveries, destinationCounts, activity, stats };
}

export function makeSqliteDeliveryViews(db: SqliteDb) {
  const reads = makeSqliteDeliveryReads(db);
  const states = db.prepare<[], Record<string, unknown>>('SELECT * FROM destination_states ORDER BY name');
  function listDestinationStates(): DestinationState[] {
    return states.all().map((r) => ({
      name: r.name as string,
      disabled: r.disabled === 1,
      disabledReason: r.disabled_reason as string | null,
      lastSuccessAt: r.last_success_at as number | null,
      lastFailureAt: r.last_failure_at as number | null,
      failureStreak: r.failure_streak as number,
    }));
  }
  const upsertDisabled = db.prepare(
    `INSERT INTO destination_states (name, disabled, disabled_reason) VALUES (@name, @disabled, @reason)
     ON CONFLICT (name) DO UPDATE SET disabled = excluded.disabled, disabled_reason = excluded.disabled_reason`,
  );

  return {
    listDeliveries: (query: DeliveryQuery) => guarded(() => reads.listDeliveries(query)),
    destinationCounts: () => guarded(reads.destinationCounts),
    activity: (since: number, bucketMs: number) => guarded(() => reads.activity(since, bucketMs)),
    listDestinationStates: () => guarded(listDestinationStates),
    stats: () => guarded(reads.stats),
    /** Synchronous; deliveries.ts wraps it to notify workers when a destination is enabled again. */
    setDisabled(name: string, disabled: boolean, reason: string | null, _now: number): void {
      upsertDisabled.run({ name, disabled: disabled ? 1 : 0, reason: disabled ? reason : null });
    },
  };
}
