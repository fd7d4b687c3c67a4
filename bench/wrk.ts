/**
 * wrk (a C load generator) as a window load for runTurns: a second opinion on the autocannon rows from a client
 * that spends far less CPU per request on the cores it shares with the server. Every request is still a freshly
 * signed 2 KB Stripe event with a unique id: wrk's Lua has no HMAC, so each window's requests are signed here just
 * before it (outside its timing) and bench/wrk-requests.lua sends them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripe } from '../src/providers/stripe.ts';
import { eventBody, SECRET, type LoadResult, type WindowLoad } from './load.ts';
import { exitedChildrenCpuMs } from './processes.ts';

const SCRIPT = fileURLToPath(new URL('wrk-requests.lua', import.meta.url));
const THREADS = 2;
// What a window must never run out of: more than the baseline answers in it (8-25k/s under wrk here).
const AT_LEAST = 40_000;
const PER_SECOND = 40_000;

export const hasWrk = () => !spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error;

/** wrk on the PATH, installed with apt when missing (the bench runs as root). Null when ready, else why not. */
export function ensureWrk(): string | null {
  if (hasWrk()) return null;
  process.stderr.write('bench: wrk is missing, installing it with apt-get\n');
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { stdio: 'ignore', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  // A fresh container has no package lists: update only when the install fails for lack of them.
  if (!apt('install', '-y', 'wrk') && apt('update')) apt('install', '-y', 'wrk');
  return hasWrk() ? null : 'skipped: wrk is not installed and `apt-get install -y wrk` failed';
}

// The body template wrk-requests.lua fills: \1 where the id goes (after `evt_` and `pi_`), \2 for the timestamp.
const CREATED_MARK = 9_999_999_999_999;
const TEMPLATE = eventBody('evt_\u0001', CREATED_MARK).replace(String(CREATED_MARK), '\u0002');

/**
 * `count` events signed now, ids `evt_<tag>_<n>`, dealt round-robin into one file per wrk thread
 * (`<prefix>.0`, `<prefix>.1`, ...) as wrk-requests.lua reads them.
 */
export function writeSignedRequests(prefix: string, count: number, tag: string): void {
  const now = Math.floor(Date.now() / 1000);
  const files = Array.from({ length: THREADS }, () => [TEMPLATE]);
  for (let n = 0; n < count; n++) {
    const id = `${tag}_${n}`;
    const body = eventBody(`evt_${id}`, now);
    if (n === 0 && TEMPLATE.replaceAll('\u0001', id).replace('\u0002', String(now)) !== body) throw new Error('wrk body template drifted from eventBody');
    files[n % THREADS]!.push(`${id}\t${now}\t${stripe.sign({ body, secret: SECRET, timestamp: now }).headers['stripe-signature']}`);
  }
  for (const [i, lines] of files.entries()) writeFileSync(`${prefix}.${i}`, `${lines.join('\n')}\n`);
}

interface WrkOutput {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  status: number;
  repeated: number;
  /** [percent, latency us], ascending, the last one 100 (the maximum). */
  quantiles: [number, number][];
}

function runWrk(args: string[]): Promise<WrkOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('WRK_RESULT '.length)) as WrkOutput);
      else reject(new Error(`wrk exited with ${code}: ${out.slice(-500)}`));
    });
  });
}

/**
 * A WindowLoad running wrk with `-t 2` and the plan's connections, its request files in `dir`. `repeated` counts
 * requests sent after a thread's share of a window's file ran out (they are replays, no longer unique).
 */
export function makeWrkLoad(dir: string): WindowLoad & { repeated: number } {
  let windows = 0;
  let file = '';
  const load = {
    repeated: 0,
    prepare(seconds: number) {
      file = join(dir, `wrk-requests-${windows}`);
      writeSignedRequests(file, Math.max(AT_LEAST, Math.ceil(seconds * PER_SECOND)), `wrk_${process.pid}_${Date.now()}_${windows}`);
    },
    async run(
      url: string,
      seconds: number,
      options: { path?: string; connections?: number; replays?: boolean },
      latencies: number[],
    ): Promise<LoadResult & { cpuUs: number }> {
      if (options.replays) throw new Error('the wrk load sends unique events only');
      const whole = Math.max(1, Math.round(seconds));
      const cpuBefore = exitedChildrenCpuMs();
      const out = await runWrk([
        '-t',
        String(THREADS),
        '-c',
        String(options.connections ?? 64),
        '-d',
        `${whole}s`,
        '--timeout',
        '10s',
        '--latency',
        '-s',
        SCRIPT,
        `${url}${options.path ?? '/webhooks/provider'}`,
        '--',
        file,
      ]);
      const cpuUs = (exitedChildrenCpuMs() - cpuBefore) * 1000;
      for (let i = 0; i < THREADS; i++) rmSync(`${file}.${i}`, { force: true });
      windows++;
      load.repeated += out.repeated;
      const at = (percent: number) => (out.quantiles.find(([p]) => p >= percent)?.[1] ?? 0) / 1000;
      // One sample per request, spread over the quantiles, so runTurns merges windows weighted by their requests.
      let pushed = 0;
      for (const [percent, us] of out.quantiles)
        for (const upTo = Math.round((percent / 100) * out.requests); pushed < upTo; pushed++) latencies.push(us / 1000);
      return {
        requests: out.requests,
        rps: out.requests / (out.durationUs / 1e6),
        p50: at(50),
        p99: at(99),
        max: at(100),
        errors: out.connect + out.read + out.write + out.timeout,
        non2xx: out.status,
        seconds: out.durationUs / 1e6,
        cpuUs,
      };
    },
  };
  return load;
}
