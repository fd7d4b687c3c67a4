import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { printRounds, runCrashRounds } from './crash-rounds.ts';

const dir = makeTempDir();
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('PostgreSQL: every acknowledged event is stored and delivered across SIGKILL rounds', async () => {
  const query = async <T>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const rows = await runCrashRounds({
    dir,
    env: { DATABASE_URL: db.url },
    rounds: process.env.SOAK ? 10 : 3,
    storedKeys: async () => new Set((await query<{ event_key: string }>('SELECT event_key FROM events')).map((r) => r.event_key)),
    allDelivered: async () => Number((await query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE status IN ('pending','failed')"))[0]!.n) === 0,
  });
  printRounds('postgres', rows);
  expect(rows.every((r) => r.acknowledged > 0)).toBe(true);
  expect(rows.map((r) => r.lost)).toEqual(rows.map(() => 0));
}, 180_000);
