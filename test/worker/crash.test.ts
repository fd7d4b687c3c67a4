/**
 * Crash and shutdown with real processes: SIGKILL mid-delivery loses nothing (the lease expires and the
 * restarted worker delivers again with the same webhook-id); SIGTERM finishes what it can and releases the rest.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import { startFilab, listeningUrl, type Child } from './process.ts';
import { STRIPE_SOURCE_YAML, sendEvent, startReceiver, tempDir, waitFor, type Receiver } from './support.ts';

let receiver: Receiver | undefined;
let children: Child[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  receiver = dir = undefined;
  children = [];
});

function setup(receiverUrl: string, worker: string, timeoutMs = 30_000): string {
  dir = tempDir();
  writeFileSync(
    join(dir, 'filab.yaml'),
    `${STRIPE_SOURCE_YAML}destinations:
  - { name: app, url: "${receiverUrl}/hook", timeout_ms: ${timeoutMs} }
worker: { allow_private_destinations: true, poll_interval_ms: 100, ${worker} }
`,
  );
  return dir;
}

function serve(cwd: string): Child {
  const child = startFilab(['serve'], { cwd, env: { PORT: '0', DATABASE_PATH: join(cwd, 'app.db') } });
  children.push(child);
  return child;
}

const n = (r: { json: Record<string, unknown> }) => (r.json.data as { object: { n: number } }).object.n;

describe('crash safety', () => {
  it('SIGKILL mid-delivery: after restart every event is delivered, the repeated attempt with the same webhook-id', async () => {
    let held = false;
    receiver = await startReceiver((r) => {
      if (n(r) === 3 && !held) {
        held = true;
        return new Promise(() => {}); // never answers: the worker dies while waiting
      }
      return { status: 200 };
    });
    // The lease outlives the destination's timeout (1 s) by a second, so the restarted worker waits ~2 s.
    const cwd = setup(receiver.url, 'lease_ms: 1000', 1000);
    const first = serve(cwd);
    const url = await listeningUrl(first);
    for (let i = 0; i < 8; i++) await sendEvent(url, 'charge.succeeded', { data: { object: { n: i } } });
    await waitFor(() => held, 10_000, 'the held delivery');
    first.process.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const second = serve(cwd);
    await listeningUrl(second);
    const delivered = () => new Set(receiver!.requests.map(n)).size === 8 && receiver!.requests.filter((r) => n(r) === 3).length === 2;
    await waitFor(delivered, 15_000, 'all eight delivered after restart');
    const attemptsOf3 = receiver.requests.filter((r) => n(r) === 3);
    expect(attemptsOf3[0]!.headers['webhook-id']).toMatch(/^msg_/);
    expect(attemptsOf3[1]!.headers['webhook-id']).toBe(attemptsOf3[0]!.headers['webhook-id']);

    // The receiver seeing all eight is not enough: an attempt the killed worker got a 200 for but never recorded
    // is redelivered once its lease expires. Wait until the store has every event delivered, then stop.
    const store = makeSqliteStore(join(cwd, 'app.db'));
    try {
      await waitFor(async () => (await store.stats()).events.delivered === 8, 15_000, 'all eight recorded as delivered');
      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect((await store.stats()).events).toEqual({ received: 0, delivered: 8, failed: 0, dead: 0 });
      // The killed attempt was never recorded: the one that counts is the restarted worker's first.
      const [held3] = (await store.listDeliveries({ limit: 10 })).items.filter((d) => d.attemptCount !== 1);
      expect(held3).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('SIGTERM: stops claiming, lets a short attempt finish, aborts the rest after the grace period and releases its lease', async () => {
    receiver = await startReceiver(async (r) => {
      if (n(r) === 0) return new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 400));
      return new Promise(() => {});
    });
    const cwd = setup(receiver.url, 'shutdown_grace_ms: 1500');
    const child = serve(cwd);
    const url = await listeningUrl(child);
    await sendEvent(url, 'charge.succeeded', { data: { object: { n: 0 } } });
    await sendEvent(url, 'charge.succeeded', { data: { object: { n: 1 } } });
    await waitFor(() => receiver!.requests.length === 2, 10_000, 'both attempts in flight');
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toMatch(/aborting unfinished attempts and releasing their leases/);

    const store = makeSqliteStore(join(cwd, 'app.db'));
    try {
      expect((await store.stats()).deliveries).toEqual({ pending: 1, failed: 0, delivered: 1, dead: 0 });
      // The default lease is 60 s: claimable right now only because shutdown released it.
      const claimed = await store.claimDeliveries({
        now: Date.now(),
        workerId: 'test',
        leaseMs: 1000,
        limit: 10,
        destinations: [{ name: 'app', maxInFlight: 10 }],
      });
      expect(claimed).toHaveLength(1);
      expect(JSON.parse(claimed[0]!.payload.toString()).data.object.n).toBe(1);
      expect(claimed[0]!.attemptNumber).toBe(1);
    } finally {
      await store.close();
    }
  });
});
