/**
 * `npm run bench [-- --quick] [-- --soak]`: everything measured in one run, on 127.0.0.1 only, bounded in time.
 * Prints a table and one JSON line. The servers under test are child processes (see processes.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { againstBaseline, type BaselineOptions, type Row } from './against-baseline.ts';
import { benchDeliveries } from './delivery-bench.ts';
import { benchDiskSync } from './disk-sync.ts';
import { benchKeepUp, type KeepUpRow } from './keep-up.ts';
import { runTurns, runTurnsInChild, SECRET } from './load.ts';
import { withPostgresDatabase } from './pg-database.ts';
import { FILAB, startChild } from './processes.ts';
import { benchVerify } from './verify-bench.ts';
import { ensureWrk, makeWrkLoad } from './wrk.ts';

const quick = process.argv.includes('--quick');
const soak = process.argv.includes('--soak');
const seconds = quick ? 3 : 10;
const warmup = quick ? 1 : 2;
const WINDOWS = quick ? 3 : 5;
const timing = { seconds, warmupSeconds: warmup, windows: WINDOWS };
const compare = (name: string, args: string[], env: Record<string, string>, options: Omit<BaselineOptions, 'timing'> = {}) =>
  againstBaseline(name, args, env, { timing, ...options });

async function soakRun(dir: string): Promise<{ firstMb: number; lastMb: number; peakMb: number; rps: number }> {
  const child = await startChild([...FILAB, 'serve'], { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'soak.db') });
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(child.rssMb()), 1000);
  try {
    const [result] = await runTurnsInChild({ urls: [child.url], warmupSeconds: 0, windows: 1, windowSeconds: 60 });
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    return { firstMb: avg(samples.slice(0, 10)), lastMb: avg(samples.slice(-10)), peakMb: child.peakRssMb(), rps: result!.rps };
  } finally {
    clearInterval(timer);
    await child.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'filab-bench-'));
const rows: Row[] = [];
const notes: string[] = [];
try {
  process.stderr.write(`bench: ${seconds}s per scenario (${WINDOWS} windows in turns with its baseline) after ${warmup}s warm-up, 64 connections\n`);
  // Every ingest row has its own baseline, measured in turns with it (againstBaseline): one baseline at the start
  // would be compared with scenarios run minutes later.
  const sqlite = (file: string, writerThread: boolean) => ({
    STRIPE_WEBHOOK_SECRET: SECRET,
    DATABASE_PATH: join(dir, file),
    SQLITE_WRITER_THREAD: writerThread ? '1' : '0',
  });
  const first = await compare('ingest, SQLite durable, unique, writer thread', [...FILAB, 'serve'], sqlite('unique-thread.db', true));
  rows.push(first.base, first.row);
  rows.push((await compare('ingest, SQLite durable, unique, on event loop', [...FILAB, 'serve'], sqlite('unique-loop.db', false))).row);
  rows.push((await compare('ingest, SQLite durable, half replays, writer thread', [...FILAB, 'serve'], sqlite('replays.db', true), { replays: true })).row);
  // Light load: one connection, one request at a time. Group commit must not delay a lone request.
  rows.push((await compare('light load (1 connection): SQLite durable ingest', [...FILAB, 'serve'], sqlite('light.db', true), { connections: 1 })).row);
  const pgRow = await withPostgresDatabase(
    async (url) => (await compare('ingest, PostgreSQL durable, unique events', [...FILAB, 'serve'], { STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_URL: url })).row,
  );
  if (typeof pgRow === 'string') notes.push(`PostgreSQL ingest ${pgRow}`);
  else rows.push(pgRow);
  // The same SQLite scenario loaded by wrk, a C client that leaves the server more of the two cores.
  const wrkMissing = ensureWrk();
  if (wrkMissing) notes.push(`wrk row ${wrkMissing}`);
  else {
    const wrkLoad = makeWrkLoad(dir);
    const wrk = await compare('ingest, SQLite durable, unique, writer thread (wrk)', [...FILAB, 'serve'], sqlite('unique-wrk.db', true), {
      turns: (plan, onWindow) => runTurns(plan, onWindow, wrkLoad),
      baselineName: 'baseline node:http (wrk)',
    });
    rows.push(wrk.base, wrk.row);
    if (wrkLoad.repeated > 0)
      notes.push(`wrk: ${wrkLoad.repeated} requests were replays (a window outlasted its signed events; harmless to the baseline, not to SQLite)`);
  }
  // The SQLite row once more, now after its own fresh baseline, as the last scenario of the run.
  rows.push((await compare('ingest, SQLite durable, unique, writer thread (again, last)', [...FILAB, 'serve'], sqlite('unique-thread-2.db', true))).row);

  const diskSync = benchDiskSync(dir);
  process.stderr.write('bench: verification\n');
  const verify = benchVerify();
  process.stderr.write('bench: deliveries\n');
  const deliveryEvents = quick ? 1000 : 5000;
  const deliveries = await benchDeliveries(dir, deliveryEvents, { DATABASE_PATH: join(dir, 'deliveries.db') });
  const pgDeliveries = await withPostgresDatabase((url) => benchDeliveries(dir, deliveryEvents, { DATABASE_URL: url }));
  if (typeof pgDeliveries === 'string') notes.push(`PostgreSQL deliveries ${pgDeliveries}`);
  const keepUpEvents = quick ? 5000 : 20_000;
  const keepUp: KeepUpRow[] = [];
  let keepUpFiles = 0;
  const sqliteKeepUp = await benchKeepUp('SQLite', dir, keepUpEvents, (fn) => fn({ DATABASE_PATH: join(dir, `keep-up-${keepUpFiles++}.db`) }));
  const pgKeepUp = await benchKeepUp('PostgreSQL', dir, keepUpEvents, (fn) => withPostgresDatabase((url) => fn({ DATABASE_URL: url })));
  for (const [backend, result] of [
    ['SQLite', sqliteKeepUp],
    ['PostgreSQL', pgKeepUp],
  ] as const) {
    if (typeof result === 'string') notes.push(`keep-up ${backend} ${result}`);
    else keepUp.push(result);
  }
  const soakResult = soak ? await soakRun(dir) : null;

  const fmt = (n: number, d = 0) => n.toFixed(d);
  // server CPU: what the process under test used per request, all threads; the load generator shares the cores.
  // event loop: % of the time the server's main thread ran / waited for a CPU; load gen: the load generator's CPU.
  console.log(
    '\n| scenario | req/s | p50 ms | p99 ms | max ms | errors | non-2xx | peak RSS MB | server CPU us/req | event loop % on CPU / waiting | load gen CPU us/req | baseline req/s | vs baseline |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const base = r.baselineRps === undefined ? '' : fmt(r.baselineRps);
    console.log(
      `| ${r.scenario} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${r.non2xx} | ${fmt(r.peakRssMb)} | ${fmt(r.serverCpuUs)} | ${fmt(r.eventLoopPct.running)} / ${fmt(r.eventLoopPct.waiting)} | ${fmt(r.loadCpuUs ?? 0)} | ${base} | ${fmt(r.ratio * 100)}% |`,
    );
  }
  if (keepUp.length > 0) {
    // Targets: ingest with a destination >= 80% of the peak; deliveries drain at >= 50% of it.
    console.log(
      '\n| delivery keeps up (one destination, local receiver) | events | peak ingest req/s | ingest with delivery req/s | vs peak | delivered | drain s | drain /s | drain vs peak | failed requests |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const k of keepUp) {
      const delivered = k.finished ? `${k.delivered}` : `${k.delivered} (unfinished)`;
      console.log(
        `| ${k.backend} | ${k.events} | ${fmt(k.peakRps)} | ${fmt(k.ingestRps)} | ${fmt(k.ingestRatio * 100)}% | ${delivered} | ${fmt(k.drainSeconds, 1)} | ${fmt(k.drainRps)} | ${fmt(k.drainRatio * 100)}% | ${k.failedRequests} |`,
      );
    }
  }
  console.log(
    `\nverification of a 2 KB Stripe event: ours ${fmt(verify.oursNs)} ns/op, stripe.webhooks.constructEvent ${fmt(verify.stripeNs)} ns/op (${fmt(verify.speedup, 2)}x faster)`,
  );
  const sig = verify.signatureOnly;
  console.log(
    `signature check alone: ours ${fmt(sig.oursNs)} ns/op, stripe.webhooks.signature.verifyHeader ${fmt(sig.stripeNs)} ns/op (${fmt(sig.speedup, 2)}x faster)`,
  );
  const deliveryLine = (store: string, d: typeof deliveries) =>
    `worker deliveries to a local receiver, ${store}: ${d.deliveries} (${d.events} events x 2 destinations) in ${fmt(d.seconds, 2)} s = ${fmt(d.perSecond)} deliveries/s in total, ${fmt(d.perDestination.a!)} + ${fmt(d.perDestination.b!)} per destination (one worker, concurrency 64, keep-alive)`;
  console.log(deliveryLine('SQLite', deliveries));
  if (typeof pgDeliveries !== 'string') console.log(deliveryLine('PostgreSQL', pgDeliveries));
  if (soakResult)
    console.log(
      `soak (60 s SQLite ingest at ${fmt(soakResult.rps)} req/s): RSS first 10 s ${fmt(soakResult.firstMb)} MB, last 10 s ${fmt(soakResult.lastMb)} MB, peak ${fmt(soakResult.peakMb)} MB`,
    );
  console.log(
    `disk sync (fdatasync after each 4 KB append): p50 ${fmt(diskSync.p50Ms, 2)} ms, p99 ${fmt(diskSync.p99Ms, 2)} ms = ${fmt(diskSync.syncsPerSecond)} syncs/s`,
  );
  for (const note of notes) console.log(note);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}`);
  console.log(
    JSON.stringify({
      seconds,
      rows,
      verify,
      diskSync,
      deliveries,
      pgDeliveries: typeof pgDeliveries === 'string' ? null : pgDeliveries,
      keepUp,
      soak: soakResult,
      notes,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
