/** A fresh PostgreSQL database per test file on the local server (trust auth, user postgres); dropped after. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Run one statement as the admin user (e.g. pg_terminate_backend). */
  admin<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch {
    throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432: start it with pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
  }
  return client;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `filab_test_${randomBytes(6).toString('hex')}`;
  const client = await adminClient();
  await client.query(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    admin: (sql, params) => client.query(sql, params),
    async drop() {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Kill every server-side connection to the database except the admin's own; returns how many. */
export async function terminateConnections(db: TestDatabase): Promise<number> {
  const result = await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
  return result.rowCount ?? 0;
}
