/** Pick the backend from config: PostgreSQL when DATABASE_URL is set, else embedded SQLite. */
import type { Config } from '../config/types.ts';
import { makeSqliteStore } from './sqlite/index.ts';
import { migrateSqlite } from './sqlite/migrate.ts';
import { openSqlite } from './sqlite/open.ts';
import { startCheckpointer } from './sqlite/checkpointer.ts';
import { startWriterThread } from './sqlite/writer-thread.ts';
import { makeCommitRelay } from './group-commit.ts';
import type { Store } from './types.ts';

type StoreConfig = Pick<Config, 'databasePath' | 'databaseUrl'> &
  Partial<Pick<Config, 'databasePoolSize'>> & { ingest?: Pick<Config['ingest'], 'sqliteWriterThread'> };

/** Where a backend reports connection trouble nobody awaits (an idle connection dropped, LISTEN lost, a writer thread died). */
export interface StoreLog {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface OpenStoreOptions {
  /** The SQLite writer thread died and a new one took over (filab_sqlite_writer_restarts_total). */
  writerRestarted?(): void;
  /**
   * Judge the store's durabilityProblem() before it migrates or takes a write (createInbox); a throw refuses
   * the store, which is closed again. Commands that only read (audit) leave it out.
   */
  checkDurability?(store: Store): Promise<void>;
}

export async function openStore(config: StoreConfig, log?: StoreLog, options: OpenStoreOptions = {}): Promise<Store> {
  const checked = async (store: Store) => {
    try {
      await options.checkDurability?.(store);
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
    return store;
  };
  if (config.databaseUrl) {
    const { makePostgresStore } = await import('./postgres/index.ts');
    const store = await makePostgresStore({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize ?? 10,
      // The message only (codes and texts from the driver), never the connection string.
      ...(log
        ? {
            onConnectionError: (err: unknown) =>
              log.warn({ error: err instanceof Error ? err.message : String(err) }, 'database connection lost; reconnecting'),
          }
        : {}),
    });
    await checked(store);
    await store.migrate();
    return store;
  }
  // Migrate first: the writer thread prepares its statements against the schema, and the checkpointer opens
  // a database that is already in WAL mode.
  const db = openSqlite(config.databasePath);
  try {
    migrateSqlite(db);
  } finally {
    db.close();
  }
  const checkpointer = await startCheckpointer(config.databasePath);
  const commits = makeCommitRelay();
  try {
    const writer = config.ingest?.sqliteWriterThread
      ? await startWriterThread(config.databasePath, {
          died: (reason, restartInMs) => log?.warn({ reason, restartInMs }, 'SQLite writer thread died: its batch answered 503; starting a new one'),
          restarted: () => {
            log?.warn({}, 'SQLite writer thread started again');
            options.writerRestarted?.();
          },
          committed: commits.report,
        })
      : undefined;
    // Migrated above: SQLite's settings are this code's own, and migrating first lets every connection open.
    return await checked(makeSqliteStore(config.databasePath, { writer, checkpointer, commits }));
  } catch (err) {
    await checkpointer.close();
    throw err;
  }
}

/** Bring the configured database's schema up to date (`filab migrate`); returns the backend and what was applied. */
export async function migrateStore(config: StoreConfig): Promise<{ kind: string; applied: string[] }> {
  if (config.databaseUrl) {
    const { migratePostgres } = await import('./postgres/migrate.ts');
    return { kind: 'postgres', applied: await migratePostgres(config.databaseUrl) };
  }
  const db = openSqlite(config.databasePath);
  try {
    return { kind: 'sqlite', applied: migrateSqlite(db) };
  } finally {
    db.close();
  }
}
