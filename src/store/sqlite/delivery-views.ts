/** Read-side of deliveries on SQLite (dead-letter list, per-destination counts, activity, stats) and destination states. */
import { decodeCursor, InvalidCursorError, toPage } from '../cursor.ts';
import type { ActivityBucket, DeliveryListItem, DeliveryQuery, DeliveryStatus, DestinationCounts, DestinationState, EventStatus, Page, Stats } from '../types.ts';
import { guarded } from './errors.ts';
import { activityBuckets, toDeliveryListItem } from '../rows.ts';
import type { SqliteDb } from './open.ts';

const EVENT_STATUSES: EventStatus[] = ['received', 'delivered', 'failed', 'dead'];
const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

export function makeSqliteDeliveryViews(db: SqliteDb) {
  function listDeliveries(query: DeliveryQuery): Page<DeliveryListItem> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: query.limit + 1 };
    if (query.cursor) {
      const position = decodeCursor(query.cursor);
      if (!position) throw new InvalidCursorError();
      where.push('(d.created_at < @cAt OR (d.created_at = @cAt AND d.seq < @cSeq))');
      Object.assign(params, { cAt: position.receivedAt, cSeq: position.seq });
    }
    if (query.status !== undefined) (where.push('d.status = @status'), (params.status = query.status));
    if (query.destination !== undefined) (where.push('d.destination = @destination'), (params.destination = query.destination));
    if (query.source !== undefined) (where.push('e.source = @source'), (params.source = query.source));
    const rows = db
      .prepare<Record<string, string | number>, Record<string, unknown>>(
        `SELECT d.*, e.source, e.event_key, e.event_type, e.received_at FROM deliveries d JOIN events e ON e.id = d.event_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.created_at DESC, d.seq DESC LIMIT @limit`,
      )
      .all(params);
    return toPage(rows, query.limit, toDeliveryListItem, (r) => ({ receivedAt: r.created_at as number, seq: r.seq as number }));
  }

  // deliveries.created_at is the event's receivedAt (the outbox writes both in one transaction).
  const counts = db.prepare<[], Record<string, number | string | null>>(
    `SELECT destination, sum(status = 'pending') AS pending, sum(status = 'failed') AS failed,
            sum(status = 'delivered') AS delivered, sum(status = 'dead') AS dead,
            min(CASE WHEN status IN ('pending', 'failed') THEN created_at END) AS oldest
     FROM deliveries GROUP BY destination ORDER BY destination`,
  );
  function destinationCounts(): DestinationCounts[] {
    return counts.all().map((r) => ({
      destination: r.destination as string,
      pending: Number(r.pending),
      failed: Number(r.failed),
      delivered: Number(r.delivered),
      dead: Number(r.dead),
      oldestPendingAt: r.oldest as number | null,
    }));
  }

  const receivedBuckets = db.prepare<{ since: number; bucket: number }, { b: number; n: number }>(
    'SELECT CAST((received_at - @since) / @bucket AS INTEGER) AS b, count(*) AS n FROM events WHERE received_at >= @since AND pruned_at IS NULL GROUP BY b',
  );
  const failedBuckets = db.prepare<{ since: number; bucket: number }, { b: number; n: number }>(
    `SELECT CAST((started_at - @since) / @bucket AS INTEGER) AS b, count(*) AS n FROM attempts
     WHERE started_at >= @since AND (error IS NOT NULL OR status_code < 200 OR status_code > 299) GROUP BY b`,
  );
  function activity(since: number, bucketMs: number): ActivityBucket[] {
    const bucket = Math.max(1, Math.floor(bucketMs));
    const start = Math.floor(since);
    return activityBuckets(start, bucket, receivedBuckets.all({ since: start, bucket }), failedBuckets.all({ since: start, bucket }));
  }

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

  const eventCounts = db.prepare<[], { status: EventStatus; n: number }>('SELECT status, count(*) AS n FROM events WHERE pruned_at IS NULL GROUP BY status');
  const deliveryCounts = db.prepare<[], { status: DeliveryStatus; n: number }>('SELECT status, count(*) AS n FROM deliveries GROUP BY status');
  const oldestPending = db.prepare<[], { oldest: number | null }>(
    "SELECT min(created_at) AS oldest FROM deliveries WHERE status IN ('pending', 'failed')",
  );
  function stats(): Stats {
    const events = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
    for (const r of eventCounts.all()) events[r.status] = r.n;
    const deliveries = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    for (const r of deliveryCounts.all()) deliveries[r.status] = r.n;
    return { events, deliveries, oldestPendingAt: oldestPending.get()!.oldest };
  }

  return {
    listDeliveries: (query: DeliveryQuery) => guarded(() => listDeliveries(query)),
    destinationCounts: () => guarded(destinationCounts),
    activity: (since: number, bucketMs: number) => guarded(() => activity(since, bucketMs)),
    listDestinationStates: () => guarded(listDestinationStates),
    stats: () => guarded(stats),
    /** Synchronous; deliveries.ts wraps it to notify workers when a destination is enabled again. */
    setDisabled(name: string, disabled: boolean, reason: string | null, _now: number): void {
      upsertDisabled.run({ name, disabled: disabled ? 1 : 0, reason: disabled ? reason : null });
    },
  };
}
