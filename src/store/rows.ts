/**
 * Row -> record mapping shared by both backends: they use the same column names, and integers arrive as
 * numbers from both (PostgreSQL bigint is parsed to number in postgres/pool.ts). Booleans are 0/1 on SQLite.
 */
import type { ActivityBucket, AttemptRecord, DeliveryListItem, DeliveryRecord, EventStatus, EventSummary } from './types.ts';

export type Row = Record<string, unknown>;

export function toSummary(event: object): EventSummary {
  const row = event as Row;
  return {
    id: row.id as string,
    source: row.source as string,
    eventKey: row.event_key as string,
    eventType: row.event_type as string,
    providerCreatedAt: row.provider_created_at as number | null,
    receivedAt: row.received_at as number,
    status: row.status as EventStatus,
  };
}

export function toDelivery(row: Row): DeliveryRecord {
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    destination: row.destination as string,
    status: row.status as DeliveryRecord['status'],
    attemptCount: row.attempt_count as number,
    nextAttemptAt: row.next_attempt_at as number | null,
    orderingKey: row.ordering_key as string | null,
    lastError: row.last_error as string | null,
    updatedAt: row.updated_at as number,
  };
}

export function toAttempt(row: Row): AttemptRecord {
  return {
    id: row.id as string,
    deliveryId: row.delivery_id as string,
    attemptNumber: row.attempt_number as number,
    startedAt: row.started_at as number,
    durationMs: row.duration_ms as number,
    statusCode: row.status_code as number | null,
    error: row.error as string | null,
    responseSnippet: row.response_snippet as string | null,
    manual: row.manual === true || row.manual === 1,
  };
}

/** A delivery with its event's identity, for the dead-letter list (query joins deliveries d with events e). */
export function toDeliveryListItem(row: Row): DeliveryListItem {
  return {
    ...toDelivery(row),
    source: row.source as string,
    eventKey: row.event_key as string,
    eventType: row.event_type as string,
    receivedAt: row.received_at as number,
  };
}

/** WHERE clause builder with numbered placeholders ($n, PostgreSQL). */
export function makeWhere() {
  const clauses: string[] = [];
  const params: unknown[] = [];
  return {
    params,
    /** Adds a parameter and returns its placeholder ($n). */
    param(value: unknown): string {
      params.push(value);
      return `$${params.length}`;
    },
    add(clause: string) {
      clauses.push(clause);
    },
    sql: () => (clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''),
  };
}

/**
 * Activity buckets from the two per-bucket counts (bucket index -> n), in time order, only buckets with
 * something in them: the dashboard fills the gaps, so the store never needs to know what time it is now.
 */
export function activityBuckets(start: number, bucketMs: number, received: { b: number; n: number }[], failed: { b: number; n: number }[]): ActivityBucket[] {
  const byIndex = new Map<number, ActivityBucket>();
  const at = (b: number) => byIndex.get(b) ?? byIndex.set(b, { start: start + b * bucketMs, eventsReceived: 0, attemptsFailed: 0 }).get(b)!;
  for (const r of received) at(Number(r.b)).eventsReceived = Number(r.n);
  for (const r of failed) at(Number(r.b)).attemptsFailed = Number(r.n);
  return [...byIndex.values()].sort((x, y) => x.start - y.start);
}
