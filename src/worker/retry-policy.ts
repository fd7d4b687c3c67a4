/**
 * Retry policy as data plus small pure functions: what happens after an attempt. No I/O, no clock:
 * `now` and `random` are parameters so tests can walk the schedule exactly.
 */
import type { AttemptOutcome } from '../store/types.ts';

/** +/-20%, as Standard Webhooks senders do, so retries of many deliveries spread out instead of thundering. */
export const JITTER = 0.2;
/** Answers that mean "later, please": their Retry-After is honoured (within limits). */
export const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

/** `seconds` scaled by a factor in [1 - JITTER, 1 + JITTER], as milliseconds. random() is in [0, 1). */
export function jitteredDelayMs(seconds: number, random: () => number): number {
  return Math.round(seconds * 1000 * (1 + (random() * 2 - 1) * JITTER));
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP date. Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/**
 * The receiver's Retry-After, kept between the scheduled delay and twice it: a receiver may slow us down,
 * but neither speed us past the schedule nor park a delivery indefinitely.
 */
export function clampRetryAfter(scheduledMs: number, retryAfterMs: number | null): number {
  if (retryAfterMs === null) return scheduledMs;
  return Math.min(Math.max(retryAfterMs, scheduledMs), scheduledMs * 2);
}

export interface AttemptSummary {
  /** 2xx from an HTTP destination, or a handler that resolved. */
  ok: boolean;
  statusCode: number | null;
  retryAfter?: string | undefined;
}

export interface DecideInput {
  /** Delays in seconds before each attempt; its length is the number of scheduled attempts. */
  schedule: readonly number[];
  /** 0 for the schedule's first attempt (see ClaimedDelivery.scheduleStep). */
  scheduleStep: number;
  manual: boolean;
  attempt: AttemptSummary;
  now: number;
  random: () => number;
}

export function decideOutcome({ schedule, scheduleStep, manual, attempt, now, random }: DecideInput): AttemptOutcome {
  if (attempt.ok) return { kind: 'delivered' };
  // A manual replay is one extra attempt: it never reschedules itself, whatever the answer.
  if (manual) return { kind: 'restore' };
  const nextDelay = schedule[scheduleStep + 1];
  if (nextDelay === undefined) return { kind: 'dead' };
  const scheduled = jitteredDelayMs(nextDelay, random);
  const retryAfter = attempt.statusCode !== null && RETRY_AFTER_STATUSES.has(attempt.statusCode) ? parseRetryAfter(attempt.retryAfter, now) : null;
  return { kind: 'retry', nextAttemptAt: now + clampRetryAfter(scheduled, retryAfter) };
}

/** 410 Gone: the receiver says this endpoint will never take deliveries again, so the destination is disabled. */
export function disablesDestination(attempt: AttemptSummary): boolean {
  return attempt.statusCode === 410;
}
