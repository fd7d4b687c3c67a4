/** Row -> record mapping shared by the PostgreSQL modules (bigint columns already arrive as numbers). */
import type { AttemptRecord, DeliveryRecord, EventStatus, EventSummary } from '../types.ts';
import type { Row } from './pool.ts';

export function toSummary(row: Row): EventSummary {
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
    manual: row.manual === true,
  };
}

/** WHERE clause builder with numbered placeholders. */
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
