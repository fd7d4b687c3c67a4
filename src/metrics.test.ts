import { describe, expect, it } from 'vitest';
import { makeMetrics, recordAttempt } from './metrics.ts';

describe('recordAttempt', () => {
  it('counts every attempt, and deliveries only when they settle', async () => {
    const m = makeMetrics();
    recordAttempt(m, { destination: 'ledger', outcome: 'retry', durationMs: 120 });
    recordAttempt(m, { destination: 'ledger', outcome: 'delivered', durationMs: 30 });
    recordAttempt(m, { destination: 'crm', outcome: 'dead', durationMs: 10_000 });
    recordAttempt(m, { destination: 'crm', outcome: 'restore', durationMs: 5 });
    const attempts = (await m.deliveryAttempts.get()).values.map((v) => [v.labels.destination, v.labels.outcome, v.value]);
    expect(attempts).toEqual([
      ['ledger', 'retry', 1],
      ['ledger', 'delivered', 1],
      ['crm', 'dead', 1],
      ['crm', 'restore', 1],
    ]);
    const settled = (await m.deliveries.get()).values.map((v) => [v.labels.destination, v.labels.outcome, v.value]);
    expect(settled).toEqual([
      ['ledger', 'delivered', 1],
      ['crm', 'dead', 1],
    ]);
    const latency = (await m.deliveryLatency.get()).values.find(
      (v) => v.metricName === 'filab_delivery_duration_seconds_sum' && v.labels.destination === 'ledger',
    );
    expect(latency?.value).toBeCloseTo(0.15, 6);
  });
});
