/**
 * `node --import tsx bench/keep-up-run.ts <sqlite|postgres> [events]`: the "delivery keeps up" measurement of
 * `npm run bench` for one backend alone, for working on one bound at a time. Prints the row as JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchKeepUp } from './keep-up.ts';
import { withPostgresDatabase } from './pg-database.ts';

const backend = process.argv[2];
const events = Number(process.argv[3] ?? 20_000);
if (backend !== 'sqlite' && backend !== 'postgres') {
  process.stderr.write('usage: keep-up-run.ts <sqlite|postgres> [events]\n');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'filab-keep-up-'));
try {
  let files = 0;
  const row =
    backend === 'sqlite'
      ? await benchKeepUp('SQLite', dir, events, (fn) => fn({ DATABASE_PATH: join(dir, `keep-up-${files++}.db`) }))
      : await benchKeepUp('PostgreSQL', dir, events, (fn) => withPostgresDatabase((url) => fn({ DATABASE_URL: url })));
  process.stdout.write(`${JSON.stringify(row)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
