/**
 * Claiming due deliveries on PostgreSQL. Claimers of one destination serialise on an advisory lock held to the end
 * of their transaction (taken by bookkeeping-locks.ts, in name order), so the count of live leases they read cannot
 * be raced past max_in_flight by another process; FOR UPDATE SKIP LOCKED keeps them off rows another transaction
 * (a completing attempt, a requeue) is changing. After the locks, one statement per destination reads its room,
 * picks the due rows and leases them.
 */
import { toClaimed } from '../delivery-rules.ts';
import type { ClaimedDelivery, ClaimOptions } from '../types.ts';
import type { Query } from './pool.ts';

/**
 * One destination's claim: $1 destination, $2 now, $3 most to claim, $4 its max_in_flight, $5 worker, $6 lease end.
 * Its room is max_in_flight less its live leases (none while it is disabled). It runs after the advisory lock was
 * taken, so its snapshot sees every lease committed by other claimers of the destination.
 * A delivery with an ordering key waits while an earlier one (by seq) of the same destination + key is unfinished,
 * and while any other of them is leased: an earlier seq can become visible after a later one was claimed (two
 * ingest transactions commit in the other order than they drew seq; a manual replay of an older event).
 */
const CLAIM = `WITH room AS (
    SELECT CASE WHEN coalesce((SELECT disabled FROM destination_states WHERE name = $1), false) THEN 0
      ELSE greatest(0, least($3::int, $4::int - (SELECT count(*) FROM deliveries WHERE destination = $1 AND lease_expires_at > $2)::int)) END AS n),
  due AS (
    SELECT d.id, d.event_id, d.destination, d.attempt_count, d.schedule_step, d.manual, d.ordering_key, d.next_attempt_at, d.seq,
      e.source, e.event_key, e.event_type, e.received_at, e.payload
    FROM deliveries d JOIN events e ON e.id = d.event_id
    WHERE d.destination = $1 AND d.status IN ('pending', 'failed') AND d.next_attempt_at <= $2
      AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $2)
      AND (d.ordering_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM deliveries p WHERE p.destination = d.destination AND p.ordering_key = d.ordering_key
          AND p.status IN ('pending', 'failed') AND (p.seq < d.seq OR p.lease_expires_at > $2)))
    ORDER BY d.next_attempt_at, d.seq LIMIT (SELECT n FROM room) FOR UPDATE OF d SKIP LOCKED),
  leased AS (UPDATE deliveries SET lease_owner = $5, lease_expires_at = $6 WHERE id = ANY (ARRAY(SELECT id FROM due)))
  SELECT * FROM due ORDER BY next_attempt_at, seq`;

/** The destinations these claims name, each once, in the order their claim locks are taken (by name). */
export const claimDestinations = (requests: ClaimOptions[]): string[] => [...new Set(requests.flatMap((r) => r.destinations.map((d) => d.name)))].sort();

/**
 * One worker's claim, its destinations filled in the order given (the worker rotates it: delivery-rules.ts). The
 * transaction holds the claim locks of its destinations (claimDestinations, bookkeeping-locks.ts).
 */
export async function claimLocked(q: Query, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const claimed: ClaimedDelivery[] = [];
  for (const destination of options.destinations) {
    const limit = options.limit - claimed.length;
    if (limit <= 0) break;
    const due = await q(CLAIM, [destination.name, options.now, limit, destination.maxInFlight, options.workerId, options.now + options.leaseMs], 'filab_claim');
    claimed.push(...due.rows.map(toClaimed));
  }
  return claimed;
}
