import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/inbox.ts';
import { printRounds, runCrashRounds, sqliteReaders } from './crash-rounds.ts';

const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('SQLite: every acknowledged event is stored and delivered across SIGKILL rounds', async () => {
  const path = join(dir, 'app.db');
  const rows = await runCrashRounds({ dir, env: { DATABASE_PATH: path }, rounds: process.env.SOAK ? 10 : 3, ...sqliteReaders(path) });
  printRounds('sqlite', rows);
  expect(rows.every((r) => r.acknowledged > 0)).toBe(true);
  expect(rows.map((r) => r.lost)).toEqual(rows.map(() => 0));
}, 180_000);
