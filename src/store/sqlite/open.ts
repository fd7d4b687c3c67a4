/** Open a SQLite database for durable ingest and bring its schema up to date. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { readMigrations } from '../migrations.ts';

export type SqliteDb = Database.Database;

export function openSqlite(path: string): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL + synchronous=FULL: a committed transaction is on disk (fsync) before we acknowledge it,
  // so a 200 survives kill -9 and power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Checkpoint every ~16 MB of WAL rather than 4 MB: fewer checkpoint fsyncs inside ingest commits.
  db.pragma('wal_autocheckpoint = 4000');
  db.pragma('foreign_keys = ON');
  // better-sqlite3 blocks the event loop while it waits for a lock: wait briefly, then answer 503.
  db.pragma('busy_timeout = 2000');
  return db;
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

/** Migrations this code knows that the database has not applied (for /ready). */
export function pendingSqliteMigrations(db: SqliteDb): string[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  const applied = new Set(table ? db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version) : []);
  return readMigrations(MIGRATIONS).filter((m) => !applied.has(m.version)).map((m) => m.name);
}

/** Apply pending migrations, each in an IMMEDIATE transaction so processes starting together serialise. Returns the names applied. */
export function migrateSqlite(db: SqliteDb): string[] {
  const applied: string[] = [];
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const migration of readMigrations(MIGRATIONS)) {
    db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
      applied.push(migration.name);
    }).immediate();
  }
  return applied;
}
