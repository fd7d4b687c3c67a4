/** Open a SQLite database for durable ingest (the writer thread imports only this; migrations are in migrate.ts). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

export interface OpenOptions {
  /** WAL pages after which a commit checkpoints by itself (SQLite's wal_autocheckpoint). */
  autoCheckpointPages?: number;
}

export function openSqlite(path: string, options: OpenOptions = {}): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL + synchronous=FULL: a committed transaction is on disk (fsync) before we acknowledge it,
  // so a 200 survives kill -9 and power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Checkpoint every ~16 MB of WAL rather than 4 MB: fewer checkpoint fsyncs inside commits. The ingest store
  // has a checkpointer thread do it instead, and raises this to a backstop (see checkpointer.ts).
  db.pragma(`wal_autocheckpoint = ${Math.floor(options.autoCheckpointPages ?? 4000)}`);
  db.pragma('foreign_keys = ON');
  // A statement that fires triggers (the counts of migration 006) keeps a statement journal; in a temporary file
  // (SQLite's default) that meant creating and removing a file for every insert statement.
  db.pragma('temp_store = MEMORY');
  // better-sqlite3 blocks the event loop while it waits for a lock: wait briefly, then answer 503.
  db.pragma('busy_timeout = 2000');
  return db;
}

/** Prepared statements by SQL text, for queries built per filter combination: each distinct text is prepared once. */
export function makeStatementCache(db: SqliteDb): (sql: string) => ReturnType<SqliteDb['prepare']> {
  const statements = new Map<string, ReturnType<SqliteDb['prepare']>>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
