/** A fresh PostgreSQL database for one scenario, on the local server, dropped afterwards. */
import pg from 'pg';

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
let made = 0;

/** `fn` with the URL of a new database; a string saying why when PostgreSQL is not there or `fn` failed. */
export async function withPostgresDatabase<T>(fn: (url: string) => Promise<T>): Promise<T | string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch {
    return 'skipped: PostgreSQL not reachable at 127.0.0.1:5432';
  }
  const name = `filab_bench_${Date.now()}_${made++}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    return await fn(`postgres://postgres@127.0.0.1:5432/${name}`);
  } catch (err) {
    return `skipped: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    // Dropping a database makes PostgreSQL checkpoint, flushing what the scenario wrote: wait for that here, or
    // its disk writes land in the next scenario's syncs (the SQLite row after it saw p99 29-33 ms instead of 16-22).
    await admin.query('CHECKPOINT').catch(() => {});
    await admin.end();
  }
}
