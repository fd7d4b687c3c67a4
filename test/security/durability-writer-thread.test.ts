/**
 * The SQLite writer thread dies under load (it exits for real, mid-flight) and is started again: the requests it
 * held answer 503 + Retry-After, nothing answered 200 is lost, /ready answers 503 until the new thread is up,
 * ingest answers 200 again afterwards, and filab_sqlite_writer_restarts_total counts the one restart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WRITER_THREAD_NAME } from '../../src/store/sqlite/writer-spawn.ts';
import { storedKeys } from '../helpers/durability-events.ts';
import { exitThread } from '../helpers/durability-threads.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';
import { sample } from '../metrics/harness.ts';
import { until } from '../metrics/receiver.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET }, worker: false });
});
afterAll(() => t?.close());

const restarts = async () =>
  sample((await t.inbox.server.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).body, 'filab_sqlite_writer_restarts_total');

it('restarts a writer thread that died mid-flight: 503 for its batch, /ready 503 meanwhile, nothing acknowledged lost', async () => {
  expect(await restarts()).toBe(0);
  const answers: { id: string; status: number; retryAfter: string | null; body: unknown }[] = [];
  const readiness: number[] = [];
  let running = true;
  const sender = async (n: number) => {
    for (let i = 0; running; i++) {
      const id = `evt_writer_${n}_${i}`;
      const res = await postStripe(t.url, stripeEvent({ id }));
      answers.push({ id, status: res.status, retryAfter: res.headers.get('retry-after'), body: res.json });
    }
  };
  const watchReady = async () => {
    while (running) {
      readiness.push((await fetch(`${t.url}/ready`)).status);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const load = [...Array.from({ length: 8 }, (_, n) => sender(n)), watchReady()];
  try {
    await until(() => answers.filter((a) => a.status === 200).length >= 100, '100 events stored before the kill');
    await exitThread(WRITER_THREAD_NAME);
    await until(async () => (await restarts()) === 1, 'the restart to be counted');
    const settled = answers.length;
    await until(() => answers.slice(settled).filter((a) => a.status === 200).length >= 50, '50 events stored after the restart');
  } finally {
    running = false;
    await Promise.all(load);
  }

  // The kill fell on requests in flight and on the ones that came while no thread ran: 503 with Retry-After.
  const refused = answers.filter((a) => a.status !== 200);
  expect(refused.length).toBeGreaterThan(0);
  for (const a of refused) {
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('1');
    expect(a.body).toEqual({ detail: 'Storage unavailable, retry later', code: 'storage_unavailable' });
  }
  // Ready, then not ready while the thread was down, then ready again.
  const firstDown = readiness.indexOf(503);
  expect(firstDown).toBeGreaterThan(0);
  expect(readiness.slice(firstDown).includes(200)).toBe(true);
  expect(readiness.at(-1)).toBe(200);

  const stored = await storedKeys(t.inbox.store);
  expect(answers.filter((a) => a.status === 200 && !stored.has(a.id))).toEqual([]);
  expect(await restarts()).toBe(1);
  expect(t.logs.some((line) => line.includes('SQLite writer thread died'))).toBe(true);
  expect(t.logs.some((line) => line.includes('SQLite writer thread started again'))).toBe(true);

  // A refused event sent again is stored (or was already: a batch the thread committed just before it died is
  // answered 503 all the same, and the provider's retry is a replay); the process is healthy.
  expect((await postStripe(t.url, stripeEvent({ id: refused[0]!.id }))).json).toMatchObject({ status: 'received' });
  expect((await storedKeys(t.inbox.store)).has(refused[0]!.id)).toBe(true);
  expect((await fetch(`${t.url}/health`)).status).toBe(200);
  expect(await (await fetch(`${t.url}/ready`)).json()).toEqual({ status: 'ready', store: 'sqlite' });
});
