/**
 * `node --import tsx bench/thread-cpu.ts [seconds] [--profile DIR]`: SQLite durable ingest (or PostgreSQL with
 * DATABASE_URL set) under 64 connections, and the CPU each thread of the server used per request (from
 * /proc/<pid>/task/<tid>/stat, user + system). The main thread is the event loop; with SQLite the busiest other
 * thread is the writer. `--profile DIR` also writes a V8 CPU profile per thread (node --cpu-prof) into DIR.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTurnsInChild, SECRET } from './load.ts';
import { startChild } from './processes.ts';

const seconds = Number(process.argv[2] ?? 10) || 10;
const profileAt = process.argv.indexOf('--profile');
const profileFlags = profileAt > 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[profileAt + 1]}`] : [];
const dir = mkdtempSync(join(tmpdir(), 'filab-thread-cpu-'));
const database: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { DATABASE_PATH: join(dir, 'ingest.db') };
const child = await startChild(['--max-semi-space-size=8', ...profileFlags, 'bin/filab.js', 'serve'], { STRIPE_WEBHOOK_SECRET: SECRET, ...database });

/** CPU ms per thread id, user + system (clock ticks of 10 ms). */
function threadCpuMs(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 });
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

try {
  const pid = child.process.pid!;
  const before = threadCpuMs(pid);
  const [result] = await runTurnsInChild({ urls: [child.url], warmupSeconds: 0, windows: 1, windowSeconds: seconds });
  const after = threadCpuMs(pid);
  const requests = result!.rps * seconds;
  process.stdout.write(`${result!.rps.toFixed(0)} req/s, p50 ${result!.p50.toFixed(1)} ms, p99 ${result!.p99.toFixed(1)} ms\n`);
  const rows = [...after]
    .map(([tid, t]) => {
      const b = before.get(tid) ?? { user: 0, system: 0 };
      return { tid, user: ((t.user - b.user) * 1000) / requests, system: ((t.system - b.system) * 1000) / requests };
    })
    .filter((r) => r.user + r.system >= 1)
    .sort((a, b) => b.user + b.system - (a.user + a.system));
  for (const r of rows)
    process.stdout.write(
      `${r.tid === String(pid) ? 'main  ' : 'thread'} ${r.tid}: ${(r.user + r.system).toFixed(1)} us/req (user ${r.user.toFixed(1)}, system ${r.system.toFixed(1)})\n`,
    );
} finally {
  await child.stop();
  rmSync(dir, { recursive: true, force: true });
}
