/**
 * `node --import tsx bench/pg-round-trips.ts [events]`: the PostgreSQL keep-up scenario (bench/keep-up.ts, step 2:
 * one destination on a local receiver) once, counting what the delivery path costs: every statement `filab serve`
 * sent (one round trip each; bench/pg-statement-counter.mjs), the transactions its database committed
 * (pg_stat_database), and CPU per thread of the filab process and per PostgreSQL process, all per delivered event.
 * Run it under the bench lock. Prints a table to stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runTurnsInChild, SECRET } from './load.ts';
import { withPostgresDatabase } from './pg-database.ts';
import { FILAB, startChild } from './processes.ts';

const events = Number(process.argv[2] ?? 10_000);
// `none`: no destination, for the ingest path's share of the same counts.
const withDestination = process.argv[3] !== 'none';
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU ms of one thread or process from its stat file, and its name. */
function statCpu(file: string): { name: string; ms: number } | null {
  try {
    const stat = readFileSync(file, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks };
  } catch {
    return null;
  }
}

/** CPU ms per thread name of a process (threads of one name summed). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const s = statCpu(`/proc/${pid}/task/${tid}/stat`);
    const name = Number(tid) === pid ? 'main (event loop)' : s?.name;
    if (s && name) out.set(name, (out.get(name) ?? 0) + s.ms);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'filab-pg-trips-'));
const countFile = join(dir, 'counts.json');
try {
  const result = await withPostgresDatabase(async (url) => {
    const dbName = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // PG_EXPLAIN_MS=n: the server logs the plan of every statement of this database slower than n ms (auto_explain).
    if (process.env.PG_EXPLAIN_MS) {
      await admin.query(`ALTER DATABASE ${dbName} SET session_preload_libraries = 'auto_explain'`);
      await admin.query(`ALTER DATABASE ${dbName} SET auto_explain.log_min_duration = ${Number(process.env.PG_EXPLAIN_MS)}`);
      await admin.query(`ALTER DATABASE ${dbName} SET auto_explain.log_analyze = off`);
    }
    const receiver = await startChild(['--import', 'tsx', 'bench/receiver-server.ts'], {}, '/count');
    const config = join(dir, 'trips.yaml');
    writeFileSync(
      config,
      `sources:\n  - { name: stripe, provider: stripe, secrets: ["${SECRET}"], path: /webhooks/provider }\n${withDestination ? `destinations:\n  - { name: receiver, url: "${receiver.url}/hook" }\n` : ''}worker:\n  allow_private_destinations: true\n`,
    );
    const server = await startChild(['--import', './bench/pg-statement-counter.mjs', ...FILAB, 'serve'], {
      DATABASE_URL: url,
      FILAB_CONFIG: config,
      FILAB_PG_COUNT_FILE: countFile,
    });
    const pid = server.process.pid!;
    // PostgreSQL processes: this database's backends, and the shared background ones (other users' work too).
    const pgProcs = new Map<number, { label: string; first: number; last: number }>();
    const samplePg = async () => {
      const { rows } = await admin.query<{ pid: number; label: string }>(
        `SELECT pid, CASE WHEN datname = $1 THEN coalesce(nullif(application_name, ''), backend_type) ELSE backend_type END AS label
         FROM pg_stat_activity WHERE (datname = $1 AND pid <> pg_backend_pid()) OR backend_type <> 'client backend'`,
        [dbName],
      );
      for (const r of rows) {
        const s = statCpu(`/proc/${r.pid}/stat`);
        if (!s) continue;
        const seen = pgProcs.get(r.pid);
        if (seen) seen.last = s.ms;
        else pgProcs.set(r.pid, { label: r.label, first: s.ms, last: s.ms });
      }
    };
    const xacts = async () =>
      (await admin.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [dbName])).rows[0]!.n;
    process.kill(pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const countsBefore = JSON.parse(readFileSync(countFile, 'utf8')) as Record<string, number>;
    const xactBefore = Number(await xacts());
    const threadsBefore = threadCpu(pid);
    await samplePg();
    const sampler = setInterval(() => void samplePg().catch(() => {}), 500);
    const started = Date.now();
    const [load] = await runTurnsInChild({ urls: [server.url], warmupSeconds: 0, windows: 1, windowSeconds: 0, amount: events, connections: 64 });
    let counts = { distinct: withDestination ? 0 : events, lastMs: Date.now() };
    for (const deadline = Date.now() + 120_000; counts.distinct < events && Date.now() < deadline; ) {
      counts = (await (await fetch(`${receiver.url}/count`)).json()) as typeof counts;
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(sampler);
    await samplePg();
    const threadsAfter = threadCpu(pid);
    const xactAfter = Number(await xacts());
    process.kill(pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    const countsAfter = JSON.parse(readFileSync(countFile, 'utf8')) as Record<string, number>;
    await server.stop();
    await receiver.stop();
    await admin.end();
    const delivered = counts.distinct;
    const per = (n: number) => (n / delivered).toFixed(3);
    const lines: string[] = [];
    lines.push(
      `events ${events}, ingest ${load!.rps.toFixed(0)} req/s, delivered ${delivered} in ${((counts.lastMs - load!.startedAtMs!) / 1000).toFixed(1)} s (wall ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    lines.push(`transactions committed in the database: ${xactAfter - xactBefore} (${per(xactAfter - xactBefore)} per delivered event)`);
    let total = 0;
    const rows = Object.entries(countsAfter)
      .map(([k, v]) => [k, v - (countsBefore[k] ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    for (const [, v] of rows) total += v;
    lines.push(`statements (round trips): ${total} (${per(total)} per delivered event)`);
    for (const [k, v] of rows) lines.push(`  ${String(v).padStart(8)}  ${per(v).padStart(7)}/event  ${k}`);
    lines.push('filab CPU per thread, us per delivered event:');
    for (const [name, ms] of threadsAfter) {
      const used = ms - (threadsBefore.get(name) ?? 0);
      if (used > 0) lines.push(`  ${name.padEnd(16)} ${((used * 1000) / delivered).toFixed(0).padStart(6)}`);
    }
    const byLabel = new Map<string, number>();
    for (const p of pgProcs.values()) byLabel.set(p.label, (byLabel.get(p.label) ?? 0) + p.last - p.first);
    lines.push(
      `PostgreSQL processes of this database: ${[...pgProcs]
        .filter(([, p]) => p.label === 'filab')
        .map(([pid]) => pid)
        .join(',')}`,
    );
    lines.push('PostgreSQL CPU per process kind, us per delivered event (background processes are shared with other users):');
    for (const [label, ms] of [...byLabel].sort((a, b) => b[1] - a[1])) {
      if (ms > 0) lines.push(`  ${label.padEnd(24)} ${((ms * 1000) / delivered).toFixed(0).padStart(6)}`);
    }
    return lines.join('\n');
  });
  process.stdout.write(`${result}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
