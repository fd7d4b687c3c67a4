/**
 * Run one attempt of a claimed delivery against its destination (HTTP or in-process handler) and describe
 * what happened, without deciding what comes next (that is retry-policy.ts) or touching the store.
 * runAttempt never rejects: anything that goes wrong inside an attempt is a failed attempt with its reason.
 */
import type { Clock } from '../clock.ts';
import type { DestinationConfig } from '../config/types.ts';
import type { ClaimedDelivery } from '../store/types.ts';
import { runHandler, toInboxEvent, type Handlers } from './handlers.ts';
import { encodeHeaderValue } from './header-value.ts';
import { errorText, postWebhook } from './http-delivery.ts';
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

/**
 * The headers of an outbound delivery. `webhook-id` is the event id: stable across retries and replays.
 * Values taken from the event (and ids) are percent-encoded where needed: see header-value.ts.
 */
export function outboundHeaders(destination: DestinationConfig, claimed: ClaimedDelivery, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...destination.headers,
    'user-agent': 'filab-webhook-worker/0.1',
    'webhook-id': encodeHeaderValue(claimed.eventId),
    'webhook-timestamp': String(timestamp),
    'x-filab-source': encodeHeaderValue(claimed.source),
    'x-filab-event-type': encodeHeaderValue(claimed.eventType),
    'x-filab-event-key': encodeHeaderValue(claimed.eventKey),
    'x-filab-delivery-id': encodeHeaderValue(claimed.id),
    'x-filab-attempt': String(claimed.attemptNumber),
  };
  if (destination.signingSecret) {
    headers['webhook-signature'] = standardWebhooksSignature(destination.signingSecret, headers['webhook-id']!, timestamp, claimed.payload);
  }
  return headers;
}

export async function runAttempt(deps: AttemptDeps, destination: DestinationConfig, claimed: ClaimedDelivery, signal: AbortSignal): Promise<AttemptReport> {
  const startedAt = deps.clock.now();
  const began = performance.now();
  let result: AttemptResult;
  try {
    result = await (destination.handler !== null
      ? handlerAttempt(deps, destination, claimed, signal)
      : httpAttempt(deps, destination, claimed, signal, startedAt));
  } catch (err) {
    result = { ok: false, statusCode: null, error: `attempt failed: ${errorText(err)}`, responseSnippet: null };
  }
  return { ...result, startedAt, durationMs: Math.round(performance.now() - began) };
}

type AttemptResult = Omit<AttemptReport, 'startedAt' | 'durationMs'>;

async function handlerAttempt(deps: AttemptDeps, destination: DestinationConfig, claimed: ClaimedDelivery, signal: AbortSignal): Promise<AttemptResult> {
  const handler = deps.handlers[destination.handler!];
  const { signal: _unused, ...event } = toInboxEvent(claimed, signal);
  const error = handler ? await runHandler(handler, event, destination.timeoutMs, signal) : `no handler named ${destination.handler} is registered`;
  return { ok: error === null, statusCode: null, error, responseSnippet: null };
}

async function httpAttempt(
  deps: AttemptDeps,
  destination: DestinationConfig,
  claimed: ClaimedDelivery,
  signal: AbortSignal,
  startedAt: number,
): Promise<AttemptResult> {
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
    error: result.error ?? (ok ? null : `HTTP ${result.statusCode}`),
    responseSnippet: result.snippet,
  };
}
