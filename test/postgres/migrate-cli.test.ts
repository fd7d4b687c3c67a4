/** `filab migrate` on both backends: applies what is pending, then reports nothing to do; fails clearly when unreachable. */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/child.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';

/** What `filab migrate` should print for a fresh database: every migration the backend ships, in order. */
function expectedFirstRun(backend: 'postgres' | 'sqlite'): string {
  const files = readdirSync(new URL(`../../src/store/${backend}/migrations/`, import.meta.url))
    .filter((f) => f.endsWith('.sql'))
    .sort();
  expect(files.length).toBeGreaterThan(3);
  return `${files.map((f) => `applied ${f}\n`).join('')}${backend}: ${files.length} migration(s) applied\n`;
}

let db: TestDatabase;
const dir = makeTempDir();

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('migrates PostgreSQL once and then has nothing to apply', async () => {
  const first = await runCli(['migrate'], { DATABASE_URL: db.url }, dir);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  expect(first.stdout).toBe(expectedFirstRun('postgres'));
  const second = await runCli(['migrate'], { DATABASE_URL: db.url }, dir);
  expect(second).toMatchObject({ code: 0, stdout: 'postgres: schema is up to date, nothing to apply\n' });
});

it('migrates SQLite the same way', async () => {
  const env = { DATABASE_PATH: join(dir, 'app.db') };
  const first = await runCli(['migrate'], env, dir);
  expect(first.stdout).toBe(expectedFirstRun('sqlite'));
  expect((await runCli(['migrate'], env, dir)).stdout).toBe('sqlite: schema is up to date, nothing to apply\n');
});

it('exits 1 with a clear message when PostgreSQL is unreachable', async () => {
  const result = await runCli(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' }, dir);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('[ERROR] migration failed: Storage unavailable, retry later');
  expect(result.stderr).toContain('ECONNREFUSED');
});
