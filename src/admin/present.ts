/** Store records -> the admin API's JSON (snake_case, ISO times). One place, so API, CLI and dashboard agree. */
import type { DestinationConfig, SourceConfig } from '../config/types.ts';
import type { AttemptRecord, DeliveryListItem, DeliveryRecord, DestinationCounts, DestinationState, EventDetail, EventSummary } from '../store/types.ts';

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function presentEvent(e: EventSummary) {
  return {
    id: e.id,
    source: e.source,
    event_key: e.eventKey,
    type: e.eventType,
    status: e.status,
    received_at: iso(e.receivedAt),
    created_at: e.providerCreatedAt === null ? null : iso(e.providerCreatedAt * 1000),
  };
}

function presentAttempt(a: AttemptRecord) {
  return {
    id: a.id,
    attempt_number: a.attemptNumber,
    started_at: iso(a.startedAt),
    duration_ms: a.durationMs,
    status_code: a.statusCode,
    error: a.error,
    response_snippet: a.responseSnippet,
    manual: a.manual,
  };
}

function presentDelivery(d: DeliveryRecord) {
  return {
    id: d.id,
    destination: d.destination,
    status: d.status,
    attempt_count: d.attemptCount,
    next_attempt_at: iso(d.nextAttemptAt),
    ordering_key: d.orderingKey,
    last_error: d.lastError,
    updated_at: iso(d.updatedAt),
  };
}

/** Payload as text when it is UTF-8 (almost always JSON), else base64, saying which. */
function presentPayload(payload: Buffer): { payload: string; payload_encoding: 'utf8' | 'base64' } {
  try {
    return { payload: utf8.decode(payload), payload_encoding: 'utf8' };
  } catch {
    return { payload: payload.toString('base64'), payload_encoding: 'base64' };
  }
}

export function presentEventDetail(e: EventDetail) {
  return {
    ...presentEvent(e),
    secret_label: e.secretLabel,
    payload_sha256: e.payloadSha256,
    headers: e.headers,
    ...presentPayload(e.payload),
    deliveries: e.deliveries.map((d) => ({ ...presentDelivery(d), attempts: d.attempts.map(presentAttempt) })),
  };
}

export function presentDeliveryListItem(d: DeliveryListItem) {
  const { ordering_key: _omitted, ...delivery } = presentDelivery(d);
  return { ...delivery, event_id: d.eventId, source: d.source, event_key: d.eventKey, type: d.eventType, received_at: iso(d.receivedAt) };
}

export function presentDestination(d: DestinationConfig, state: DestinationState | undefined, counts: DestinationCounts | undefined) {
  return {
    name: d.name,
    url: d.url,
    handler: d.handler,
    event_types: d.eventTypes,
    sources: d.sources,
    disabled: state?.disabled ?? false,
    disabled_reason: state?.disabledReason ?? null,
    last_success_at: iso(state?.lastSuccessAt),
    last_failure_at: iso(state?.lastFailureAt),
    failure_streak: state?.failureStreak ?? 0,
    pending: counts?.pending ?? 0,
    failed: counts?.failed ?? 0,
    delivered: counts?.delivered ?? 0,
    dead: counts?.dead ?? 0,
    oldest_pending_at: iso(counts?.oldestPendingAt),
  };
}

/** Sources with their secrets' labels and expiry; never a secret's value. */
export function presentSource(s: SourceConfig) {
  return {
    name: s.name,
    path: s.path,
    provider: s.provider,
    secrets: s.secrets.map((secret) => ({ label: secret.label, expires_at: iso(secret.expiresAt) })),
  };
}

export type ApiEvent = ReturnType<typeof presentEvent>;
export type ApiEventDetail = ReturnType<typeof presentEventDetail>;
export type ApiDelivery = ReturnType<typeof presentDeliveryListItem>;
export type ApiDestination = ReturnType<typeof presentDestination>;
