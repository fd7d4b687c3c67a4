/**
 * PostgreSQL connection faults under load: a real inbox on a fresh database, several concurrent senders,
 * server-side connections killed (pg_terminate_backend) and the database closed to new connections for a
 * moment. Every 200 was stored, failures are 503 + Retry-After (never another 5xx), ingest recovers without a
 * restart, and the inbox's LISTEN connection comes back (a delivery created by another process after the kill
 * is delivered promptly although the worker polls only once a minute). max_in_flight is high because
 * leases taken by claims whose result was lost in an outage stay until they expire.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePostgresStore } from '../../src/store/postgres/index.ts';
import { stripe } from '../../src/providers/stripe.ts';
import { newEvent } from '../store-conformance/fixtures.ts';
import { storedKeys } from '../helpers/durability-events.ts';
import { createTestDatabase, terminateConnections, type TestDatabase } from '../helpers/pg.ts';
import { startInbox, startReceiver, STRIPE_SECRET, stripeEvent, waitFor, type Receiver, type TestInbox } from '../worker/support.ts';

let db: TestDatabase;
let receiver: Receiver;
let t: TestInbox;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  t = await startInbox({
    env: { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '4' },
    yaml: `destinations:
  - { name: receiver, url: "${receiver.url}/hook", max_in_flight: 1000 }
worker: { allow_private_destinations: true, poll_interval_ms: 60000 }
`,
  });
});

afterAll(async () => {
  await t?.close();
  await receiver?.close();
  await db?.drop();
});

async function post(body: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const signed = stripe.sign({ body, secret: STRIPE_SECRET, timestamp: Math.floor(Date.now() / 1000) });
  const res = await fetch(`${t.url}/webhooks/stripe`, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

it('answers 200 only for stored events, 503 + Retry-After while connections die, and recovers by itself', async () => {
  const answers: { id: string; body: string; status: number; retryAfter: string | null; text: string }[] = [];
  let sending = true;
  const sender = async () => {
    while (sending) {
      const event = stripeEvent('charge.succeeded');
      const res = await post(event.body);
      answers.push({ id: event.id, body: event.body, status: res.status, retryAfter: res.retryAfter, text: res.body });
    }
  };
  const senders = Array.from({ length: 6 }, sender);

  for (let round = 0; round < 3; round++) {
    await new Promise((r) => setTimeout(r, 300));
    // An outage: no new connections, and every open one killed (also mid-transaction).
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    expect(await terminateConnections(db)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    await terminateConnections(db);
    await db.admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
  }
  // Recovery under the same load, without a restart: requests succeed again.
  const okAfterOutages = answers.filter((a) => a.status === 200).length;
  await waitFor(() => answers.filter((a) => a.status === 200).length >= okAfterOutages + 30, 15_000, '30 more stored events after the outages');
  sending = false;
  await Promise.all(senders);

  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 503);
  expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
  expect(refused.length).toBeGreaterThan(0);
  for (const r of refused) {
    expect(r.retryAfter).toMatch(/^\d+$/);
    expect(JSON.parse(r.text)).toMatchObject({ code: expect.stringMatching(/^(storage_unavailable|overloaded)$/) });
  }

  // Recovered without a restart: the refused events go in now, and every acknowledged one is stored.
  for (const r of refused) expect((await post(r.body)).status).toBe(200);
  const keys = await storedKeys(t.inbox.store);
  for (const a of [...ok, ...refused]) expect(keys.has(a.id)).toBe(true);
  expect(keys.size).toBe(new Set([...ok, ...refused].map((a) => a.id)).size);
});

it('the LISTEN connection reconnects after being killed: a delivery made elsewhere is delivered promptly', async () => {
  const other = await makePostgresStore({ url: db.url, poolSize: 1 });
  try {
    // Let the worker go idle first, so only a wake-up can make it claim again.
    let seen = -1;
    await waitFor(
      async () => {
        const now = receiver.requests.length;
        const stable = now === seen;
        seen = now;
        await new Promise((r) => setTimeout(r, 300));
        return stable;
      },
      10_000,
      'the worker to go idle',
    );
    await terminateConnections(db);
    await new Promise((r) => setTimeout(r, 500)); // LISTEN reconnects with backoff starting at 100 ms
    const before = receiver.requests.length;
    const event = newEvent({ source: 'stripe', receivedAt: Date.now(), destinations: ['receiver'] });
    const started = Date.now();
    await other.insertEvents([event]);
    await waitFor(() => receiver.requests.length > before, 5000, 'delivery woken by NOTIFY');
    expect(Date.now() - started).toBeLessThan(3000); // the worker's own poll is once a minute
  } finally {
    await other.close();
  }
});
