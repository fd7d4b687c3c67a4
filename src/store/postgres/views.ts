/** Read-side of deliveries on PostgreSQL (dead-letter list, per-destination counts, activity, stats) and destination states. */
import { decodeCursor, InvalidCursorError, toPage } from '../cursor.ts';
import type { ActivityBucket, DeliveryListItem, DeliveryQuery, DeliveryStatus, DestinationCounts, DestinationState, EventStatus, Page, Stats } from '../types.ts';
import type { Db } from './pool.ts';
import { activityBuckets, makeWhere, toDeliveryListItem } from '../rows.ts';

const EVENT_STATUSES: EventStatus[] = ['received', 'delivered', 'failed', 'dead'];
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

export function makePostgresViews(db: Db) {
  async function listDeliveries(query: DeliveryQuery): Promise<Page<DeliveryListItem>> {
    const where = makeWhere();
    if (query.cursor) {
      const position = decodeCursor(query.cursor);
      if (!position) throw new InvalidCursorError();
      const at = where.param(position.receivedAt);
      where.add(`(d.created_at < ${at} OR (d.created_at = ${at} AND d.seq < ${where.param(position.seq)}))`);
    }
    if (query.status !== undefined) where.add(`d.status = ${where.param(query.status)}`);
    if (query.destination !== undefined) where.add(`d.destination = ${where.param(query.destination)}`);
    if (query.source !== undefined) where.add(`e.source = ${where.param(query.source)}`);
    const { rows } = await db.query(
      `SELECT d.*, e.source, e.event_key, e.event_type, e.received_at FROM deliveries d JOIN events e ON e.id = d.event_id
       ${where.sql()} ORDER BY d.created_at DESC, d.seq DESC LIMIT ${where.param(query.limit + 1)}`,
      where.params,
    );
    return toPage(rows, query.limit, toDeliveryListItem, (r) => ({ receivedAt: r.created_at as number, seq: r.seq as number }));
  }

  // deliveries.created_at is the event's receivedAt (the outbox writes both in one transaction).
  async function destinationCounts(): Promise<DestinationCounts[]> {
    const { rows } = await db.query(
      `SELECT destination, count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'failed') AS failed,
              count(*) FILTER (WHERE status = 'delivered') AS delivered, count(*) FILTER (WHERE status = 'dead') AS dead,
              min(created_at) FILTER (WHERE status IN ('pending', 'failed')) AS oldest
       FROM deliveries GROUP BY destination ORDER BY destination`,
    );
    return rows.map((r) => ({
      destination: r.destination as string,
      pending: r.pending as number,
      failed: r.failed as number,
      delivered: r.delivered as number,
      dead: r.dead as number,
      oldestPendingAt: r.oldest as number | null,
    }));
  }

  async function activity(since: number, bucketMs: number): Promise<ActivityBucket[]> {
    const bucket = Math.max(1, Math.floor(bucketMs));
    const start = Math.floor(since);
    const [received, failed] = await Promise.all([
      db.query<{ b: number; n: number }>('SELECT (received_at - $1) / $2 AS b, count(*) AS n FROM events WHERE received_at >= $1 AND pruned_at IS NULL GROUP BY b', [start, bucket]),
      db.query<{ b: number; n: number }>(
        `SELECT (started_at - $1) / $2 AS b, count(*) AS n FROM attempts
         WHERE started_at >= $1 AND (error IS NOT NULL OR status_code < 200 OR status_code > 299) GROUP BY b`,
        [start, bucket],
      ),
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
      db.query<{ status: EventStatus; n: number }>('SELECT status, count(*) AS n FROM events WHERE pruned_at IS NULL GROUP BY status'),
      db.query<{ status: DeliveryStatus; n: number }>('SELECT status, count(*) AS n FROM deliveries GROUP BY status'),
      db.query<{ oldest: number | null }>("SELECT min(created_at) AS oldest FROM deliveries WHERE status IN ('pending', 'failed')"),
    ]);
    const events = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
    for (const r of eventCounts.rows) events[r.status] = r.n;
    const deliveries = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    for (const r of deliveryCounts.rows) deliveries[r.status] = r.n;
    return { events, deliveries, oldestPendingAt: oldest.rows[0]?.oldest ?? null };
  }

  return { listDeliveries, destinationCounts, activity, listDestinationStates, stats };
}
