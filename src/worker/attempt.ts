/**
 * Run one attempt of a claimed delivery against its destination (HTTP or in-process handler) and describe
 * what happened, without deciding what comes next (that is retry-policy.ts) or touching the store.
 */
import type { Clock } from '../clock.ts';
import type { DestinationConfig } from '../config/types.ts';
import type { ClaimedDelivery } from '../store/types.ts';
import { runHandler, toInboxEvent, type Handlers } from './handlers.ts';
import { postWebhook } from './http-delivery.ts';
import type { AttemptSummary } from './retry-policy.ts';
import { standardWebhooksSignature } from './sign-outbound.ts';

export interface AttemptReport extends AttemptSummary {
  startedAt: number;
  durationMs: number;
  error: string | null;
  responseSnippet: string | null;
}

export interface AttemptDeps {
  clock: Clock;
  handlers: Handlers;
  allowPrivateDestinations: boolean;
}

/** The headers of an outbound delivery. `webhook-id` is the event id: stable across retries and replays. */
export function outboundHeaders(destination: DestinationConfig, claimed: ClaimedDelivery, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...destination.headers,
    'user-agent': 'filab-webhook-worker/0.1',
    'webhook-id': claimed.eventId,
    'webhook-timestamp': String(timestamp),
    'x-filab-source': claimed.source,
    'x-filab-event-type': claimed.eventType,
    'x-filab-event-key': claimed.eventKey,
    'x-filab-delivery-id': claimed.id,
    'x-filab-attempt': String(claimed.attemptNumber),
  };
  if (destination.signingSecret) {
    headers['webhook-signature'] = standardWebhooksSignature(destination.signingSecret, claimed.eventId, timestamp, claimed.payload);
  }
  return headers;
}

export async function runAttempt(deps: AttemptDeps, destination: DestinationConfig, claimed: ClaimedDelivery, signal: AbortSignal): Promise<AttemptReport> {
  const startedAt = deps.clock.now();
  const began = performance.now();
  const elapsed = () => Math.round(performance.now() - began);
  if (destination.handler !== null) {
    const handler = deps.handlers[destination.handler];
    const { signal: _unused, ...event } = toInboxEvent(claimed, signal);
    const error = handler ? await runHandler(handler, event, destination.timeoutMs, signal) : `no handler named ${destination.handler} is registered`;
    return { ok: error === null, statusCode: null, startedAt, durationMs: elapsed(), error, responseSnippet: null };
  }
  const result = await postWebhook({
    url: destination.url!,
    headers: outboundHeaders(destination, claimed, startedAt),
    body: claimed.payload,
    timeoutMs: destination.timeoutMs,
    allowPrivate: deps.allowPrivateDestinations,
    signal,
  });
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode <= 299;
  return {
    ok,
    statusCode: result.statusCode,
    retryAfter: result.retryAfter,
    startedAt,
    durationMs: elapsed(),
    error: result.error ?? (ok ? null : `HTTP ${result.statusCode}`),
    responseSnippet: result.snippet,
  };
}
