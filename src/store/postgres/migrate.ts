/** Numbered migrations on PostgreSQL, serialised across processes by a session advisory lock. */
import pg from 'pg';
import { readMigrations } from '../migrations.ts';
import { toStorageError } from './errors.ts';
import { connectionConfig, type Db } from './pool.ts';

const MIGRATIONS = new URL('./migrations/', import.meta.url);

/** Migrations this code knows that the database has not applied (for /ready). */
export async function pendingPostgresMigrations(db: Db): Promise<string[]> {
  const present = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  const rows = present.rows[0]?.present ? (await db.query<{ version: number }>('SELECT version FROM schema_migrations')).rows : [];
  const applied = new Set(rows.map((r) => r.version));
  return readMigrations(MIGRATIONS)
    .filter((m) => !applied.has(m.version))
    .map((m) => m.name);
}

/**
 * Apply pending migrations, each in its own transaction, on a connection of its own without the pool's
 * timeouts (a migration may take long, and a process starting beside another waits for its migration).
 * Returns the names applied by this call.
 */
export async function migratePostgres(url: string): Promise<string[]> {
  const client = new pg.Client({ ...connectionConfig(url), options: '-c statement_timeout=0 -c lock_timeout=0' });
  client.on('error', () => {}); // the failing query rejects too; that is where we report it
  try {
    await client.connect();
    await client.query("SELECT pg_advisory_lock(hashtext('filab:migrate'))");
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    const applied: string[] = [];
    for (const migration of readMigrations(MIGRATIONS)) {
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.rowCount) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
      applied.push(migration.name);
    }
    return applied;
  } catch (err) {
    throw toStorageError(err);
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => {});
  }
}
