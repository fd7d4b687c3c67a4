/**
 * Delivery bookkeeping on PostgreSQL: claim with leases, attempts, release, requeue. Read-only views live in
 * views.ts, the LISTEN side of subscribeDue in listen.ts. Claimers of one destination serialise on an
 * advisory lock held to the end of their transaction (taken in name order, so claimers never deadlock), so
 * the count of live leases they read cannot be raced past max_in_flight by another process; FOR UPDATE
 * SKIP LOCKED keeps them off rows another transaction (a completing attempt, a requeue) is changing.
 */
import { allOk, makeGroupCommit, type Settled } from '../group-commit.ts';
import type { AttemptResult, ClaimedDelivery, ClaimOptions, RequeueFilter } from '../types.ts';
import { toStorageError } from './errors.ts';
import { DUE_CHANNEL, type Db, type Query } from './pool.ts';
import { makeWhere } from '../rows.ts';
import { lastErrorOf, toClaimed } from '../delivery-rules.ts';

/**
 * Event status from its deliveries: any dead > any failed > all delivered > received (also with none).
 * Every transaction that changes a delivery's status locks its event row first (LOCK_EVENTS) and recomputes
 * last: its recompute then starts after any other changer of the same event committed, so it reads their
 * changes. (Without the lock, two workers finishing an event's two deliveries at once each counted the other's
 * as unfinished under READ COMMITTED, and the event kept 'received' for good.)
 */
const LOCK_EVENTS = 'SELECT id FROM events WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE';
const RECOMPUTE_EVENT_STATUS = `UPDATE events SET status = (
  SELECT CASE WHEN count(*) FILTER (WHERE d.status = 'dead') > 0 THEN 'dead'
              WHEN count(*) FILTER (WHERE d.status = 'failed') > 0 THEN 'failed'
              WHEN count(*) > 0 AND count(*) FILTER (WHERE d.status = 'delivered') = count(*) THEN 'delivered'
              ELSE 'received' END
  FROM deliveries d WHERE d.event_id = events.id) WHERE id = ANY($1::text[])`;

// A delivery with an ordering key waits while an earlier one (by seq) of the same destination + key is unfinished,
// and while any other of them is leased: an earlier seq can become visible after a later one was claimed (two
// ingest transactions commit in the other order than they drew seq; a manual replay of an older event).
const DUE = `SELECT d.id, d.event_id, d.destination, d.attempt_count, d.schedule_step, d.manual, d.ordering_key,
    e.source, e.event_key, e.event_type, e.received_at, e.payload
  FROM deliveries d JOIN events e ON e.id = d.event_id
  WHERE d.destination = $1 AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= $2
    AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $2)
    AND (d.ordering_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM deliveries p WHERE p.destination = d.destination AND p.ordering_key = d.ordering_key
        AND p.status IN ('pending', 'failed') AND (p.seq < d.seq OR p.lease_expires_at > $2)))
  ORDER BY d.next_attempt_at, d.seq LIMIT $3 FOR UPDATE OF d SKIP LOCKED`;

/**
 * One destination's outcomes of a group, applied as the attempts one by one would have: a success resets the
 * streak to the failures after it, failures alone add to it. $2/$3 are the last success/failure time or null.
 */
const RECORD_STREAK = `INSERT INTO destination_states (name, last_success_at, last_failure_at, failure_streak) VALUES ($1, $2, $3, $4)
  ON CONFLICT (name) DO UPDATE SET
    last_success_at = coalesce(excluded.last_success_at, destination_states.last_success_at),
    last_failure_at = coalesce(excluded.last_failure_at, destination_states.last_failure_at),
    failure_streak = CASE WHEN excluded.last_success_at IS NULL THEN destination_states.failure_streak + excluded.failure_streak
                          ELSE excluded.failure_streak END`;

interface StreakChange {
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** Failures since the group's last success (all of them when it has none). */
  failures: number;
}

const LEASE_COLUMNS = 'attempt_count = attempt_count + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2';
/** How an attempt finishes its delivery, by outcome: $1 delivery id, $2 now, $3 error, $4 next attempt time. */
const FINISH_SET = {
  delivered: `status = 'delivered', next_attempt_at = NULL, last_error = NULL, manual = false,
    replay_prev_status = NULL, replay_prev_next_attempt_at = NULL, schedule_step = schedule_step + (CASE WHEN manual THEN 0 ELSE 1 END),
    ${LEASE_COLUMNS}`,
  retry: `status = 'failed', next_attempt_at = $4, last_error = $3, schedule_step = schedule_step + 1, ${LEASE_COLUMNS}`,
  dead: `status = 'dead', next_attempt_at = NULL, last_error = $3, manual = false,
    replay_prev_status = NULL, replay_prev_next_attempt_at = NULL, schedule_step = schedule_step + (CASE WHEN manual THEN 0 ELSE 1 END),
    ${LEASE_COLUMNS}`,
  restore: `status = coalesce(replay_prev_status, 'dead'), next_attempt_at = replay_prev_next_attempt_at,
    last_error = $3, manual = false, replay_prev_status = NULL, replay_prev_next_attempt_at = NULL,
    ${LEASE_COLUMNS}`,
};

/**
 * One statement per attempt: the delivery row is locked and checked to be still leased by this worker (the lease
 * may have moved to another worker meanwhile), the attempt row takes the attempt number and replay flag read
 * under that lock, and the delivery is finished as FINISH_SET says. Nothing is written, and no row returned,
 * when the lease moved on. The attempt's own parameters follow the finish's ($1..$finishParams).
 */
function recordAttemptSql(set: string, finishParams: number): string {
  const p = (i: number) => `$${finishParams + i}`;
  return `WITH held AS (
      SELECT id AS held_id, event_id AS held_event, destination AS held_destination, attempt_count AS held_count, manual AS held_manual
      FROM deliveries WHERE id = $1 AND lease_owner = ${p(1)} FOR UPDATE),
    recorded AS (
      INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet, manual)
      SELECT ${p(2)}, held_id, held_count + 1, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, held_manual FROM held)
    UPDATE deliveries SET ${set} FROM held WHERE deliveries.id = held_id
    RETURNING held_event AS event_id, held_destination AS destination`;
}

type FinishKind = keyof typeof FINISH_SET;

/** Per outcome: the statement, and how many of the finish values ($1 id, $2 now, $3 error, $4 next) its SET uses. */
const RECORD_ATTEMPT = Object.fromEntries(
  Object.entries(FINISH_SET).map(([kind, set]) => {
    // A statement may not leave a parameter number unused, so each takes the finish values up to its highest.
    const finishParams = Math.max(2, ...[...set.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    return [kind, { sql: recordAttemptSql(set, finishParams), finishParams }];
  }),
) as Record<FinishKind, { sql: string; finishParams: number }>;

/** Run one step in a savepoint: if it fails, only its own writes are undone and the transaction goes on. */
async function inSavepoint<T>(q: Query, step: () => Promise<T>): Promise<Settled<T>> {
  await q('SAVEPOINT attempt');
  try {
    const value = await step();
    await q('RELEASE SAVEPOINT attempt');
    return { ok: true, value };
  } catch (error) {
    await q('ROLLBACK TO SAVEPOINT attempt');
    return { ok: false, error: toStorageError(error) };
  }
}

export function makePostgresDeliveries(db: Db, notifyLocal: () => void) {
  async function claim(q: Query, options: ClaimOptions): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    // Lock every destination first, in one fixed order: claimers taking them in rotated order would deadlock.
    for (const name of options.destinations.map((d) => d.name).sort()) {
      await q("SELECT pg_advisory_xact_lock(hashtext('filab:claim:' || $1))", [name], 'filab_claim_lock');
    }
    // Destinations are filled in the order given (the worker rotates it: delivery-rules.ts).
    for (const destination of options.destinations) {
      if (claimed.length >= options.limit) break;
      const state = await q<{ disabled: boolean; in_flight: number }>(
        `SELECT coalesce((SELECT disabled FROM destination_states WHERE name = $1), false) AS disabled,
                (SELECT count(*) FROM deliveries WHERE destination = $1 AND lease_expires_at > $2) AS in_flight`,
        [destination.name, options.now],
        'filab_claim_room',
      );
      const { disabled, in_flight } = state.rows[0]!;
      const room = Math.min(options.limit - claimed.length, destination.maxInFlight - in_flight);
      if (disabled || room <= 0) continue;
      // Not prepared: a custom plan per call suits its ordering-key subquery best.
      const due = await q(DUE, [destination.name, options.now, room]);
      if (!due.rows.length) continue;
      await q(
        'UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 WHERE id = ANY($3::text[])',
        [options.workerId, options.now + options.leaseMs, due.rows.map((r) => r.id)],
        'filab_lease',
      );
      claimed.push(...due.rows.map(toClaimed));
    }
    return claimed;
  }

  /**
   * Record one attempt whose event row the group already locked: one statement (one round trip) checks that the
   * lease is still this worker's, inserts the attempt and finishes the delivery. Returns what the group must apply
   * after every attempt (its destination's streak change, its event to recompute), or null when the lease moved on.
   */
  async function recordAttempt(q: Query, result: AttemptResult): Promise<{ destination: string; eventId: string; at: number } | null> {
    const now = result.startedAt + result.durationMs;
    const { outcome } = result;
    const error = lastErrorOf(result);
    const { sql, finishParams } = RECORD_ATTEMPT[outcome.kind];
    const finishValues = [result.deliveryId, now, error, outcome.kind === 'retry' ? outcome.nextAttemptAt : null];
    const recorded = await q<{ event_id: string; destination: string }>(
      sql,
      [
        ...finishValues.slice(0, finishParams),
        result.workerId,
        result.attemptId,
        result.startedAt,
        result.durationMs,
        result.statusCode,
        result.error,
        result.responseSnippet,
      ],
      `filab_record_${outcome.kind}`,
    );
    const row = recorded.rows[0];
    return row ? { destination: row.destination, eventId: row.event_id, at: now } : null;
  }

  /**
   * The attempts finished in one tick, recorded in one transaction (one commit, one sync). Locks are taken in one
   * fixed order, so worker processes recording at once cannot deadlock: every event row first (sorted by id),
   * then each delivery row under its event, then the destination rows (sorted by name) at the end.
   * With `isolate`, each attempt runs in a savepoint, so one that fails undoes only itself; without, any failure
   * fails the whole group (see completeAttempt).
   */
  async function completeGroup(q: Query, results: AttemptResult[], isolate: boolean): Promise<Settled<boolean>[]> {
    const owners = await q<{ event_id: string }>(
      'SELECT DISTINCT event_id FROM deliveries WHERE id = ANY($1::text[])',
      [results.map((r) => r.deliveryId)],
      'filab_attempt_events',
    );
    if (owners.rows.length) await q(LOCK_EVENTS, [owners.rows.map((r) => r.event_id)], 'filab_lock_events');
    const streaks = new Map<string, StreakChange>();
    const events = new Set<string>();
    const settled: Settled<boolean>[] = [];
    for (const result of results) {
      const attempt = isolate ? await inSavepoint(q, () => recordAttempt(q, result)) : { ok: true as const, value: await recordAttempt(q, result) };
      if (!attempt.ok) {
        settled.push(attempt);
        continue;
      }
      const recorded = attempt.value;
      if (recorded) {
        events.add(recorded.eventId);
        const change = streaks.get(recorded.destination) ?? { lastSuccessAt: null, lastFailureAt: null, failures: 0 };
        if (result.outcome.kind === 'delivered') Object.assign(change, { lastSuccessAt: recorded.at, failures: 0 });
        else Object.assign(change, { lastFailureAt: recorded.at, failures: change.failures + 1 });
        streaks.set(recorded.destination, change);
      }
      settled.push({ ok: true, value: recorded !== null });
    }
    for (const [name, change] of [...streaks].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await q(RECORD_STREAK, [name, change.lastSuccessAt, change.lastFailureAt, change.failures], 'filab_record_streak');
    }
    if (events.size) await q(RECOMPUTE_EVENT_STATUS, [[...events]], 'filab_recompute_status');
    return settled;
  }

  /**
   * Attempts finishing while a group is being recorded form the next group: one in flight per process. A group
   * is first recorded without savepoints (one round trip per attempt instead of three); if anything fails, the
   * group is recorded again with one savepoint per attempt, so that only an attempt at fault fails (a lock wait
   * that timed out on one delivery row included), as if each had been recorded on its own.
   */
  const attempts = makeGroupCommit((results: AttemptResult[]) =>
    db.tx((q) => completeGroup(q, results, false)).catch(() => db.tx((q) => completeGroup(q, results, true))),
  );

  /**
   * Claims made at once (several workers in this process) run one after another in one transaction: one commit for
   * all. Each takes its destinations' advisory locks, held to the commit, so they still never exceed max_in_flight.
   */
  const claims = makeGroupCommit(async (requests: ClaimOptions[]) =>
    allOk(
      await db.tx(async (q) => {
        const claimed: ClaimedDelivery[][] = [];
        for (const options of requests) claimed.push(await claim(q, options));
        return claimed;
      }),
    ),
  );

  async function requeue(q: Query, filter: RequeueFilter): Promise<number> {
    const where = makeWhere();
    const now = where.param(filter.now);
    where.add(`d.status = ANY(${where.param(filter.statuses)}::text[])`);
    where.add(`(d.lease_expires_at IS NULL OR d.lease_expires_at <= ${now})`);
    if (filter.eventId !== undefined) where.add(`d.event_id = ${where.param(filter.eventId)}`);
    if (filter.destination !== undefined) where.add(`d.destination = ${where.param(filter.destination)}`);
    if (filter.source !== undefined) where.add(`e.source = ${where.param(filter.source)}`);
    if (filter.since !== undefined) where.add(`e.received_at >= ${where.param(filter.since)}`);
    if (filter.until !== undefined) where.add(`e.received_at <= ${where.param(filter.until)}`);
    const limit = filter.limit !== undefined ? `LIMIT ${where.param(filter.limit)}` : '';
    const set = filter.manual
      ? // Remember what the replay interrupts (unless an earlier replay already did), to restore it if the replay fails.
        `replay_prev_status = CASE WHEN manual THEN replay_prev_status ELSE status END,
         replay_prev_next_attempt_at = CASE WHEN manual THEN replay_prev_next_attempt_at ELSE next_attempt_at END,
         manual = true`
      : 'manual = false, schedule_step = 0, replay_prev_status = NULL, replay_prev_next_attempt_at = NULL';
    const candidates = await q<{ id: string; event_id: string }>(
      `SELECT d.id, d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id ${where.sql()} ORDER BY d.seq ${limit}`,
      where.params,
    );
    if (!candidates.rows.length) return 0;
    await q(LOCK_EVENTS, [[...new Set(candidates.rows.map((c) => c.event_id))]]);
    // The filter again under the event locks: a candidate may have been claimed or finished meanwhile.
    const touched = await q<{ event_id: string }>(
      `UPDATE deliveries d SET ${set}, status = 'pending', next_attempt_at = $1, updated_at = $1
       WHERE d.id = ANY($2::text[]) AND d.status = ANY($3::text[]) AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $1)
       RETURNING event_id`,
      [filter.now, candidates.rows.map((c) => c.id), filter.statuses],
    );
    if (touched.rows.length) {
      await q(RECOMPUTE_EVENT_STATUS, [[...new Set(touched.rows.map((t) => t.event_id))]]);
      await notifyAtCommit(q);
    }
    return touched.rows.length;
  }

  /** NOTIFY reaches every process at commit; workers in this process are woken after commit by the caller. */
  const notifyAtCommit = (q: Query) => q('SELECT pg_notify($1, $2)', [DUE_CHANNEL, '']);
  const thenWake = <T>(work: Promise<T>, shouldWake: (value: T) => boolean) =>
    work.then((value) => {
      if (shouldWake(value)) notifyLocal();
      return value;
    });

  return {
    claimDeliveries: claims.submit,
    completeAttempt: attempts.submit,
    releaseLeases: (workerId: string) =>
      thenWake(
        db.tx(async (q) => {
          const released = await q('UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1', [workerId]);
          if (released.rowCount) await notifyAtCommit(q);
          return released.rowCount ?? 0;
        }),
        (n) => n > 0,
      ),
    requeueDeliveries: (filter: RequeueFilter) =>
      filter.statuses.length === 0
        ? Promise.resolve(0)
        : thenWake(
            db.tx((q) => requeue(q, filter)),
            (n) => n > 0,
          ),
    setDestinationDisabled: (name: string, disabled: boolean, reason: string | null, _now: number) =>
      thenWake(
        db.tx(async (q) => {
          await q(
            `INSERT INTO destination_states (name, disabled, disabled_reason) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET disabled = excluded.disabled, disabled_reason = excluded.disabled_reason`,
            [name, disabled, disabled ? reason : null],
          );
          if (!disabled) await notifyAtCommit(q);
        }),
        () => !disabled,
      ),
  };
}
