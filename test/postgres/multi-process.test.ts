/**
 * Scale-out on one PostgreSQL: 2 ingest processes (`serve --no-worker`) and 2 workers (`worker`) as real child
 * processes. 1,000 distinct signed Stripe events, each sent 3 times at once across both ingest processes, are
 * stored exactly once and all answered 200; every event reaches the receiver; a worker killed with SIGKILL
 * mid-run loses nothing (its leases expire and the other worker delivers). Throughout, the receiver checks
 * what must hold across processes: never more than max_in_flight requests at once from both workers together
 * (their concurrency adds up to 4x that), and one customer's events (the ordering key) one at a time, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stripe } from '../../src/providers/stripe.ts';
import { FILAB_BIN, startServerProcess, type ServerProcess } from '../helpers/child.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { startReceiver, STRIPE_SECRET, STRIPE_SOURCE_YAML, stripeEvent, waitFor, type Receiver } from '../worker/support.ts';

interface Proc {
  child: ChildProcess;
  exited: Promise<unknown>;
}

let db: TestDatabase;
let dir: string;
let receiver: Receiver;
let direct: pg.Client;
const MAX_IN_FLIGHT = 8;
const CUSTOMERS = 2;
/** Requests the receiver is answering right now, in all and per customer, and the most seen at once. */
const inFlight = { now: 0, max: 0, perCustomer: new Map<string, number>(), customerOverlaps: 0 };
/** Provider event ids in the order the receiver first got them. */
const firstArrivals: string[] = [];
const ingest: ServerProcess[] = [];
const workers: Proc[] = [];

/** Start `filab worker` and wait for its "worker started" log line. */
function startWorker(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, [FILAB_BIN, 'worker'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('worker started')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`worker exited:\n${out}`)));
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'filab-multi-'));
  // A little latency per delivery, so the kill below lands while deliveries are in flight and requests overlap.
  const seen = new Set<string>();
  receiver = await startReceiver(async (request) => {
    const id = request.json.id as string;
    const customer = customerOf(request.json) ?? 'none';
    if (!seen.has(id)) {
      seen.add(id);
      firstArrivals.push(id);
    }
    inFlight.max = Math.max(inFlight.max, ++inFlight.now);
    const mine = (inFlight.perCustomer.get(customer) ?? 0) + 1;
    inFlight.perCustomer.set(customer, mine);
    if (mine > 1 && customer !== 'none') inFlight.customerOverlaps++;
    await new Promise((r) => setTimeout(r, 3));
    inFlight.now--;
    inFlight.perCustomer.set(customer, inFlight.perCustomer.get(customer)! - 1);
    return { status: 200 };
  });
  writeFileSync(
    join(dir, 'filab.yaml'),
    `${STRIPE_SOURCE_YAML}destinations:
  - { name: receiver, url: "${receiver.url}/hook", max_in_flight: ${MAX_IN_FLIGHT}, ordering_key: /data/object/customer }
worker: { allow_private_destinations: true, lease_ms: 2000, poll_interval_ms: 250, concurrency: 16 }
`,
  );
  const env = { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '4' };
  // All four start together: their migrations serialise on the advisory lock. Every one that started is kept
  // (afterAll kills it) also when another failed to start.
  const starts = await Promise.allSettled([
    startServerProcess(env, ['serve', '--no-worker'], dir).then((p) => void ingest.push(p)),
    startServerProcess(env, ['serve', '--no-worker'], dir).then((p) => void ingest.push(p)),
    startWorker(env).then((p) => void workers.push(p)),
    startWorker(env).then((p) => void workers.push(p)),
  ]);
  const failed = starts.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  direct = new pg.Client(db.url);
  await direct.connect();
}, 90_000);

afterAll(async () => {
  for (const p of [...ingest, ...workers]) p.child.kill('SIGKILL');
  await Promise.all([...ingest, ...workers].map((p) => p.exited));
  await direct?.end();
  await receiver?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Send each event 3 times at once, copies spread over both ingest processes; at most `parallel` requests open.
 * Events with an ordering key (a customer) go one after the other, each once all its copies were answered: their
 * order is then the order the inbox promises to keep (one acknowledged before the next arrived). Events that
 * arrive concurrently have no order, and the unkeyed ones keep the load concurrent meanwhile.
 */
async function sendAll(events: { id: string; body: string }[], parallel = 48): Promise<number[]> {
  const statuses: number[] = [];
  const post = async (body: string, url: string) => {
    const signed = stripe.sign({ body, secret: STRIPE_SECRET, timestamp: Math.floor(Date.now() / 1000) });
    const res = await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
    await res.arrayBuffer();
    statuses.push(res.status);
  };
  const copies = (i: number) => [0, 1, 2].map((copy) => ingest[(i + copy) % 2]!.url);
  const keyed = events.map((e, i) => ({ e, i })).filter(({ e }) => customerOf(JSON.parse(e.body) as Record<string, unknown>) !== undefined);
  const jobs = events.flatMap((e, i) => (keyed.some((k) => k.i === i) ? [] : copies(i).map((url) => ({ body: e.body, url }))));
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await post(job.body, job.url);
    }
  };
  const inOrder = async () => {
    for (const { e, i } of keyed) await Promise.all(copies(i).map((url) => post(e.body, url)));
  };
  await Promise.all([inOrder(), ...Array.from({ length: parallel }, lane)]);
  return statuses;
}

/**
 * Among the first 2 x `keyed` events, every other one belongs to one of CUSTOMERS customers (the ordering key):
 * a customer's events are a few apart, so a claim of the oldest due would take several at once without the
 * ordering rule. The chains stay short (each is delivered strictly one after the other). The other events have
 * no customer (no ordering key) and fill max_in_flight.
 */
const customerEvents = (n: number, keyed: number) =>
  Array.from({ length: n }, (_, i) =>
    stripeEvent('charge.succeeded', { data: { object: i % 2 || i >= keyed * 2 ? { id: 'pi_1' } : { id: 'pi_1', customer: `cus_${(i / 2) % CUSTOMERS}` } } }),
  );
const customerOf = (json: Record<string, unknown>) => (json.data as { object?: { customer?: string } } | undefined)?.object?.customer;

const count = async (sql: string) => Number((await direct.query<{ n: string }>(sql)).rows[0]!.n);
/** Distinct events the receiver got, deduped on webhook-id (the receiver's contract: at-least-once). */
const deliveredIds = () => new Set(receiver.requests.map((r) => r.headers['webhook-id'] as string));

it('stores 1,000 events exactly once from 3,000 concurrent requests over 2 ingest processes and delivers each', async () => {
  const events = customerEvents(1000, 100);
  const statuses = await sendAll(events);
  expect(statuses).toHaveLength(3000);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(await count('SELECT count(*) AS n FROM events')).toBe(1000);
  expect(await count('SELECT count(*) AS n FROM deliveries')).toBe(1000);
  await waitFor(() => deliveredIds().size >= 1000, 30_000, '1,000 distinct deliveries');
  expect(deliveredIds().size).toBe(1000);

  // max_in_flight held across both workers, and was reached (so the check could fail).
  expect(inFlight.max).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  expect(inFlight.max).toBeGreaterThan(1);
  // Each customer's events arrived one at a time, in the store's order (deliveries by seq).
  expect(inFlight.customerOverlaps).toBe(0);
  const { rows } = await direct.query<{ payload: Buffer }>('SELECT e.payload FROM deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.seq');
  const stored = rows.map((r) => JSON.parse(r.payload.toString()) as Record<string, unknown>);
  for (let c = 0; c < CUSTOMERS; c++) {
    const customer = `cus_${c}`;
    const expected = stored.filter((e) => customerOf(e) === customer).map((e) => e.id);
    const arrived = firstArrivals.filter((id) => expected.includes(id));
    expect(arrived, customer).toEqual(expected);
  }
}, 90_000);

it('a worker killed with SIGKILL mid-run loses nothing: the other worker delivers every event', async () => {
  const before = receiver.requests.length;
  const events = customerEvents(300, 60);
  const sending = sendAll(events, 24);
  await waitFor(() => receiver.requests.length > before + 30, 15_000, 'the second batch to be under way');
  workers[0]!.child.kill('SIGKILL');
  await workers[0]!.exited;
  expect((await sending).filter((s) => s !== 200)).toEqual([]);
  expect(await count('SELECT count(*) AS n FROM events')).toBe(1300);
  await waitFor(() => deliveredIds().size >= 1300, 30_000, '1,300 distinct deliveries');
  // Every event of the batch arrived (by its Stripe id in the delivered payload), and the store agrees.
  const arrived = new Set(receiver.requests.map((r) => r.json.id));
  expect(events.filter((e) => !arrived.has(e.id))).toEqual([]);
  await waitFor(async () => (await count("SELECT count(*) AS n FROM deliveries WHERE status <> 'delivered'")) === 0, 10_000, 'every delivery recorded');
  // Also with a worker killed mid-delivery (its leases count until they expire).
  expect(inFlight.max).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  expect(inFlight.customerOverlaps).toBe(0);
}, 60_000);
