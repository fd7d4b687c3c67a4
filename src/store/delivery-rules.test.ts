import { describe, expect, it } from 'vitest';
import { lastErrorOf, rotated, toClaimed } from './delivery-rules.ts';
import type { AttemptOutcome, AttemptResult } from './types.ts';

const result = (outcome: AttemptOutcome, statusCode: number | null, error: string | null): AttemptResult => ({
  deliveryId: 'dlv_1',
  workerId: 'w',
  attemptId: 'att_1',
  startedAt: 0,
  durationMs: 1,
  statusCode,
  error,
  responseSnippet: null,
  outcome,
});

describe('delivery rules', () => {
  it('rotates the starting destination turn after turn, keeping every destination once', () => {
    expect([0, 1, 2, 3].map((turn) => rotated(['a', 'b', 'c'], turn).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
    expect(rotated([], 5)).toEqual([]);
  });

  it('leaves no last error once delivered, else the error, else the HTTP status, else "failed"', () => {
    expect(lastErrorOf(result({ kind: 'delivered' }, 200, null))).toBeNull();
    expect(lastErrorOf(result({ kind: 'retry', nextAttemptAt: 5 }, null, 'connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
    expect(lastErrorOf(result({ kind: 'dead' }, 503, null))).toBe('HTTP 503');
    expect(lastErrorOf(result({ kind: 'restore' }, null, null))).toBe('failed');
  });

  it('maps a claim row from either backend (manual as 0/1 or a boolean)', () => {
    const row = {
      id: 'dlv_1',
      event_id: 'msg_1',
      destination: 'd',
      attempt_count: 2,
      schedule_step: 1,
      ordering_key: null,
      source: 's',
      event_key: 'k',
      event_type: 't',
      received_at: 9,
      payload: Buffer.from('x'),
    };
    expect(toClaimed({ ...row, manual: 1 })).toMatchObject({ attemptNumber: 3, scheduleStep: 1, manual: true, eventId: 'msg_1' });
    expect(toClaimed({ ...row, manual: false }).manual).toBe(false);
  });
});
