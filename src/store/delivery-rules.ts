/**
 * Delivery rules both backends share, kept out of their SQL files: how a claimed row becomes a ClaimedDelivery,
 * and what a failed attempt leaves as its delivery's last error. The backends run the statements; these decide.
 */
import type { Row } from './rows.ts';
import type { AttemptResult, ClaimedDelivery, DeliveryStatus, EventStatus } from './types.ts';

export const EVENT_STATUSES: readonly EventStatus[] = ['received', 'delivered', 'failed', 'dead'];
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'failed', 'delivered', 'dead'];

/**
 * A row of the claim query (deliveries d joined with events e: d.id, d.event_id, d.destination, d.attempt_count,
 * d.schedule_step, d.manual, d.ordering_key, e.source, e.event_key, e.event_type, e.received_at, e.payload).
 * Booleans are 0/1 on SQLite.
 */
export function toClaimed(row: Row): ClaimedDelivery {
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    destination: row.destination as string,
    attemptNumber: (row.attempt_count as number) + 1,
    manual: row.manual === true || row.manual === 1,
    scheduleStep: row.schedule_step as number,
    orderingKey: row.ordering_key as string | null,
    source: row.source as string,
    eventKey: row.event_key as string,
    eventType: row.event_type as string,
    receivedAt: row.received_at as number,
    payload: row.payload as Buffer,
  };
}

/** The delivery's last_error after this attempt: none once delivered; else the attempt's error, or its HTTP status. */
export function lastErrorOf(result: AttemptResult): string | null {
  if (result.outcome.kind === 'delivered') return null;
  return result.error ?? (result.statusCode !== null ? `HTTP ${result.statusCode}` : 'failed');
}

/** Where a claim starts among the destinations, turn after turn, so one busy destination cannot take every slot. */
export function rotated<T>(list: readonly T[], turn: number): T[] {
  if (list.length === 0) return [];
  const start = turn % list.length;
  return [...list.slice(start), ...list.slice(0, start)];
}
