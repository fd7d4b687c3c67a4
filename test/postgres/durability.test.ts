/**
 * Case 8 of issue 17 on PostgreSQL: a database (or role, or connection) set to synchronous_commit = off would let
 * the inbox answer 200 before an event is durable. `filab serve` refuses to start, naming the setting, its value
 * and the fix; with database.allow_unsafe_commit it starts and warns. /ready answers 503 while the pool's
 * connections commit unsafely. The shared server's own settings are never touched: only this file's database
 * and a role created (and dropped) here.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createInbox, UnsafeCommitError } from '../../src/inbox.ts';
import { unsafeSettingsProblem } from '../../src/store/postgres/durability.ts';
import { startServerProcess } from '../helpers/child.ts';
import { makeTempDir, startTestInbox } from '../helpers/inbox.ts';
import { createTestDatabase, terminateConnections, type TestDatabase } from '../helpers/pg.ts';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';
import { until } from '../metrics/receiver.ts';

let db: TestDatabase;
const dir = makeTempDir();

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A `filab serve` child on this database that is expected to start; checked healthy, then stopped. */
async function expectServesHealthy(env: Record<string, string>, cwd: string): Promise<string> {
  const server = await startServerProcess(env, ['serve'], cwd);
  try {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await postStripe(server.url, stripeEvent())).json).toEqual({ status: 'received' });
    const ready = await fetch(`${server.url}/ready`);
    return `${ready.status} ${await ready.text()}\n${server.output()}`;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

describe('ALTER DATABASE ... SET synchronous_commit = off', () => {
  afterAll(async () => {
    await db.admin(`ALTER DATABASE ${db.name} RESET synchronous_commit`);
  });

  let failure: string;
  beforeAll(async () => {
    await db.admin(`ALTER DATABASE ${db.name} SET synchronous_commit = off`);
    const env = { DATABASE_URL: db.url, STRIPE_WEBHOOK_SECRET: SECRET };
    failure = await startServerProcess(env, ['serve'], dir).then(
      async (server) => {
        server.child.kill('SIGKILL');
        throw new Error(`filab serve started on a database with synchronous_commit = off:\n${server.output()}`);
      },
      (err: Error) => err.message,
    );
  });

  it('filab serve refuses to start: exit 1, naming the setting, its value and the fix', () => {
    expect(failure).toMatch(/^server exited \(1\) before listening/);
    expect(failure).toContain("Refusing to start: PostgreSQL synchronous_commit is 'off' on the inbox's connection (set by: database");
    expect(failure).toContain(`Fix: ALTER DATABASE ${db.name} SET synchronous_commit = on, then restart the inbox`);
    expect(failure).toContain('database.allow_unsafe_commit: true');
  });

  it('refuses before migrating: the database is left as it was', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query("SELECT to_regclass('public.schema_migrations') AS t")).rows).toEqual([{ t: null }]);
    } finally {
      await client.end();
    }
  });

  it('prints the refusal as one clean line, without a stack trace', () => {
    expect(failure).toMatch(/^\[ERROR\] Refusing to start: PostgreSQL synchronous_commit/m);
    expect(failure).not.toMatch(/^\s+at /m);
  });

  it('starts with database.allow_unsafe_commit: true, warns, stays healthy and reports the problem in /ready', async () => {
    const cwd = makeTempDir();
    try {
      writeFileSync(join(cwd, 'filab.yaml'), 'database:\n  allow_unsafe_commit: true\n');
      const seen = await expectServesHealthy({ DATABASE_URL: db.url, STRIPE_WEBHOOK_SECRET: SECRET }, cwd);
      expect(seen).toMatch(/^200 .*"status":"ready".*"unsafeCommit":"PostgreSQL synchronous_commit is 'off'/);
      expect(seen).toMatch(/"level":40.*database\.allow_unsafe_commit is set: starting although commits are not durable/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('other places synchronous_commit can be turned off', () => {
  it('names ALTER ROLE when the role sets it', async () => {
    const role = `filab_role_${randomBytes(4).toString('hex')}`;
    await db.admin(`CREATE ROLE ${role} LOGIN`);
    try {
      await db.admin(`ALTER ROLE ${role} SET synchronous_commit = off`);
      await db.admin(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
      const config = loadConfig({ env: { DATABASE_URL: `postgres://${role}@127.0.0.1:5432/${db.name}`, STRIPE_WEBHOOK_SECRET: SECRET }, cwd: dir });
      const refused = await createInbox({ config, worker: false }).then(
        async (inbox) => {
          await inbox.close();
          return null;
        },
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(UnsafeCommitError);
      expect((refused as Error).message).toContain(`(set by: user; durable: on, remote_write or remote_apply)`);
      expect((refused as Error).message).toContain(`Fix: ALTER ROLE ${role} SET synchronous_commit = on`);
    } finally {
      await db.admin(`ALTER DATABASE ${db.name} OWNER TO postgres`);
      await db.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      await db.admin(`DROP OWNED BY ${role}`);
      await db.admin(`DROP ROLE ${role}`);
    }
  });

  it('names the connection options when DATABASE_URL sets it', async () => {
    const config = loadConfig({ env: { DATABASE_URL: `${db.url}?options=-c%20synchronous_commit%3Doff`, STRIPE_WEBHOOK_SECRET: SECRET }, cwd: dir });
    await expect(createInbox({ config, worker: false })).rejects.toThrow(
      /synchronous_commit is 'off' .*\(set by: client;.*Fix: remove synchronous_commit from the connection options/,
    );
  });

  it('accepts remote_write and remote_apply', async () => {
    for (const level of ['remote_write', 'remote_apply']) {
      const t = await startTestInbox({
        env: { DATABASE_URL: `${db.url}?options=-c%20synchronous_commit%3D${level}`, STRIPE_WEBHOOK_SECRET: SECRET },
        worker: false,
      });
      try {
        expect(await t.inbox.store.durabilityProblem?.()).toBeNull();
        expect(await (await fetch(`${t.url}/ready`)).json()).toEqual({ status: 'ready', store: 'postgres' });
      } finally {
        await t.close();
      }
    }
  });
});

describe('/ready while the database turns unsafe under a running inbox', () => {
  it('answers 503 naming the setting once the pool reconnects with it, and 200 again after the fix', async () => {
    const t = await startTestInbox({ env: { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', STRIPE_WEBHOOK_SECRET: SECRET }, worker: false });
    const ready = async () => {
      const res = await fetch(`${t.url}/ready`);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { detail?: string; code?: string } };
    };
    try {
      expect((await ready()).status).toBe(200);
      // A database setting applies to sessions that start after it: new pool connections see it.
      await db.admin(`ALTER DATABASE ${db.name} SET synchronous_commit = off`);
      await terminateConnections(db);
      await until(async () => /synchronous_commit is 'off'/.test((await ready()).body.detail ?? ''), '/ready to report synchronous_commit');
      const refused = await ready();
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.code).toBe('not_ready');
      expect(refused.body.detail).toContain(`Not ready: PostgreSQL synchronous_commit is 'off'`);
      expect((await fetch(`${t.url}/health`)).status).toBe(200);

      await db.admin(`ALTER DATABASE ${db.name} RESET synchronous_commit`);
      await terminateConnections(db);
      await until(async () => (await ready()).status === 200, '/ready to answer 200 again');
      expect((await postStripe(t.url, stripeEvent())).json).toEqual({ status: 'received' });
    } finally {
      await db.admin(`ALTER DATABASE ${db.name} RESET synchronous_commit`);
      await t.close();
    }
  });
});

describe('server-wide settings (fsync, full_page_writes: never changed on the shared test server)', () => {
  it('reads them on the inbox connection: on here', async () => {
    const t = await startTestInbox({ env: { DATABASE_URL: db.url, STRIPE_WEBHOOK_SECRET: SECRET }, worker: false });
    try {
      expect(await t.inbox.store.durabilityProblem?.()).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('names postgresql.conf when one is off, with every problem at once', () => {
    const row = (name: string, setting: string, source: string) => ({ name, setting, source, database: 'filab', role: 'app' });
    expect(
      unsafeSettingsProblem([
        row('fsync', 'off', 'configuration file'),
        row('full_page_writes', 'on', 'default'),
        row('synchronous_commit', 'local', 'database user'),
      ]),
    ).toBe(
      "PostgreSQL fsync is 'off' on the inbox's connection (set by: configuration file; durable: on), so a 200 could be sent before the event is on disk. " +
        'Fix: set fsync = on in postgresql.conf (server-wide) and reload PostgreSQL, then restart the inbox; ' +
        "PostgreSQL synchronous_commit is 'local' on the inbox's connection (set by: database user; durable: on, remote_write or remote_apply), so a 200 could be sent before the event is on disk. " +
        'Fix: ALTER ROLE app IN DATABASE filab SET synchronous_commit = on, then restart the inbox',
    );
  });
});
