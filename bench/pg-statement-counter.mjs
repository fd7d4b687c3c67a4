/**
 * Preload for `filab serve` under bench/pg-round-trips.ts (`node --import ./bench/pg-statement-counter.mjs ...`):
 * counts every statement node-postgres sends (each is one round trip), by prepared-statement name or by its first
 * words, and writes the counts as JSON to FILAB_PG_COUNT_FILE when the process gets SIGUSR2. Bench tooling only.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const counts = new Map();
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const label = typeof config === 'string' ? config : (config?.name ?? config?.text ?? '?');
  const key = String(label).replace(/\s+/g, ' ').trim().slice(0, 60);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return original.call(this, config, ...rest);
};
process.on('SIGUSR2', () => {
  const file = process.env.FILAB_PG_COUNT_FILE;
  if (file) writeFileSync(file, JSON.stringify(Object.fromEntries(counts)));
});
