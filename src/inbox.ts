/**
 * createInbox(): the whole service as a library object (HTTP ingest, store, later the worker), so
 * `filab serve`, tests and users embedding it share one composition.
 */
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/types.ts';
import { buildServer } from './http/server.ts';
import { makeCommitQueue, type CommitQueue } from './ingest/commit-queue.ts';
import { makeLogger } from './log.ts';
import { attachStoreGauges, makeMetrics, type Metrics } from './metrics.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/types.ts';
import type { pino } from 'pino';
import { startMaintenance } from './audit/service.ts';

export interface InboxOptions {
  config: Config;
  clock?: Clock;
  logger?: pino.Logger;
  /** Use this store instead of opening the configured one (tests, embedding). */
  store?: Store;
}

export interface Inbox {
  server: FastifyInstance;
  store: Store;
  queue: CommitQueue;
  metrics: Metrics;
  config: Config;
  /** Audit sealing and retention, also callable on demand. */
  maintenance: ReturnType<typeof startMaintenance>;
  /** Listen on config.host:config.port (or the given port); resolves with the base URL. */
  listen(port?: number): Promise<string>;
  /** Stop taking requests, finish in-flight ones, flush commits, close the database. */
  close(): Promise<void>;
}

export async function createInbox(options: InboxOptions): Promise<Inbox> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? makeLogger(config.logLevel);
  const store = options.store ?? (await openStore(config));
  const metrics = makeMetrics();
  attachStoreGauges(metrics, store, clock);
  const queue = makeCommitQueue(store, config.ingest, (size) => metrics.commitBatchSize.observe(size));
  const server = buildServer({ config, store, queue, metrics, clock, logger });
  const maintenance = startMaintenance({
    store,
    clock,
    log: logger,
    sealIntervalMs: 1000,
    retention: {
      rules: config.sources.flatMap((s) => (s.retentionDeliveredDays !== null ? [{ source: s.name, days: s.retentionDeliveredDays }] : [])),
      intervalMs: config.retention.intervalMs,
    },
  });

  let closed = false;
  return {
    server,
    store,
    queue,
    metrics,
    config,
    maintenance,
    async listen(port = config.port) {
      await server.listen({ host: config.host, port });
      const address = server.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return `http://${host}:${actualPort}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await queue.drain();
      await maintenance.stop();
      await store.close();
    },
  };
}
