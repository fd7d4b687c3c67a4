/**
 * Prometheus metrics (prom-client), one registry per server so tests and embedded inboxes don't collide.
 * Labels never carry secrets: secrets are named by label only.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function makeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'filab_' });
  return {
    registry,
    ingestRequests: new Counter({
      name: 'filab_ingest_requests_total',
      help: 'Ingest requests by source and outcome (accepted, replay, or the rejection code).',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    ingestConflicts: new Counter({
      name: 'filab_ingest_replay_conflicts_total',
      help: 'Replays whose payload differs from the stored event with the same key.',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    secretMatches: new Counter({
      name: 'filab_secret_verifications_total',
      help: 'Successful verifications by source and secret label, to see when an old secret is unused.',
      labelNames: ['source', 'secret'] as const,
      registers: [registry],
    }),
    ingestLatency: new Histogram({
      name: 'filab_ingest_duration_seconds',
      help: 'Time from request body received to answer, by source.',
      labelNames: ['source'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commitBatchSize: new Histogram({
      name: 'filab_commit_batch_size',
      help: 'Events per group commit.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    timestampSkew: new Histogram({
      name: 'filab_provider_timestamp_skew_seconds',
      help: 'Our clock minus the provider-signed timestamp, by source.',
      labelNames: ['source'] as const,
      buckets: [-60, -5, -1, 0, 1, 5, 30, 60, 120, 300],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof makeMetrics>;
