/**
 * Load with autocannon: 64 connections, fresh signed 2 KB Stripe events (unique ids, current timestamps),
 * optionally half of them replays of an earlier event.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripe } from '../src/providers/stripe.ts';

export const SECRET = 'whsec_bench_secret_5c2e9a';
const PAD = 'x'.repeat(1700);
let counter = 0;

/** A ~2 KB Stripe event body. */
export function eventBody(id: string, created: number): string {
  return `{"id":"${id}","object":"event","type":"payment_intent.succeeded","created":${created},"livemode":false,"data":{"object":{"id":"pi_${id.slice(4)}","object":"payment_intent","amount":2000,"currency":"usd","status":"succeeded","description":"${PAD}"}}}`;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  /** CPU the load generator itself used per request (us), user + system: it shares the machine's cores. */
  loadCpuUs?: number;
  /** The load's length: the duration asked for, or the time measured when a fixed `amount` was sent. */
  seconds?: number;
  /** When the first window's load began (ms since the epoch, sub-ms precision), to compare with other processes' clocks. */
  startedAtMs?: number;
}

export interface LoadOptions {
  replays?: boolean;
  path?: string;
  connections?: number;
  /** Send exactly this many requests, as fast as the connections allow, instead of loading for a duration. */
  amount?: number;
}

/** The epoch in ms with sub-ms precision, comparable across processes on one machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** One autocannon run; every response's latency (ms) is also pushed to `latencies` when given. */
export async function runLoad(url: string, seconds: number, options: LoadOptions = {}, latencies?: number[]): Promise<LoadResult> {
  const run = `${process.pid}_${Date.now()}`;
  let previous: { body: string; signature: string } | null = null;
  const startedAtMs = epochMs();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}${options.path ?? '/webhooks/provider'}`,
        connections: options.connections ?? 64,
        ...(options.amount ? { amount: options.amount } : { duration: seconds }),
        requests: [
          {
            method: 'POST',
            setupRequest: (request: autocannon.Request) => {
              let signed: { body: string; signature: string };
              if (options.replays && previous) {
                signed = previous;
                previous = null;
              } else {
                const now = Math.floor(Date.now() / 1000);
                const body = eventBody(`evt_${run}_${counter++}`, now);
                signed = { body, signature: stripe.sign({ body, secret: SECRET, timestamp: now }).headers['stripe-signature']! };
                previous = signed;
              }
              return { ...request, method: 'POST', body: signed.body, headers: { 'content-type': 'application/json', 'stripe-signature': signed.signature } };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    if (latencies) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  });
  const measured = (epochMs() - startedAtMs) / 1000;
  return {
    requests: result.requests.total,
    // autocannon's average is over whole seconds sampled; a fixed amount ends mid-second, so divide by the time taken.
    rps: options.amount ? result.requests.total / measured : result.requests.average,
    seconds: options.amount ? measured : seconds,
    startedAtMs,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Which servers to load in turns, and for how long. */
export interface TurnsPlan extends LoadOptions {
  urls: string[];
  warmupSeconds: number;
  windows: number;
  windowSeconds: number;
}

/**
 * One window of load on one target. `prepare` runs first, outside the window's timing (wrk signs its requests
 * there); `run` pushes each response's latency (ms) to `latencies` and says how much CPU the load generator used.
 */
export interface WindowLoad {
  prepare?(seconds: number): void;
  run(url: string, seconds: number, options: LoadOptions, latencies: number[]): Promise<LoadResult & { cpuUs: number }>;
}

/** A window of autocannon, run in this process: its CPU is this process's. */
const autocannonWindow: WindowLoad = {
  async run(url, seconds, options, latencies) {
    const cpu = process.cpuUsage();
    const result = await runLoad(url, seconds, options, latencies);
    const used = process.cpuUsage(cpu);
    return { ...result, cpuUs: used.user + used.system };
  },
};

/**
 * Several targets measured in turns: after a warm-up of each, `windows` rounds in which each target gets
 * `windowSeconds` of load in turn. Totals and latency percentiles are over all of a target's windows. On these
 * shared machines the speed drifts by tens of percent within a minute; taking turns exposes the baseline and the
 * server under test to the same drift, where two consecutive 10 s runs did not. `load` is autocannon unless given
 * (bench/wrk.ts passes wrk).
 */
export async function runTurns(
  plan: TurnsPlan,
  onWindow: (target: number, edge: 'start' | 'end') => void = () => {},
  load = autocannonWindow,
): Promise<LoadResult[]> {
  const { urls, warmupSeconds, windows, windowSeconds, ...options } = plan;
  if (warmupSeconds > 0)
    for (const url of urls) {
      load.prepare?.(warmupSeconds);
      await load.run(url, warmupSeconds, options, []);
    }
  const totals = urls.map(() => ({ requests: 0, errors: 0, non2xx: 0, cpuUs: 0, seconds: 0, startedAtMs: 0, latencies: [] as number[] }));
  for (let w = 0; w < windows; w++) {
    for (const [i, url] of urls.entries()) {
      const total = totals[i]!;
      load.prepare?.(windowSeconds);
      onWindow(i, 'start');
      const r = await load.run(url, windowSeconds, options, total.latencies);
      onWindow(i, 'end');
      if (w === 0) total.startedAtMs = r.startedAtMs ?? 0;
      total.cpuUs += r.cpuUs;
      total.seconds += r.seconds ?? windowSeconds;
      total.requests += r.requests;
      total.errors += r.errors;
      total.non2xx += r.non2xx;
    }
  }
  return totals.map((t) => {
    const sorted = Float64Array.from(t.latencies).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      requests: t.requests,
      rps: t.requests / t.seconds,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? 0,
      errors: t.errors,
      non2xx: t.non2xx,
      loadCpuUs: t.cpuUs / Math.max(t.requests, 1),
      seconds: t.seconds,
      startedAtMs: t.startedAtMs,
    };
  });
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * runTurns in a fresh child process (load-client.ts), so no scenario's load generator carries an earlier one's
 * heap. `onWindow` runs as each window starts and ends (the parent reads the servers' CPU there).
 */
export function runTurnsInChild(plan: TurnsPlan, onWindow: (target: number, edge: 'start' | 'end') => void = () => {}): Promise<LoadResult[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', JSON.stringify(plan)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending = '';
  let results: LoadResult[] | null = null;
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const edge = /^(start|end) (\d+)$/.exec(line);
        if (edge) onWindow(Number(edge[2]), edge[1] as 'start' | 'end');
        else results = JSON.parse(line) as LoadResult[];
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && results ? resolve(results) : reject(new Error(`load client exited with ${code}`))));
  });
}
