/** SQLite schema migrations: numbered SQL files in ./migrations, applied once each. */
import { readMigrations } from '../migrations.ts';
import type { SqliteDb } from './open.ts';

const MIGRATIONS = new URL('./migrations/', import.meta.url);

/** Migrations this code knows that the database has not applied (for /ready). */
export function pendingSqliteMigrations(db: SqliteDb): string[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  const applied = new Set(
    table
      ? db
          .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
          .all()
          .map((r) => r.version)
      : [],
  );
  return readMigrations(MIGRATIONS)
    .filter((m) => !applied.has(m.version))
    .map((m) => m.name);
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
