import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { talliedCounter, talliedHistogram } from './metric-tally.ts';

/** The same metrics twice: prom-client's own, and tallied; every call goes to both. */
function pair() {
  const plain = new Registry();
  const tallied = new Registry();
  const counter = { name: 'c_total', help: 'c', labelNames: ['source', 'outcome'] as const };
  const histogram = { name: 'h_seconds', help: 'h', labelNames: ['source'] as const, buckets: [0.001, 0.01, 0.1, 1] };
  return {
    plain,
    tallied,
    counters: [new Counter({ ...counter, registers: [plain] }), talliedCounter({ ...counter, registers: [tallied] })],
    histograms: [new Histogram({ ...histogram, registers: [plain] }), talliedHistogram({ ...histogram, registers: [tallied] })],
  };
}

describe('tallied counters and histograms', () => {
  it('read the same as prom-client after the same calls, whenever they are read', async () => {
    const { plain, tallied, counters, histograms } = pair();
    const sources = ['stripe', 'github', 'shop'];
    for (let i = 0; i < 3000; i++) {
      const source = sources[i % 3]!;
      for (const c of counters) c.inc({ source, outcome: i % 7 === 0 ? 'replay' : 'accepted' }, i % 5 === 0 ? 2 : undefined);
      for (const h of histograms) h.observe({ source }, ((i * 7919) % 2000) / 1000);
      if (i === 10 || i === 1500) expect(await tallied.metrics()).toBe(await plain.metrics());
    }
    expect(await tallied.metrics()).toBe(await plain.metrics());
    expect((await counters[1]!.get()).values).toEqual((await counters[0]!.get()).values);
    expect((await histograms[1]!.get()).values).toEqual((await histograms[0]!.get()).values);
  });

  it('a histogram without labels reads the same too', async () => {
    const plain = new Registry();
    const tallied = new Registry();
    const config = { name: 'batch', help: 'b', buckets: [1, 2, 4, 8] };
    const histograms = [new Histogram({ ...config, registers: [plain] }), talliedHistogram({ ...config, registers: [tallied] })];
    expect(await tallied.metrics()).toBe(await plain.metrics());
    for (let i = 0; i < 100; i++) for (const h of histograms) h.observe(i % 11);
    expect(await tallied.metrics()).toBe(await plain.metrics());
    plain.resetMetrics();
    tallied.resetMetrics();
    for (const h of histograms) h.observe(3);
    expect(await tallied.metrics()).toBe(await plain.metrics());
  });

  it('refuse what prom-client refuses: an unknown label, a negative increment, a value that is no number', () => {
    const { counters, histograms } = pair();
    const [, counter] = counters;
    const [, histogram] = histograms;
    expect(() => counter!.inc({ source: 's', nope: 'x' } as never)).toThrow();
    expect(() => counter!.inc({ source: 's', outcome: 'o' }, -1)).toThrow();
    expect(() => histogram!.observe({ nope: 'x' } as never, 1)).toThrow();
    expect(() => histogram!.observe({ source: 's' }, Number.NaN)).toThrow();
  });

  it('keep counting after a reset, as prom-client does', async () => {
    const { plain, tallied, counters, histograms } = pair();
    for (const c of counters) c.inc({ source: 's', outcome: 'accepted' });
    for (const h of histograms) h.observe({ source: 's' }, 0.5);
    plain.resetMetrics();
    tallied.resetMetrics();
    for (const c of counters) c.inc({ source: 's', outcome: 'accepted' }, 3);
    for (const h of histograms) h.observe({ source: 's' }, 0.05);
    expect(await tallied.metrics()).toBe(await plain.metrics());
  });
});
