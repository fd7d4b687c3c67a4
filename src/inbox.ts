/**
 * createInbox(): the whole service as a library object (HTTP ingest, store, admin API, delivery worker), so
 * `filab serve`, tests and users embedding it share one composition.
 *
 *   const inbox = await createInbox({
 *     config: loadConfig(),
 *     handlers: { 'payment_intent.succeeded': async (event) => fulfil(event.data) },
 *   });
 *   await inbox.listen();
 *
 * A handler named by a destination's `handler:` is bound to it; any other handler becomes a destination of
 * its own receiving the event types matching its name (a glob). Handlers are called at least once per event:
 * dedupe on `event.webhookId`.
 */
import type { FastifyInstance } from 'fastify';
import type { pino } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/types.ts';
import { buildServer } from './http/server.ts';
import { makeCommitQueue, type CommitQueue } from './ingest/commit-queue.ts';
import { makeLogger } from './log.ts';
import { attachQueueGauges, attachStoreGauges, makeMetrics, recordAttempt, type Metrics } from './metrics.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/types.ts';
import { startMaintenance } from './audit/service.ts';
import { implicitHandlerDestinations, type Handlers } from './worker/handlers.ts';
import { makeWorker, type Worker } from './worker/worker.ts';

export type { EventHandler, Handlers, InboxEvent } from './worker/handlers.ts';

export interface InboxOptions {
  config: Config;
  clock?: Clock;
  logger?: pino.Logger;
  /** Use this store instead of opening the configured one (tests, embedding). */
  store?: Store;
  /** In-process handlers by name (see above). */
  handlers?: Handlers;
  /** Run the delivery worker in this process (default true; `filab serve --no-worker` sets false). */
  worker?: boolean;
  /** Start the worker's loop at once (default true). Tests with a manual clock pass false and drive worker.runUntilIdle(). */
  startWorker?: boolean;
  /** [0, 1) source for retry jitter; tests inject a constant. */
  random?: () => number;
}

export interface Inbox {
  server: FastifyInstance;
  store: Store;
  queue: CommitQueue;
  metrics: Metrics;
  /** The running configuration: the given one plus the destinations implied by handlers. */
  config: Config;
  /** Audit sealing and retention, also callable on demand. */
  maintenance: ReturnType<typeof startMaintenance>;
  /** The delivery worker, or null with `worker: false`. */
  worker: Worker | null;
  /** Listen on config.host:config.port (or the given port); resolves with the base URL. */
  listen(port?: number): Promise<string>;
  /** Stop taking requests, finish in-flight ones and deliveries (within the grace period), close the database. */
  close(): Promise<void>;
}

/**
 * The database would acknowledge commits before they are durable and `database.allow_unsafe_commit` is not set.
 * Its message says which setting, its value and how to fix it; `filab serve` prints it and exits 1.
 */
export class UnsafeCommitError extends Error {
  override name = 'UnsafeCommitError';
}

/** Refuse a store whose commits are not durable, or warn when the operator allowed it (Never acknowledge what is not durably stored). */
async function refuseUnsafeCommit(store: Store, config: Config, logger: pino.Logger): Promise<void> {
  const problem = (await store.durabilityProblem?.()) ?? null;
  if (problem === null) return;
  if (!config.allowUnsafeCommit) {
    throw new UnsafeCommitError(
      `Refusing to start: ${problem}. To start anyway, accepting that a crash can lose events already answered 200, set database.allow_unsafe_commit: true in filab.yaml.`,
    );
  }
  logger.warn({ problem }, 'database.allow_unsafe_commit is set: starting although commits are not durable; a crash can lose events already answered 200');
}

export async function createInbox(options: InboxOptions): Promise<Inbox> {
  const handlers = options.handlers ?? {};
  const extra = implicitHandlerDestinations(options.config.destinations, handlers);
  const config: Config = extra.length ? Object.freeze({ ...options.config, destinations: [...options.config.destinations, ...extra] }) : options.config;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? makeLogger(config.logLevel);
  const metrics = makeMetrics();
  const checkDurability = (s: Store) => refuseUnsafeCommit(s, config, logger);
  if (options.store) await checkDurability(options.store);
  const store = options.store ?? (await openStore(config, logger, { writerRestarted: () => metrics.sqliteWriterRestarts.inc(), checkDurability }));
  attachStoreGauges(metrics, store, clock);
  // The commit metrics measure the transactions as the store ran them; a store that cannot say, as handed to it.
  const observeCommit = (size: number, seconds: number, stored: boolean) => {
    if (stored) metrics.commitBatchSize.observe(size);
    metrics.commitDuration.observe(seconds);
  };
  store.observeCommits?.(observeCommit);
  const queue = makeCommitQueue(store, config.ingest, store.observeCommits ? undefined : observeCommit);
  attachQueueGauges(metrics, queue, config.ingest.maxPending);
  const server = buildServer({ config, store, queue, metrics, clock, logger });
  const maintenance = startMaintenance({
    store,
    clock,
    log: logger,
    sealIntervalMs: 1000,
    retention: {
      rules: config.sources.flatMap((s) => (s.retentionDeliveredDays !== null ? [{ source: s.name, days: s.retentionDeliveredDays }] : [])),
      intervalMs: config.retention.intervalMs,
      dedupeDays: config.retention.dedupeDays,
    },
  });

  for (const d of config.destinations) {
    if (d.handler !== null && !handlers[d.handler] && options.worker !== false) {
      logger.warn({ destination: d.name, handler: d.handler }, 'no handler registered under this name here: its deliveries wait for a process that has it');
    }
  }
  const worker =
    options.worker === false
      ? null
      : makeWorker({
          store,
          destinations: config.destinations,
          tuning: config.worker,
          clock,
          log: logger,
          handlers,
          onAttempt: (a) => recordAttempt(metrics, a),
          ...(options.random ? { random: options.random } : {}),
        });
  if (options.startWorker !== false) worker?.start();

  let closed = false;
  return {
    server,
    store,
    queue,
    metrics,
    config,
    maintenance,
    worker,
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
      await worker?.stop();
      await maintenance.stop();
      await store.close();
    },
  };
}
