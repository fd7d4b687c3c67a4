/**
 * Delivery bookkeeping on PostgreSQL: attempt records (record-attempts.ts) and claims (claim-deliveries.ts),
 * group-committed together; release and requeue. Read-only views live in views.ts, the LISTEN side of subscribeDue
 * in listen.ts.
 */
import { allOk, makeGroupCommit, type Settled } from '../group-commit.ts';
import type { AttemptResult, ClaimedDelivery, ClaimOptions, RequeueFilter } from '../types.ts';
import { KEYED_PLANS, lockForBookkeeping } from './bookkeeping-locks.ts';
import { claimDestinations, claimLocked } from './claim-deliveries.ts';
import { toStorageError } from './errors.ts';
import { DUE_CHANNEL, type Db, type Query } from './pool.ts';
import { makeWhere } from '../rows.ts';
import { EVENT_STATUS_OF, recordAttempts } from './record-attempts.ts';

/** Event rows locked before their deliveries' statuses change (see record-attempts.ts for why). */
const LOCK_EVENTS = 'SELECT id FROM events WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE';
const RECOMPUTE_EVENT_STATUS = `UPDATE events SET status = (
  SELECT ${EVENT_STATUS_OF('d.status')} FROM deliveries d WHERE d.event_id = events.id) WHERE id = ANY($1::text[])`;

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

type Bookkeeping = { kind: 'attempt'; result: AttemptResult } | { kind: 'claim'; options: ClaimOptions };

export function makePostgresDeliveries(db: Db, notifyLocal: () => void) {
  /**
   * Attempts finished in one tick, recorded in one statement (record-attempts.ts), their events locked first. With
   * `isolate`, or when a delivery appears twice (recorded as if one after the other: the second finds the lease
   * gone), each attempt is its own statement; with `isolate` each runs in a savepoint, so one that fails undoes only
   * itself. Without, any failure fails the whole group.
   */
  async function recordGroup(q: Query, results: AttemptResult[], isolate: boolean): Promise<Settled<boolean>[]> {
    const distinct = new Set(results.map((r) => r.deliveryId)).size === results.length;
    if (!isolate && distinct) return allOk(await recordAttempts(q, results));
    const settled: Settled<boolean>[] = [];
    for (const result of results) {
      const one = async () => (await recordAttempts(q, [result]))[0]!;
      settled.push(isolate ? await inSavepoint(q, one) : { ok: true, value: await one() });
    }
    return settled;
  }

  /** Claims made at once (several workers in this process), one after another in a transaction holding their locks. */
  async function claimGroup(q: Query, requests: ClaimOptions[]): Promise<ClaimedDelivery[][]> {
    const claimed: ClaimedDelivery[][] = [];
    for (const options of requests) claimed.push(await claimLocked(q, options));
    return claimed;
  }

  const attemptsOnly = (results: AttemptResult[], isolate: boolean) =>
    db.tx(async (q) => {
      await lockForBookkeeping(
        q,
        results.map((r) => r.deliveryId),
        [],
      );
      return recordGroup(q, results, isolate);
    }, KEYED_PLANS);
  const claimsOnly = (requests: ClaimOptions[]) =>
    db.tx(async (q) => {
      await lockForBookkeeping(q, [], claimDestinations(requests));
      return claimGroup(q, requests);
    }, KEYED_PLANS);

  /**
   * Attempt records and claims made while the previous group was being written form the next group: one
   * transaction, one commit, records first and claims after them. A worker asks for its next deliveries as it hands
   * over a finished attempt, so the lease the record gives back is room for the claim in the same transaction
   * (Store.claimDeliveries sees every attempt completed before it was called). The claims hold their destinations'
   * advisory locks to the commit, so they never exceed max_in_flight.
   *
   * If the transaction fails, the records and the claims run again in a transaction each: the records with one
   * savepoint per attempt, so that only an attempt at fault fails (a lock wait that timed out on one delivery row
   * included), as if each had been recorded on its own; the claims as before, failing together.
   */
  const bookkeeping = makeGroupCommit(async (items: Bookkeeping[]): Promise<Settled<boolean | ClaimedDelivery[]>[]> => {
    const results = items.flatMap((i) => (i.kind === 'attempt' ? [i.result] : []));
    const requests = items.flatMap((i) => (i.kind === 'claim' ? [i.options] : []));
    let recorded: Settled<boolean>[];
    let claimed: Settled<ClaimedDelivery[]>[];
    try {
      [recorded, claimed] = await db.tx(async (q) => {
        await lockForBookkeeping(
          q,
          results.map((r) => r.deliveryId),
          claimDestinations(requests),
        );
        const r = results.length ? await recordGroup(q, results, false) : [];
        return [r, allOk(await claimGroup(q, requests))] as const;
      }, KEYED_PLANS);
    } catch {
      recorded = results.length ? await attemptsOnly(results, true) : [];
      claimed = requests.length ? await claimsOnly(requests).then(allOk, (error: unknown) => requests.map(() => ({ ok: false as const, error }))) : [];
    }
    return items.map((i) => (i.kind === 'attempt' ? recorded.shift()! : claimed.shift()!));
  });

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
    claimDeliveries: (options: ClaimOptions) => bookkeeping.submit({ kind: 'claim', options }) as Promise<ClaimedDelivery[]>,
    completeAttempt: (result: AttemptResult) => bookkeeping.submit({ kind: 'attempt', result }) as Promise<boolean>,
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
