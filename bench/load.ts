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
}

export interface LoadOptions {
  replays?: boolean;
  path?: string;
  connections?: number;
}

export async function runLoad(url: string, seconds: number, options: LoadOptions = {}): Promise<LoadResult> {
  const run = `${process.pid}_${Date.now()}`;
  let previous: { body: string; signature: string } | null = null;
  const result = await autocannon({
    url: `${url}${options.path ?? '/webhooks/provider'}`,
    connections: options.connections ?? 64,
    duration: seconds,
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
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * runLoad in a fresh child process (load-client.ts), so no scenario's load generator carries an earlier one's
 * heap. `onWarm` runs when the warm-up is over and the measured run starts.
 */
export function runLoadInChild(
  url: string,
  run: LoadOptions & { warmupSeconds: number; seconds: number },
  onWarm: () => void = () => {},
): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', JSON.stringify({ url, ...run })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let warm = false;
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!warm && out.startsWith('warm\n')) {
        warm = true;
        onWarm();
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n')[1];
      if (code === 0 && line) resolve(JSON.parse(line) as LoadResult);
      else reject(new Error(`load client exited with ${code}`));
    });
  });
}
