/**
 * Prometheus metrics (prom-client), one registry per server so tests and embedded inboxes don't collide.
 * Labels never carry secrets: secrets are named by label only.
 * Counters and histograms are incremented where things happen (ingest, commit queue, worker); the gauges
 * about stored deliveries are read from the store when scraped (attachStoreGauges), so they are right
 * across processes and restarts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from './clock.ts';
import { talliedCounter, talliedHistogram } from './metric-tally.ts';
import type { AttemptOutcome, DestinationCounts, Store } from './store/types.ts';

export function makeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'filab_' });
  return {
    registry,
    // Those recorded on every ingest request or commit are tallied (metric-tally.ts); the others are rarer.
    ingestRequests: talliedCounter({
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
    secretMatches: talliedCounter({
      name: 'filab_secret_verifications_total',
      help: 'Successful verifications by source and secret label, to see when an old secret is unused.',
      labelNames: ['source', 'secret'] as const,
      registers: [registry],
    }),
    ingestLatency: talliedHistogram({
      name: 'filab_ingest_duration_seconds',
      help: 'Time from the request reaching the server (its head parsed) to the last byte of the answer, by source.',
      labelNames: ['source'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commitBatchSize: talliedHistogram({
      name: 'filab_commit_batch_size',
      help: 'Events per group commit: per transaction as the database ran it (a SQLite writer merges concurrent batches).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    commitDuration: talliedHistogram({
      name: 'filab_commit_duration_seconds',
      help: 'One transaction holding event inserts, from its start until it committed (mostly the disk sync); failed commits included.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    timestampSkew: talliedHistogram({
      name: 'filab_provider_timestamp_skew_seconds',
      help: 'Our clock minus the provider-signed timestamp, by source.',
      labelNames: ['source'] as const,
      buckets: [-60, -5, -1, 0, 1, 5, 30, 60, 120, 300],
      registers: [registry],
    }),
    uncaughtErrors: new Counter({
      name: 'filab_uncaught_errors_total',
      help: 'Errors that escaped every handler (uncaught exceptions, unhandled rejections); logged, and the process keeps serving.',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    sqliteWriterRestarts: new Counter({
      name: 'filab_sqlite_writer_restarts_total',
      help: 'Times the SQLite writer thread died and was started again (the commits in its batch answered 503).',
      registers: [registry],
    }),
    deliveryAttempts: new Counter({
      name: 'filab_delivery_attempts_total',
      help: 'Delivery attempts by destination and outcome (delivered, retry, dead, restore).',
      labelNames: ['destination', 'outcome'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'filab_deliveries_total',
      help: 'Deliveries that reached a final state, by destination and outcome (delivered, dead).',
      labelNames: ['destination', 'outcome'] as const,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'filab_delivery_duration_seconds',
      help: 'Duration of one delivery attempt (request to response or error), by destination.',
      labelNames: ['destination'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof makeMetrics>;

/**
 * The commit queue's fill, read at scrape time: events waiting for or inside a commit, and the cap past which
 * ingest answers 503 `overloaded`. Pending near the cap means the disk or the store cannot keep up.
 */
export function attachQueueGauges(metrics: Metrics, queue: { pending(): number }, maxPending: number): void {
  new Gauge({
    name: 'filab_ingest_pending_events',
    help: 'Events waiting for or inside a group commit.',
    registers: [metrics.registry],
    collect() {
      this.set(queue.pending());
    },
  });
  new Gauge({
    name: 'filab_ingest_pending_events_max',
    help: 'The cap on pending events (ingest.max_pending); past it ingest answers 503 overloaded.',
    registers: [metrics.registry],
  }).set(maxPending);
}

export interface AttemptObservation {
  destination: string;
  outcome: AttemptOutcome['kind'];
  durationMs: number;
}

/** What the worker calls once per completed attempt (after the store accepted it). */
export function recordAttempt(metrics: Metrics, { destination, outcome, durationMs }: AttemptObservation): void {
  metrics.deliveryAttempts.inc({ destination, outcome });
  metrics.deliveryLatency.observe({ destination }, durationMs / 1000);
  if (outcome === 'delivered' || outcome === 'dead') metrics.deliveries.inc({ destination, outcome });
}

/**
 * Gauges read from the store at scrape time: deliveries waiting (pending/failed), dead, and the age of the
 * oldest waiting one, per destination. One store query per scrape however many gauges ask (prom-client
 * collects them concurrently). A failing store leaves the gauges empty rather than failing the scrape.
 */
export function attachStoreGauges(metrics: Metrics, store: Pick<Store, 'destinationCounts'>, clock: Clock): void {
  let inFlight: Promise<DestinationCounts[] | null> | null = null;
  const snapshot = () => {
    inFlight ??= store
      .destinationCounts()
      .catch(() => null)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const registers = [metrics.registry];
  new Gauge({
    name: 'filab_deliveries_waiting',
    help: 'Deliveries not yet delivered nor dead, by destination and status (pending, failed = retry scheduled).',
    labelNames: ['destination', 'status'] as const,
    registers,
    async collect() {
      const rows = await snapshot();
      this.reset();
      for (const row of rows ?? []) {
        this.set({ destination: row.destination, status: 'pending' }, row.pending);
        this.set({ destination: row.destination, status: 'failed' }, row.failed);
      }
    },
  });
  new Gauge({
    name: 'filab_deliveries_dead',
    help: 'Dead deliveries (schedule exhausted), by destination.',
    labelNames: ['destination'] as const,
    registers,
    async collect() {
      const rows = await snapshot();
      this.reset();
      for (const row of rows ?? []) this.set({ destination: row.destination }, row.dead);
    },
  });
  new Gauge({
    name: 'filab_delivery_oldest_waiting_age_seconds',
    help: 'Age of the oldest event whose delivery is still waiting, by destination (0 when none waits).',
    labelNames: ['destination'] as const,
    registers,
    async collect() {
      const rows = await snapshot();
      this.reset();
      const now = clock.now();
      for (const row of rows ?? []) {
        this.set({ destination: row.destination }, row.oldestPendingAt === null ? 0 : Math.max(0, (now - row.oldestPendingAt) / 1000));
      }
    },
  });
}
