/** PostgreSQL settings in the config: DATABASE_URL / database.url and DATABASE_POOL_SIZE / database.pool_size. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { makeTempDir } from '../helpers/inbox.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('reads the URL and pool size from the environment first, then filab.yaml, else defaults', () => {
  expect(loadConfig({ env: {}, cwd: dir })).toMatchObject({ databaseUrl: null, databasePoolSize: 10 });
  writeFileSync(join(dir, 'filab.yaml'), 'database: { url: "postgres://db.internal/filab", pool_size: 3 }\n');
  expect(loadConfig({ env: {}, cwd: dir })).toMatchObject({ databaseUrl: 'postgres://db.internal/filab', databasePoolSize: 3 });
  expect(loadConfig({ env: { DATABASE_URL: 'postgresql://other/x', DATABASE_POOL_SIZE: '7' }, cwd: dir })).toMatchObject({
    databaseUrl: 'postgresql://other/x',
    databasePoolSize: 7,
  });
});

it('refuses a pool size that is not a positive integer', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ env, cwd: dir });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.join('\n');
      throw err;
    }
    return '';
  };
  expect(problems({ DATABASE_POOL_SIZE: '0' })).toContain('DATABASE_POOL_SIZE: must be an integer from 1 to 1000');
  expect(problems({ DATABASE_POOL_SIZE: 'ten' })).toContain('DATABASE_POOL_SIZE');
  writeFileSync(join(dir, 'filab.yaml'), 'database: { pool_size: -1 }\n');
  expect(problems({})).toContain('pool_size');
});
