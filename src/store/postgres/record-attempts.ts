/**
 * Recording finished attempts on PostgreSQL: a whole group in one statement. Per attempt it checks under the
 * delivery's row lock that the lease is still this worker's, inserts the attempt and finishes the delivery by its
 * outcome; for the group it applies each destination's streak change and recomputes the status of every event
 * touched. One statement instead of several per attempt: each statement also fires the count triggers
 * (migration 005) once, and costs a round trip and a parse/bind/execute on the server.
 */
import { lastErrorOf } from '../delivery-rules.ts';
import type { AttemptResult } from '../types.ts';
import type { Query } from './pool.ts';

/** Event status from its deliveries' statuses: any dead > any failed > all delivered > received (also with none). */
export const EVENT_STATUS_OF = (status: string) => `CASE WHEN count(*) FILTER (WHERE ${status} = 'dead') > 0 THEN 'dead'
  WHEN count(*) FILTER (WHERE ${status} = 'failed') > 0 THEN 'failed'
  WHEN count(*) > 0 AND count(*) FILTER (WHERE ${status} = 'delivered') = count(*) THEN 'delivered'
  ELSE 'received' END`;

/**
 * The group's statement. Parameters are arrays, one element per attempt in call order (ord): $1 delivery id,
 * $2 worker id, $3 attempt id, $4 started at, $5 duration ms, $6 status code, $7 error, $8 response snippet,
 * $9 outcome kind, $10 the delivery's last error after it, $11 next attempt time (retry), $12 finish time.
 * A delivery id may appear once: the caller records repeats one at a time.
 *
 * How each outcome finishes its delivery (every SET expression reads the row as it was):
 * - delivered: no error, manual flag and replay memory cleared, the schedule advances unless it was a replay;
 * - retry: failed, due again at $11, the schedule advances (a replay's memory stays, to restore later);
 * - dead: like delivered but dead with its error;
 * - restore (a failed replay): back to what the replay interrupted; the schedule stays.
 *
 * The streak: one destination's recorded outcomes applied as one by one: a success resets it to the failures
 * after it, failures alone add to it. Event statuses are computed from the deliveries as this statement leaves
 * them: its own new statuses over the rows it read (a statement does not see its own updates).
 * Its event rows were locked before, in the transaction's first statement (bookkeeping-locks.ts): the recompute
 * then reads every change committed by other changers of those events. (Without the lock, two workers finishing an
 * event's two deliveries at once each counted the other's as unfinished under READ COMMITTED, and the event kept
 * 'received' for good.) Locks: deliveries (sorted by id) here, then
 * destination_states rows (sorted by name), the order every bookkeeping transaction keeps.
 */
const RECORD_ATTEMPTS = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[], $7::text[], $8::text[],
      $9::text[], $10::text[], $11::bigint[], $12::bigint[])
      WITH ORDINALITY AS t (delivery_id, worker_id, attempt_id, started_at, duration_ms, status_code, error, snippet,
        kind, last_error, next_at, finished_at, ord)),
  held AS (
    SELECT d.id, d.event_id, d.destination, d.attempt_count AS held_count, d.manual AS held_manual, i.*
    FROM deliveries d JOIN input i ON d.id = i.delivery_id AND d.lease_owner = i.worker_id
    ORDER BY d.id FOR UPDATE OF d),
  recorded AS (
    INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet, manual)
    SELECT attempt_id, id, held_count + 1, started_at, duration_ms, status_code, error, snippet, held_manual FROM held ORDER BY ord),
  finished AS (
    UPDATE deliveries SET
      status = CASE h.kind WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'failed' WHEN 'dead' THEN 'dead'
                           ELSE coalesce(deliveries.replay_prev_status, 'dead') END,
      next_attempt_at = CASE h.kind WHEN 'retry' THEN h.next_at WHEN 'restore' THEN deliveries.replay_prev_next_attempt_at END,
      last_error = h.last_error,
      manual = h.kind = 'retry' AND deliveries.manual,
      replay_prev_status = CASE WHEN h.kind = 'retry' THEN deliveries.replay_prev_status END,
      replay_prev_next_attempt_at = CASE WHEN h.kind = 'retry' THEN deliveries.replay_prev_next_attempt_at END,
      schedule_step = deliveries.schedule_step + CASE WHEN h.kind = 'retry' THEN 1 WHEN h.kind = 'restore' OR deliveries.manual THEN 0 ELSE 1 END,
      attempt_count = deliveries.attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = h.finished_at
    FROM held h WHERE deliveries.id = h.id
    RETURNING h.id, h.event_id, h.destination, h.kind, h.finished_at, h.ord, deliveries.status),
  per_destination AS (
    SELECT destination, max(ord) FILTER (WHERE kind = 'delivered') AS success_ord,
      (array_agg(finished_at ORDER BY ord DESC) FILTER (WHERE kind = 'delivered'))[1] AS success_at,
      (array_agg(finished_at ORDER BY ord DESC) FILTER (WHERE kind <> 'delivered'))[1] AS failure_at
    FROM finished GROUP BY destination),
  streak AS (
    INSERT INTO destination_states (name, last_success_at, last_failure_at, failure_streak)
    SELECT p.destination, p.success_at, p.failure_at,
      (SELECT count(*) FROM finished f WHERE f.destination = p.destination AND f.kind <> 'delivered' AND f.ord > coalesce(p.success_ord, 0))
    FROM per_destination p ORDER BY p.destination
    ON CONFLICT (name) DO UPDATE SET
      last_success_at = coalesce(excluded.last_success_at, destination_states.last_success_at),
      last_failure_at = coalesce(excluded.last_failure_at, destination_states.last_failure_at),
      failure_streak = CASE WHEN excluded.last_success_at IS NULL THEN destination_states.failure_streak + excluded.failure_streak
                            ELSE excluded.failure_streak END),
  event_status AS (
    SELECT d.event_id, ${EVENT_STATUS_OF('coalesce(f.status, d.status)')} AS status
    FROM deliveries d LEFT JOIN finished f ON f.id = d.id
    WHERE d.event_id IN (SELECT event_id FROM finished) GROUP BY d.event_id),
  events_set AS (
    UPDATE events e SET status = s.status FROM event_status s WHERE e.id = s.event_id AND e.status <> s.status)
  SELECT id FROM finished`;

/** The group's parameters for RECORD_ATTEMPTS, in call order. */
function recordParameters(results: AttemptResult[]): unknown[][] {
  const column = <T>(f: (r: AttemptResult) => T) => results.map(f);
  return [
    column((r) => r.deliveryId),
    column((r) => r.workerId),
    column((r) => r.attemptId),
    column((r) => r.startedAt),
    column((r) => r.durationMs),
    column((r) => r.statusCode),
    column((r) => r.error),
    column((r) => r.responseSnippet),
    column((r) => r.outcome.kind),
    column(lastErrorOf),
    column((r) => (r.outcome.kind === 'retry' ? r.outcome.nextAttemptAt : null)),
    column((r) => r.startedAt + r.durationMs),
  ];
}

/**
 * Records these attempts (distinct deliveries) in one statement, inside a transaction that already locked their
 * events. Returns, per attempt, whether it was recorded (false: the lease had moved on, nothing was written).
 */
export async function recordAttempts(q: Query, results: AttemptResult[]): Promise<boolean[]> {
  const recorded = await q<{ id: string }>(RECORD_ATTEMPTS, recordParameters(results), 'filab_record_attempts');
  const ids = new Set(recorded.rows.map((r) => r.id));
  return results.map((r) => ids.has(r.deliveryId));
}
