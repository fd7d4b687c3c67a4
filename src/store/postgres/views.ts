/** Read-side of deliveries on PostgreSQL (dead-letter list, per-destination counts, activity, stats) and destination states. */
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
import type { Db } from './pool.ts';
import { activityBuckets, makeWhere, toDeliveryListItem } from '../rows.ts';

const EVENT_STATUSES: EventStatus[] = ['received', 'delivered', 'failed', 'dead'];
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

/** The dead-letter listing, newest first, keyset cursor on (createdAt, seq). */
export function deliveryListStatement(query: DeliveryQuery): { sql: string; params: unknown[] } {
  const where = makeWhere();
  const position = cursorPosition(query.cursor);
  if (position) {
    where.add(`(d.created_at, d.seq) < (${where.param(position.receivedAt)}, ${where.param(position.seq)})`);
  }
  if (query.status !== undefined) where.add(`d.status = ${where.param(query.status)}`);
  if (query.destination !== undefined) where.add(`d.destination = ${where.param(query.destination)}`);
  if (query.source !== undefined) where.add(`e.source = ${where.param(query.source)}`);
  return {
    sql: `SELECT d.*, e.source, e.event_key, e.event_type, e.received_at FROM deliveries d JOIN events e ON e.id = d.event_id
       ${where.sql()} ORDER BY d.created_at DESC, d.seq DESC LIMIT ${where.param(query.limit + 1)}`,
    params: where.params,
  };
}

// Counts come from the tables the triggers of migration 005 keep (a few rows per server process that wrote).
export const DELIVERY_COUNTS_SQL = 'SELECT status, destination, sum(n)::bigint AS n FROM delivery_counts GROUP BY status, destination HAVING sum(n) <> 0';
export const DELIVERY_STATUS_COUNTS_SQL = 'SELECT status, sum(n)::bigint AS n FROM delivery_counts GROUP BY status';
/** deliveries.created_at is the event's receivedAt (the outbox writes both in one transaction). */
export const OLDEST_WAITING_SQL = `SELECT destination, min(created_at) AS oldest FROM deliveries WHERE status IN ('pending', 'failed') GROUP BY destination`;
export const OLDEST_PENDING_SQL = `SELECT min(created_at) AS oldest FROM deliveries WHERE status IN ('pending', 'failed')`;
export const EVENT_COUNTS_SQL = 'SELECT status, sum(n)::bigint AS n FROM event_counts GROUP BY status';
export const RECEIVED_BUCKETS_SQL = 'SELECT (received_at - $1) / $2 AS b, count(*) AS n FROM events WHERE received_at >= $1 AND pruned_at IS NULL GROUP BY b';
export const FAILED_BUCKETS_SQL = `SELECT (started_at - $1) / $2 AS b, count(*) AS n FROM attempts
         WHERE started_at >= $1 AND (error IS NOT NULL OR status_code < 200 OR status_code > 299) GROUP BY b`;

export function makePostgresViews(db: Db) {
  async function listDeliveries(query: DeliveryQuery): Promise<Page<DeliveryListItem>> {
    const { sql, params } = deliveryListStatement(query);
    const { rows } = await db.query(sql, params);
    return toPage(rows, query.limit, toDeliveryListItem, (r) => ({ receivedAt: r.created_at as number, seq: r.seq as number }));
  }

  async function destinationCounts(): Promise<DestinationCounts[]> {
    const [counts, oldest] = await Promise.all([
      db.query<{ status: DeliveryStatus; destination: string; n: number }>(DELIVERY_COUNTS_SQL),
      db.query<{ destination: string; oldest: number }>(OLDEST_WAITING_SQL),
    ]);
    const byName = new Map<string, DestinationCounts>();
    for (const r of counts.rows) {
      const entry = byName.get(r.destination) ?? { destination: r.destination, pending: 0, failed: 0, delivered: 0, dead: 0, oldestPendingAt: null };
      entry[r.status] = r.n;
      byName.set(r.destination, entry);
    }
    for (const r of oldest.rows) byName.get(r.destination)!.oldestPendingAt = r.oldest;
    // Code point order, as the C collation (and SQLite) sort names.
    return [...byName.values()].sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
  }

  async function activity(since: number, bucketMs: number): Promise<ActivityBucket[]> {
    const bucket = Math.max(1, Math.floor(bucketMs));
    const start = Math.floor(since);
    const [received, failed] = await Promise.all([
      db.query<{ b: number; n: number }>(RECEIVED_BUCKETS_SQL, [start, bucket]),
      db.query<{ b: number; n: number }>(FAILED_BUCKETS_SQL, [start, bucket]),
    ]);
    return activityBuckets(start, bucket, received.rows, failed.rows);
  }

  async function listDestinationStates(): Promise<DestinationState[]> {
    const { rows } = await db.query('SELECT * FROM destination_states ORDER BY name');
    return rows.map((r) => ({
      name: r.name as string,
      disabled: r.disabled === true,
      disabledReason: r.disabled_reason as string | null,
      lastSuccessAt: r.last_success_at as number | null,
      lastFailureAt: r.last_failure_at as number | null,
      failureStreak: r.failure_streak as number,
    }));
  }

  async function stats(): Promise<Stats> {
    const [eventCounts, deliveryCounts, oldest] = await Promise.all([
      db.query<{ status: EventStatus; n: number }>(EVENT_COUNTS_SQL),
      db.query<{ status: DeliveryStatus; n: number }>(DELIVERY_STATUS_COUNTS_SQL),
      db.query<{ oldest: number | null }>(OLDEST_PENDING_SQL),
    ]);
    const events = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
    for (const r of eventCounts.rows) events[r.status] = r.n;
    const deliveries = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    for (const r of deliveryCounts.rows) deliveries[r.status] = r.n;
    return { events, deliveries, oldestPendingAt: oldest.rows[0]?.oldest ?? null };
  }

  return { listDeliveries, destinationCounts, activity, listDestinationStates, stats };
}
