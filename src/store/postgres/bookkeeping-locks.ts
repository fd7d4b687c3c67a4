/**
 * The locks a bookkeeping transaction takes before it reads or changes anything, in one statement. Every
 * transaction that takes more than one kind takes them in one order: claim locks (advisory, by destination name),
 * then event rows (by id), then delivery rows, then destination_states rows (by name). Holding an event row is what
 * lets a transaction recompute the event's status from its deliveries (see record-attempts.ts); holding a
 * destination's claim lock is what lets a claim count its live leases (claim-deliveries.ts).
 */
import type { Query } from './pool.ts';

/**
 * $1: delivery ids whose event rows to lock; $2: destination names whose claim locks to take (sorted). The claim
 * locks are a one-time filter of the event lookup: taken first, whether or not any event row matches.
 */
const LOCK = `WITH claim_locks AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(hashtext('filab:claim:' || name)) FROM unnest($2::text[]) WITH ORDINALITY AS t (name, ord) ORDER BY ord)
  SELECT id FROM events
  WHERE (SELECT count(*) FROM claim_locks) >= 0 AND id IN (SELECT event_id FROM deliveries WHERE id = ANY ($1::text[]))
  ORDER BY id FOR NO KEY UPDATE`;

/** Locks what a bookkeeping transaction needs: the events of these deliveries and these destinations' claim locks. */
export async function lockForBookkeeping(q: Query, deliveryIds: string[], destinations: string[]): Promise<void> {
  if (deliveryIds.length || destinations.length) await q(LOCK, [deliveryIds, destinations], 'filab_bookkeeping_locks');
}

/**
 * The settings of every bookkeeping transaction, sent with its BEGIN. Its statements touch a handful of rows by key
 * (a group's attempts, a claim's due rows), so index lookups in nested loops are the right plan at every table size.
 * The planner, seeing a table still small (a plan is cached per connection, and statistics are only as fresh as the
 * last ANALYZE), would choose to scan it whole and hash, and keep that plan as the table grows: a group's record
 * then read every delivery. They are prepared (planned once per connection): planning them each time cost about a
 * third of the server's time on this path.
 */
export const KEYED_PLANS = 'SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off';
