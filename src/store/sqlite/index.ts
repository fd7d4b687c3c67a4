/** The embedded SQLite backend: one file, WAL, synchronous=FULL. */
import type { Store } from '../types.ts';
import { makeCommitRelay } from '../group-commit.ts';
import { toStorable } from '../storable.ts';
import { makeSqliteAudit } from './audit.ts';
import { makeSqliteDeliveryViews } from './delivery-views.ts';
import { readConnectionSettings, settingsProblem, type ConnectionSettings } from './durability.ts';
import { guarded } from './errors.ts';
import { makeSqliteEvents } from './events.ts';
import { migrateSqlite, pendingSqliteMigrations } from './migrate.ts';
import { openSqlite } from './open.ts';
import { BACKSTOP_CHECKPOINT_PAGES, type Checkpointer } from './checkpointer.ts';
import type { WriterThread } from './writer-thread.ts';
import { startReaderThread } from './reader-thread.ts';
import { writeOnThisConnection } from './writes.ts';
import { StoreDownError } from '../store-down.ts';

export interface SqliteStoreOptions {
  /** Run every write (and its fsync) on this writer thread instead of the event loop; reads stay on the main connection. */
  writer?: WriterThread;
  /**
   * Background checkpoints (checkpointer.ts), stopped when the store closes. With one, this connection checkpoints
   * by itself only at the backstop; without, every ~16 MB of WAL (openSqlite's default).
   */
  checkpointer?: Checkpointer;
  /** Run the operator listings and aggregates on a reader thread (reader-thread.ts). Default: when there is a writer thread. */
  readerThread?: boolean;
  /** Where the writer thread reports its transactions; made here when there is no thread. */
  commits?: ReturnType<typeof makeCommitRelay>;
}

export interface SqliteStore extends Store {
  /** PRAGMA synchronous and journal_mode on every connection that writes, as each answers them itself. */
  connectionSettings(): Promise<Record<string, ConnectionSettings>>;
}

export function makeSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const { writer, checkpointer, commits = makeCommitRelay() } = options;
  const db = openSqlite(path, { autoCheckpointPages: checkpointer ? BACKSTOP_CHECKPOINT_PAGES : undefined });
  // Statements are prepared against the schema, so migrate before building them.
  migrateSqlite(db);
  const ping = db.prepare('SELECT 1');
  const events = makeSqliteEvents(db);
  const { setDisabled: _, ...views } = makeSqliteDeliveryViews(db);
  const audit = makeSqliteAudit(db);
  const reader = (options.readerThread ?? writer !== undefined) ? startReaderThread(path) : undefined;
  const writes = writer ?? writeOnThisConnection(db, commits.report);
  const listeners = new Set<() => void>();
  const notifyDue = () => {
    for (const listener of [...listeners]) listener();
  };
  const notifyingIf = async <T>(work: Promise<T>, shouldNotify: (value: T) => boolean) => {
    const value = await work;
    if (shouldNotify(value)) notifyDue();
    return value;
  };
  const connectionSettings = async () => {
    const settings: Record<string, ConnectionSettings> = { 'main connection': await guarded(() => readConnectionSettings(db)) };
    if (writer) settings['writer thread connection'] = await writer.connectionSettings();
    const checkpoints = await checkpointer?.connectionSettings();
    if (checkpoints) settings['checkpointer connection'] = checkpoints;
    return settings;
  };
  return {
    kind: 'sqlite',
    migrate: () => guarded(() => void migrateSqlite(db)),
    // With a writer thread, ingest commits there: while it is down (restarting) the store is not ready.
    ping: () => {
      const down = writer?.downReason();
      return down ? Promise.reject(new StoreDownError(down)) : guarded(() => void ping.get());
    },
    connectionSettings,
    durabilityProblem: async () => settingsProblem(await connectionSettings()),
    pendingMigrations: () => guarded(() => pendingSqliteMigrations(db)),
    close: async () => {
      await writer?.close();
      await checkpointer?.close();
      await reader?.close();
      if (db.open) db.close();
    },
    listEvents: events.listEvents,
    getEvent: events.getEvent,
    ...views,
    ...audit,
    ...reader?.reads,
    // The outbox created deliveries with these events: wake in-process workers at once.
    observeCommits: commits.observe,
    insertEvents: (batch) => {
      const started = performance.now();
      const inserted = writes.insertEvents(batch.map(toStorable)).catch((err: unknown) => {
        // The writer reports the transactions it committed; a failed batch is reported here, reached or not.
        commits.report(batch.length, (performance.now() - started) / 1000, false);
        throw err;
      });
      return notifyingIf(inserted, (outcomes) => batch.some((e, i) => outcomes[i]?.inserted && e.deliveries.length > 0));
    },
    subscribeDue(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    claimDeliveries: writes.claimDeliveries,
    // Attempts finishing together share the writer's next transaction (writes.ts): one fsync per group, not per attempt.
    completeAttempt: writes.completeAttempt,
    releaseLeases: (workerId) => notifyingIf(writes.releaseLeases(workerId), (n) => n > 0),
    requeueDeliveries: (filter) => notifyingIf(writes.requeueDeliveries(filter), (n) => n > 0),
    setDestinationDisabled: (name, disabled, reason, now) => notifyingIf(writes.setDestinationDisabled(name, disabled, reason, now), () => !disabled),
    sealAudit: writes.sealAudit,
    pruneDelivered: writes.pruneDelivered,
    expireTombstones: writes.expireTombstones,
  };
}
