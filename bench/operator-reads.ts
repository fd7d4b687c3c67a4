/**
 * `node --import tsx bench/operator-reads.ts [events]`: how long every operator read takes with many stored
 * events (default 1,000,000), on SQLite and on PostgreSQL (when reachable at 127.0.0.1:5432). Fills each with
 * operator-reads-fill.ts, then runs every admin API, /events and dashboard query under each filter combination
 * the UI offers, a few times each, through the real stores, and prints the median and max per query.
 * Bounded: the fills take most of the time (a minute or two each on the 2-core machine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePostgresStore } from '../src/store/postgres/index.ts';
import { makeSqliteStore } from '../src/store/sqlite/index.ts';
import type { Store } from '../src/store/types.ts';
import { DAY_MS, fillPostgres, fillSqlite, type FillShape } from './operator-reads-fill.ts';
import { withPostgresDatabase } from './pg-database.ts';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;
const NOW = Date.parse('2026-12-01T00:00:00Z');

type Read = [name: string, run: (store: Store) => Promise<unknown>];

/** Every read the operator surfaces make, with a second page where they page. */
function reads(shape: FillShape): Read[] {
  const key = shape.sampleKeys[Math.floor(shape.sampleKeys.length / 2)]!;
  const events: [string, Parameters<Store['listEvents']>[0]][] = [
    ['events (no filter)', { limit: 50 }],
    ['events source=stripe', { limit: 50, source: 'stripe' }],
    ['events source=quiet (rare), limit 1 (health view)', { limit: 1, source: 'quiet' }],
    ['events type=push', { limit: 50, type: 'push' }],
    ['events status=dead', { limit: 50, status: 'dead' }],
    ['events status=received', { limit: 50, status: 'received' }],
    ['events source=github type=push', { limit: 50, source: 'github', type: 'push' }],
    ['events source=github type=payout.paid (none)', { limit: 50, source: 'github', type: 'payout.paid' }],
    ['events source=quiet status=delivered', { limit: 50, source: 'quiet', status: 'delivered' }],
    ['events source=stripe status=dead', { limit: 50, source: 'stripe', status: 'dead' }],
    ['events type=push status=failed', { limit: 50, type: 'push', status: 'failed' }],
    ['events source+type+status', { limit: 50, source: 'stripe', type: 'invoice.paid', status: 'failed' }],
    ['events since/until (one day, 15 days ago)', { limit: 50, since: NOW - 15 * DAY_MS, until: NOW - 14 * DAY_MS }],
    ['events source=shopify since/until', { limit: 50, source: 'shopify', since: NOW - 15 * DAY_MS, until: NOW - 14 * DAY_MS }],
    ['events key prefix (one event)', { limit: 50, keyPrefix: key.slice(0, 12) }],
    ['events key prefix (evt_A: ~1/62)', { limit: 50, keyPrefix: 'evt_A' }],
    ['events key prefix (evt_: all)', { limit: 50, keyPrefix: 'evt_' }],
    ['events key prefix + source=github', { limit: 50, keyPrefix: 'evt_A', source: 'github' }],
    ['events limit 500', { limit: 500 }],
    ['events type=push limit 500', { limit: 500, type: 'push' }],
  ];
  const deliveries: [string, Parameters<Store['listDeliveries']>[0]][] = [
    ['deliveries (no filter)', { limit: 50 }],
    ['deliveries status=dead (dead-letter view)', { limit: 50, status: 'dead' }],
    ['deliveries status=failed destination=analytics', { limit: 50, status: 'failed', destination: 'analytics' }],
    ['deliveries status=dead source=github', { limit: 50, status: 'dead', source: 'github' }],
    ['deliveries status=dead source=quiet (rare)', { limit: 50, status: 'dead', source: 'quiet' }],
    ['deliveries destination=ledger', { limit: 50, destination: 'ledger' }],
  ];
  type EventQuery = Parameters<Store['listEvents']>[0];
  type DeliveryQuery = Parameters<Store['listDeliveries']>[0];
  const eventsPage2 = (q: EventQuery) => async (store: Store) => {
    const first = await store.listEvents(q);
    return first.nextCursor ? store.listEvents({ ...q, cursor: first.nextCursor }) : first;
  };
  const deliveriesPage2 = (q: DeliveryQuery) => async (store: Store) => {
    const first = await store.listDeliveries(q);
    return first.nextCursor ? store.listDeliveries({ ...q, cursor: first.nextCursor }) : first;
  };
  return [
    ...events.map(([name, q]): Read => [name, (s) => s.listEvents(q)]),
    ['events type=push, page 2', eventsPage2({ limit: 50, type: 'push' })],
    ['events source=stripe status=dead, page 2', eventsPage2({ limit: 50, source: 'stripe', status: 'dead' })],
    ...deliveries.map(([name, q]): Read => [name, (s) => s.listDeliveries(q)]),
    ['deliveries status=dead, page 2', deliveriesPage2({ limit: 50, status: 'dead' })],
    ['event detail', (s) => s.getEvent(shape.sampleIds[10]!)],
    ['destination counts (health, /destinations)', (s) => s.destinationCounts()],
    ['stats', (s) => s.stats()],
    ['activity 60 min by minute', (s) => s.activity(NOW - 3_600_000, 60_000)],
    ['activity 24 h by hour', (s) => s.activity(NOW - DAY_MS, 3_600_000)],
    ['ingest-stats (limit 1 per source)', (s) => Promise.all(['stripe', 'github', 'shopify', 'quiet'].map((source) => s.listEvents({ limit: 1, source })))],
  ];
}

async function time(store: Store, shape: FillShape): Promise<Map<string, { median: number; max: number }>> {
  const out = new Map<string, { median: number; max: number }>();
  for (const [name, run] of reads(shape)) {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      await run(store);
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    out.set(name, { median: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]! });
  }
  return out;
}

function progress(backend: string) {
  const start = Date.now();
  return (done: number) => {
    if (done % 100_000 === 0 || done === EVENTS)
      process.stderr.write(
        `\r${backend}: ${done.toLocaleString('en')} of ${EVENTS.toLocaleString('en')} events, ${((Date.now() - start) / 1000).toFixed(0)} s`,
      );
    if (done === EVENTS) process.stderr.write('\n');
  };
}

const dir = mkdtempSync(join(tmpdir(), 'filab-operator-reads-'));
const results: Record<string, Map<string, { median: number; max: number }> | string> = {};
try {
  const path = join(dir, 'reads.db');
  const shape = fillSqlite(path, EVENTS, NOW, progress('sqlite'));
  // Timed on the main connection (each read's own time); the reader thread adds a message hop of well under 1 ms.
  const sqlite = makeSqliteStore(path);
  results.sqlite = await time(sqlite, shape);
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });

  const pg = await withPostgresDatabase(async (url) => {
    const pgShape = await fillPostgres(url, EVENTS, NOW, progress('postgres'));
    const store = await makePostgresStore({ url, poolSize: 2 });
    try {
      return await time(store, pgShape);
    } finally {
      await store.close();
    }
  });
  results.postgres = pg;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const names = reads({ events: 0, now: NOW, sampleKeys: ['evt_0000000000000000'], sampleIds: Array(11).fill('') }).map(([name]) => name);
const cell = (r: Map<string, { median: number; max: number }> | string | undefined, name: string) => {
  if (typeof r === 'string' || !r) return (r ?? 'not run').padStart(18);
  const t = r.get(name)!;
  return `${t.median.toFixed(1)} / ${t.max.toFixed(1)}`.padStart(18);
};
console.log(`\nOperator reads with ${EVENTS.toLocaleString('en')} stored events: median / max ms of ${RUNS} runs\n`);
console.log(`${'read'.padEnd(52)}${'SQLite'.padStart(18)}${'PostgreSQL'.padStart(18)}`);
for (const name of names) console.log(`${name.padEnd(52)}${cell(results.sqlite, name)}${cell(results.postgres, name)}`);
const slow = names.filter((n) => [results.sqlite, results.postgres].some((r) => typeof r !== 'string' && r && r.get(n)!.median >= 50));
console.log(slow.length ? `\nAt or over 50 ms (median): ${slow.join('; ')}` : '\nEvery read under 50 ms (median).');
