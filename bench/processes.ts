/** Servers under test run as child processes, so the load generator never shares their event loop. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  process: ChildProcess;
  url: string;
  /** Peak resident set size so far (VmHWM), MB. */
  peakRssMb(): number;
  rssMb(): number;
  /** CPU time the process has used so far, all its threads, user + system, ms. */
  cpuMs(): number;
  /** Its event-loop (main) thread so far: ms on a CPU, and ms runnable but waiting for one (scheduler run queue). */
  eventLoopMs(): { running: number; waiting: number };
  stop(): Promise<void>;
}

// /proc/<pid>/stat counts CPU time in clock ticks: 100 a second on Linux unless the kernel says otherwise.
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return 0;
  }
}

/**
 * CPU used so far by this process's children that have exited and been waited for (cutime + cstime), ms: read
 * before and after a load generator's run, the difference is what that run used.
 */
export function exitedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks();
}

/** `/proc/<pid>/task/<pid>/schedstat`: time on a CPU, time waiting in the run queue (ns), time slices. */
function eventLoopSchedMs(pid: number): { running: number; waiting: number } {
  try {
    const [running, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { running: running! / 1e6, waiting: waiting! / 1e6 };
  } catch {
    return { running: 0, waiting: 0 };
  }
}

function procStatus(pid: number, field: string): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Start a process that serves HTTP on PORT and wait until it answers. */
export async function startChild(args: string[], env: Record<string, string>, readyPath = '/health'): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${stderr}`);
    try {
      if ((await fetch(`${url}${readyPath}`)).status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    url,
    peakRssMb: () => procStatus(child.pid!, 'VmHWM'),
    rssMb: () => procStatus(child.pid!, 'VmRSS'),
    cpuMs: () => procCpuMs(child.pid!),
    eventLoopMs: () => eventLoopSchedMs(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// As `npm start` runs it: an 8 MB young generation semi-space (V8's default grows to 16 MB under load) keeps
// RSS about 20 MB lower at no measured cost in throughput (bench/RESULTS.md).
export const FILAB = ['--max-semi-space-size=8', 'bin/filab.js'];
export const BASELINE = ['--import', 'tsx', 'bench/baseline-server.ts'];
