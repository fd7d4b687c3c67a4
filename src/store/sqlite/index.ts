/** The embedded SQLite backend: one file, WAL, synchronous=FULL. */
import type { Store } from '../types.ts';
import { makeSqliteAudit } from './audit.ts';
import { makeSqliteDeliveries } from './deliveries.ts';
import { readConnectionSettings, settingsProblem, type ConnectionSettings } from './durability.ts';
import { guarded } from './errors.ts';
import { makeSqliteEvents } from './events.ts';
import { migrateSqlite, pendingSqliteMigrations } from './migrate.ts';
import { openSqlite } from './open.ts';
import { BACKSTOP_CHECKPOINT_PAGES, type Checkpointer } from './checkpointer.ts';
import type { WriterThread } from './writer-thread.ts';
import { startReaderThread } from './reader-thread.ts';
import { StoreDownError } from '../store-down.ts';

export interface SqliteStoreOptions {
  /** Run ingest inserts (and their fsync) on this writer thread instead of the event loop. */
  writer?: WriterThread;
  /**
   * Background checkpoints (checkpointer.ts), stopped when the store closes. With one, this connection checkpoints
   * by itself only at the backstop; without, every ~16 MB of WAL (openSqlite's default).
   */
  checkpointer?: Checkpointer;
  /** Run the operator listings and aggregates on a reader thread (reader-thread.ts). Default: when there is a writer thread. */
  readerThread?: boolean;
}

export interface SqliteStore extends Store {
  /** PRAGMA synchronous and journal_mode on every connection that writes, as each answers them itself. */
  connectionSettings(): Promise<Record<string, ConnectionSettings>>;
}

export function makeSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const { writer, checkpointer } = options;
  const db = openSqlite(path, { autoCheckpointPages: checkpointer ? BACKSTOP_CHECKPOINT_PAGES : undefined });
  // Statements are prepared against the schema, so migrate before building them.
  migrateSqlite(db);
  const ping = db.prepare('SELECT 1');
  const events = makeSqliteEvents(db);
  const deliveries = makeSqliteDeliveries(db);
  const audit = makeSqliteAudit(db);
  const reader = (options.readerThread ?? writer !== undefined) ? startReaderThread(path) : undefined;
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
    ...deliveries,
    ...audit,
    ...reader?.reads,
    // With a writer thread, sealing runs there too: one writer, no lock waits on the event loop.
    sealAudit: (limit, now) => (writer ?? audit).sealAudit(limit, now),
    // The outbox created deliveries with these events: wake in-process workers at once.
    insertEvents: async (batch) => {
      const outcomes = await (writer ?? events).insertEvents(batch);
      if (batch.some((e, i) => outcomes[i]?.inserted && e.deliveries.length > 0)) deliveries.notifyDue();
      return outcomes;
    },
  };
}
