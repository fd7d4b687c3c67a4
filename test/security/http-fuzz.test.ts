/**
 * Seeded HTTP fuzzing against a real server process: random methods, paths, headers, bodies, encodings and
 * chunking over raw sockets. Zero 5xx, zero crashes, memory stable. FUZZ_REQUESTS raises the count
 * (`npm run test:soak`); FUZZ_SEED replays a run.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/child.ts';
import { makeTempDir } from '../helpers/inbox.ts';
import { rawRequest, statusOf } from '../helpers/raw-http.ts';
import { SECRET, signedStripe, stripeEvent } from '../helpers/stripe.ts';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const dir = makeTempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: a tiny seeded PRNG so a failing run can be replayed exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO', 'post'];
const PATHS = [
  '/webhooks/provider',
  '/webhooks/provider/',
  '/events',
  '/events?limit=abc',
  '/events?cursor=%ff',
  '/health',
  '/',
  '/%00',
  '/webhooks/../events',
  '/admin/api/events',
  '/dashboard',
  '/metrics',
  '/webhooks/provider?x=%E0%A4%A',
  '//webhooks//provider',
];
const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
  '\u00ff/\u00fe',
];

function buildRequest(r: ReturnType<typeof prng>): (string | Buffer)[] {
  const method = r.pick(METHODS);
  const path = r.pick(PATHS);
  const kind = r.int(5);
  let body: Buffer =
    kind === 0
      ? Buffer.alloc(0)
      : kind === 1
        ? r.bytes(r.int(2048))
        : kind === 2
          ? Buffer.from(stripeEvent({ created: r.pick([1, 1e30, '1', -1, null]) }))
          : Buffer.from(JSON.stringify({ id: r.bytes(8).toString('latin1'), type: r.int(3), created: r.next() }));
  const headers: string[] = [`Host: 127.0.0.1`, 'Connection: close'];
  const ct = r.pick(CONTENT_TYPES);
  if (ct) headers.push(`Content-Type: ${ct}`);
  const sig = r.int(4);
  if (sig === 0) headers.push(`Stripe-Signature: ${signedStripe(body, SECRET).headers['stripe-signature']}`);
  else if (sig === 1)
    headers.push(
      `Stripe-Signature: ${r
        .bytes(r.int(120))
        .toString('latin1')
        .replace(/[\r\n]/g, '')}`,
    );
  else if (sig === 2) headers.push(`Stripe-Signature: t=${r.int(2e9)},v1=${r.bytes(32).toString('hex')},v1=${r.pick(['', 'é', 'zz'])}`);
  for (let i = r.int(4); i > 0; i--)
    headers.push(
      `X-${r.int(1000)}: ${r
        .bytes(r.int(40))
        .toString('latin1')
        .replace(/[\r\n]/g, '')}`,
    );
  if (r.int(6) === 0) headers.push('Authorization: Bearer nope');
  const chunked = r.int(3) === 0;
  if (chunked) {
    headers.push('Transfer-Encoding: chunked');
    const parts: Buffer[] = [];
    for (let off = 0; off < body.length; ) {
      const size = 1 + r.int(300);
      const piece = body.subarray(off, off + size);
      parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      off += size;
    }
    parts.push(Buffer.from(r.int(8) === 0 ? 'zz\r\n' : '0\r\n\r\n'));
    body = Buffer.concat(parts);
  } else {
    headers.push(`Content-Length: ${r.int(10) === 0 ? r.pick(['-1', 'abc', '99999999999']) : body.length}`);
  }
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
  const all = Buffer.concat([head, body]);
  // Split the bytes into random chunks to exercise the parser's buffering.
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; ) {
    const size = 1 + r.int(all.length);
    chunks.push(all.subarray(off, off + size));
    off += size;
  }
  return chunks;
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

it(`survives ${REQUESTS} seeded random requests with zero 5xx (seed ${SEED})`, async () => {
  // A body limit the random bodies (up to 2 KB) cross now and then, in both framings, on the one front door.
  const server = await startServerProcess({ STRIPE_WEBHOOK_SECRET: SECRET, DATABASE_PATH: join(dir, 'app.db'), MAX_BODY_BYTES: '1024' });
  const r = prng(SEED);
  const statuses = new Map<number, number>();
  const fiveXx: string[] = [];
  let rssAfterWarmup = 0;
  try {
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        const n = sent++;
        if (n === Math.floor(REQUESTS / 4)) rssAfterWarmup = rssKb(server.child.pid!);
        const chunks = buildRequest(r);
        const response = await rawRequest(server.url, chunks, { timeoutMs: 2000 });
        const status = statusOf(response);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) fiveXx.push(`#${n}: ${response.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const fresh = signedStripe(stripeEvent());
    expect((await fetch(`${server.url}/webhooks/provider`, { method: 'POST', headers: fresh.headers, body: new Uint8Array(fresh.body) })).status).toBe(200);
    const rssEnd = rssKb(server.child.pid!);
    console.log(
      `http fuzz: seed=${SEED} requests=${REQUESTS} statuses=${JSON.stringify(Object.fromEntries(statuses))} rss_after_warmup=${rssAfterWarmup}kB rss_end=${rssEnd}kB`,
    );
    expect(fiveXx).toEqual([]);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expect(server.child.exitCode).toBeNull();
    expect(rssEnd - rssAfterWarmup).toBeLessThan(40_000);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}, 120_000);
