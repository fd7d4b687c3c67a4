import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../config/load.ts';
import { clampRetryAfter, decideOutcome, jitteredDelayMs, parseRetryAfter } from './retry-policy.ts';

const fixed = (x: number) => () => x;
const fail = (statusCode: number | null, retryAfter?: string) => ({ ok: false, statusCode, retryAfter });

describe('retry policy', () => {
  it('jitter stays within +/-20% of the delay', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (seconds, r) => {
        const ms = jitteredDelayMs(seconds, () => r);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(seconds * 800));
        expect(ms).toBeLessThanOrEqual(Math.ceil(seconds * 1200));
      }),
    );
    expect(jitteredDelayMs(300, fixed(0))).toBe(240_000);
    expect(jitteredDelayMs(300, fixed(0.5))).toBe(300_000);
  });

  it('clamps Retry-After between the scheduled delay and twice it', () => {
    expect(clampRetryAfter(10_000, null)).toBe(10_000);
    expect(clampRetryAfter(10_000, 1_000)).toBe(10_000);
    expect(clampRetryAfter(10_000, 15_000)).toBe(15_000);
    expect(clampRetryAfter(10_000, 3_600_000)).toBe(20_000);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores junk', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1e9', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('walks the default schedule to dead, delaying each retry by the next step', () => {
    const now = 1_000_000;
    const outcomes = DEFAULT_RETRY_SCHEDULE.map((_, step) =>
      decideOutcome({ schedule: DEFAULT_RETRY_SCHEDULE, scheduleStep: step, manual: false, attempt: fail(500), now, random: fixed(0.5) }),
    );
    expect(outcomes.slice(0, -1)).toEqual(DEFAULT_RETRY_SCHEDULE.slice(1).map((s) => ({ kind: 'retry', nextAttemptAt: now + s * 1000 })));
    expect(outcomes.at(-1)).toEqual({ kind: 'dead' });
  });

  it('honours Retry-After only on 429/502/503/504', () => {
    const base = { schedule: [0, 10], scheduleStep: 0, manual: false, now: 0, random: fixed(0.5) };
    expect(decideOutcome({ ...base, attempt: fail(429, '15') })).toEqual({ kind: 'retry', nextAttemptAt: 15_000 });
    expect(decideOutcome({ ...base, attempt: fail(503, '9999') })).toEqual({ kind: 'retry', nextAttemptAt: 20_000 });
    expect(decideOutcome({ ...base, attempt: fail(500, '15') })).toEqual({ kind: 'retry', nextAttemptAt: 10_000 });
  });

  it('a manual replay never reschedules: success delivers, failure restores', () => {
    const base = { schedule: [0, 10], scheduleStep: 0, manual: true, now: 0, random: fixed(0.5) };
    expect(decideOutcome({ ...base, attempt: { ok: true, statusCode: 200 } })).toEqual({ kind: 'delivered' });
    expect(decideOutcome({ ...base, attempt: fail(500) })).toEqual({ kind: 'restore' });
    expect(decideOutcome({ ...base, attempt: fail(null) })).toEqual({ kind: 'restore' });
  });
});
