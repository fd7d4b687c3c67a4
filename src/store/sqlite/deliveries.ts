/**
 * Delivery bookkeeping on SQLite, as synchronous writes (writes.ts runs them on the writer thread, or on the main
 * connection with the thread off): claim with leases, attempts, release, requeue. Read-only views live in
 * delivery-views.ts. Claiming runs in one IMMEDIATE transaction, which serialises claimers across processes
 * the way FOR UPDATE SKIP LOCKED does on PostgreSQL; max_in_flight is counted from live leases in the table,
 * so it holds across processes too.
 */
import { addTerm } from '../sql-terms.ts';
import { lastErrorOf, toClaimed } from '../delivery-rules.ts';
import type { Row } from '../rows.ts';
import type { AttemptResult, ClaimedDelivery, ClaimOptions, RequeueFilter } from '../types.ts';
import { makeStatusCounts } from './counts.ts';
import type { SqliteDb } from './open.ts';

/** Event status from its deliveries: any dead > any failed > all delivered > received (also with none). */
const EVENT_STATUS_NOW = `SELECT e.status AS was, e.pruned_at IS NULL AS live, (
  SELECT CASE WHEN sum(status = 'dead') > 0 THEN 'dead'
              WHEN sum(status = 'failed') > 0 THEN 'failed'
              WHEN count(*) > 0 AND sum(status = 'delivered') = count(*) THEN 'delivered'
              ELSE 'received' END
  FROM deliveries WHERE event_id = e.id) AS now FROM events e WHERE e.id = ?`;

/**
 * Due deliveries of one destination, oldest due first. A delivery with an ordering key waits while an earlier one
 * (by seq) of the same destination + key is unfinished. Read through deliveries_due (pending and failed only, in due
 * order) so a claim reads about `limit` rows whatever the backlog: through the (status, destination) index SQLite
 * sorted the whole backlog on every claim, and with 20,000 waiting the drain fell tenfold (bench/RESULTS.md).
 */
export const CLAIM_DUE_SQL = `SELECT d.id, d.event_id, d.destination, d.attempt_count, d.schedule_step, d.manual, d.ordering_key,
            e.source, e.event_key, e.event_type, e.received_at, e.payload
     FROM deliveries d INDEXED BY deliveries_due JOIN events e ON e.id = d.event_id
     WHERE d.destination = @destination AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= @now
       AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= @now)
       AND (d.ordering_key IS NULL OR NOT EXISTS (
         SELECT 1 FROM deliveries p WHERE p.destination = d.destination AND p.ordering_key = d.ordering_key
           AND p.status IN ('pending', 'failed') AND (p.seq < d.seq OR p.lease_expires_at > @now)))
     ORDER BY d.next_attempt_at, d.seq LIMIT @limit`;

export function makeSqliteDeliveryWrites(db: SqliteDb) {
  const inFlight = db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM deliveries WHERE lease_expires_at > ? AND destination = ?');
  const isDisabled = db.prepare<[string], { disabled: number }>('SELECT disabled FROM destination_states WHERE name = ?');
  const due = db.prepare<{ now: number; destination: string; limit: number }, Row>(CLAIM_DUE_SQL);
  const lease = db.prepare('UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id = ?');

  // Destinations are filled in the order given (the worker rotates it: delivery-rules.ts).
  const claim = (options: ClaimOptions): ClaimedDelivery[] => {
    const claimed: ClaimedDelivery[] = [];
    for (const destination of options.destinations) {
      const room = Math.min(options.limit - claimed.length, destination.maxInFlight - inFlight.get(options.now, destination.name)!.n);
      if (room <= 0) continue;
      if (isDisabled.get(destination.name)?.disabled === 1) continue;
      for (const row of due.all({ now: options.now, destination: destination.name, limit: room })) {
        lease.run(options.workerId, options.now + options.leaseMs, row.id);
        claimed.push(toClaimed(row));
      }
      if (claimed.length >= options.limit) break;
    }
    return claimed;
  };

  const holder = db.prepare<
    [string, string],
    { event_id: string; destination: string; attempt_count: number; manual: number; status: string; replay_prev_status: string | null }
  >('SELECT event_id, destination, attempt_count, manual, status, replay_prev_status FROM deliveries WHERE id = ? AND lease_owner = ?');
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet, manual)
     VALUES (@id, @deliveryId, @attemptNumber, @startedAt, @durationMs, @statusCode, @error, @responseSnippet, @manual)`,
  );
  const finish = {
    delivered: db.prepare(
      `UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL, last_error = NULL, manual = 0,
         replay_prev_status = NULL, replay_prev_next_attempt_at = NULL, schedule_step = schedule_step + (1 - manual),
         attempt_count = attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE id = @id`,
    ),
    retry: db.prepare(
      `UPDATE deliveries SET status = 'failed', next_attempt_at = @next, last_error = @error, schedule_step = schedule_step + 1,
         attempt_count = attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE id = @id`,
    ),
    dead: db.prepare(
      `UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, last_error = @error, manual = 0,
         replay_prev_status = NULL, replay_prev_next_attempt_at = NULL, schedule_step = schedule_step + (1 - manual),
         attempt_count = attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE id = @id`,
    ),
    restore: db.prepare(
      `UPDATE deliveries SET status = coalesce(replay_prev_status, 'dead'), next_attempt_at = replay_prev_next_attempt_at,
         last_error = @error, manual = 0, replay_prev_status = NULL, replay_prev_next_attempt_at = NULL,
         attempt_count = attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE id = @id`,
    ),
  };
  const recordSuccess = db.prepare(
    `INSERT INTO destination_states (name, last_success_at, failure_streak) VALUES (?, ?, 0)
     ON CONFLICT (name) DO UPDATE SET last_success_at = excluded.last_success_at, failure_streak = 0`,
  );
  const recordFailure = db.prepare(
    `INSERT INTO destination_states (name, last_failure_at, failure_streak) VALUES (?, ?, 1)
     ON CONFLICT (name) DO UPDATE SET last_failure_at = excluded.last_failure_at, failure_streak = failure_streak + 1`,
  );
  const counts = makeStatusCounts(db);
  const eventStatusNow = db.prepare<[string], { was: string; live: number; now: string }>(EVENT_STATUS_NOW);
  const setEventStatus = db.prepare('UPDATE events SET status = ? WHERE id = ?');
  // The event row (payload and all) is rewritten only when its status really changes.
  const recomputeEvent = (eventId: string): void => {
    const status = eventStatusNow.get(eventId);
    if (!status || status.was === status.now) return;
    setEventStatus.run(status.now, eventId);
    if (status.live === 1) counts.eventMoved(status.was, status.now);
  };
  const statusAfter = (kind: AttemptResult['outcome']['kind'], replayPrevStatus: string | null): string =>
    kind === 'delivered' ? 'delivered' : kind === 'retry' ? 'failed' : kind === 'dead' ? 'dead' : (replayPrevStatus ?? 'dead');

  const complete = (result: AttemptResult): boolean => {
    const row = holder.get(result.deliveryId, result.workerId);
    if (!row) return false;
    const now = result.startedAt + result.durationMs;
    insertAttempt.run({ ...result, id: result.attemptId, attemptNumber: row.attempt_count + 1, manual: row.manual });
    const error = lastErrorOf(result);
    const params = { id: result.deliveryId, now, error, next: result.outcome.kind === 'retry' ? result.outcome.nextAttemptAt : null };
    const statement = finish[result.outcome.kind];
    statement.run(result.outcome.kind === 'delivered' ? { id: params.id, now } : result.outcome.kind === 'retry' ? params : { id: params.id, now, error });
    counts.deliveriesMoved(row.destination, row.status, statusAfter(result.outcome.kind, row.replay_prev_status));
    if (result.outcome.kind === 'delivered') recordSuccess.run(row.destination, now);
    else recordFailure.run(row.destination, now);
    recomputeEvent(row.event_id);
    return true;
  };

  const release = db.prepare('UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?');

  function requeue(filter: RequeueFilter): number {
    if (filter.statuses.length === 0) return 0;
    const where = ['d.status IN (SELECT value FROM json_each(@statuses))', '(d.lease_expires_at IS NULL OR d.lease_expires_at <= @now)'];
    const params: Record<string, string | number> = { now: filter.now, statuses: JSON.stringify(filter.statuses), limit: filter.limit ?? -1 };
    addTerm(where, params, 'd.event_id = @eventId', 'eventId', filter.eventId);
    addTerm(where, params, 'd.destination = @destination', 'destination', filter.destination);
    addTerm(where, params, 'e.source = @source', 'source', filter.source);
    addTerm(where, params, 'e.received_at >= @since', 'since', filter.since);
    addTerm(where, params, 'e.received_at <= @until', 'until', filter.until);
    const set = filter.manual
      ? // Remember what the replay interrupts (unless an earlier replay already did), to restore it if the replay fails.
        `replay_prev_status = CASE WHEN manual = 1 THEN replay_prev_status ELSE status END,
         replay_prev_next_attempt_at = CASE WHEN manual = 1 THEN replay_prev_next_attempt_at ELSE next_attempt_at END,
         manual = 1`
      : 'manual = 0, schedule_step = 0, replay_prev_status = NULL, replay_prev_next_attempt_at = NULL';
    const chosen = `SELECT d.id, d.destination, d.status FROM deliveries d JOIN events e ON e.id = d.event_id
                    WHERE ${where.join(' AND ')} ORDER BY d.seq LIMIT @limit`;
    // Counted before the update, from the same rows (same transaction, same order): they all become pending.
    const moving = db
      .prepare<Record<string, string | number>, { destination: string; status: string; n: number }>(
        `SELECT destination, status, count(*) AS n FROM (${chosen}) GROUP BY destination, status`,
      )
      .all(params);
    const touched = db
      .prepare<Record<string, string | number>, { event_id: string }>(
        `UPDATE deliveries SET ${set}, status = 'pending', next_attempt_at = @now, updated_at = @now
         WHERE id IN (SELECT id FROM (${chosen})) RETURNING event_id`,
      )
      .all(params);
    for (const m of moving) counts.deliveriesMoved(m.destination, m.status, 'pending', m.n);
    for (const eventId of new Set(touched.map((t) => t.event_id))) recomputeEvent(eventId);
    return touched.length;
  }

  return {
    claimDeliveries: (options: ClaimOptions): ClaimedDelivery[] => claim(options),
    completeAttempt: (result: AttemptResult): boolean => complete(result),
    releaseLeases: (workerId: string): number => release.run(workerId).changes,
    requeueDeliveries: (filter: RequeueFilter): number => requeue(filter),
  };
}
