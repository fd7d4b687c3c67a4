/**
 * /metrics after a scripted scenario with a real worker: the counters must match what was sent, replayed,
 * rejected, and what the local receiver actually got (delivered = its 2xx answers, attempts = its requests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, sample, SECRET, signedStripe, startInbox, stripeToDestinationsYaml, type Started } from './harness.ts';
import { startReceiver, until, type Receiver } from './receiver.ts';

const TOKEN = 'metrics-scenario-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let s: Started;
let receiver: Receiver;

async function scrape(): Promise<string> {
  const res = await fetch(`${s.url}/metrics`, { headers: auth });
  expect(res.status).toBe(200);
  return res.text();
}

async function allSettled(): Promise<boolean> {
  const stats = await s.inbox.store.stats();
  return stats.deliveries.pending === 0 && stats.deliveries.failed === 0;
}

beforeAll(async () => {
  receiver = await startReceiver();
  s = await startInbox({
    env: { ADMIN_TOKEN: TOKEN, STRIPE_SECRET: SECRET },
    yaml: stripeToDestinationsYaml([
      { name: 'ledger', url: receiver.url, retrySchedule: [0, 0] },
      { name: 'audit', url: receiver.url, retrySchedule: [0], eventTypes: ['charge.*'] },
    ]),
  });
});
afterAll(async () => {
  await s?.stop();
  await receiver?.close();
});

describe('metrics after a delivery scenario', () => {
  it('match what was sent, replayed, rejected and delivered', async () => {
    const hook = `${s.url}/webhooks/stripe`;
    receiver.failKeys = new Set(['evt_s_bad']);
    // 4 accepted events: 3 payment_intent (ledger only) + 1 charge (ledger + audit), one of which always fails.
    for (const id of ['evt_s_1', 'evt_s_2', 'evt_s_bad']) expect((await postSigned(hook, signedStripe({ id }))).status).toBe(200);
    expect((await postSigned(hook, signedStripe({ id: 'evt_s_charge', type: 'charge.succeeded' }))).status).toBe(200);
    expect((await postSigned(hook, signedStripe({ id: 'evt_s_1' }))).status).toBe(200); // replay
    expect((await postSigned(hook, signedStripe({ id: 'evt_s_x', secret: 'whsec_someone_else' }))).status).toBe(400);
    expect((await postSigned(hook, signedStripe({ id: 'evt_s_y', timestamp: Math.floor(Date.now() / 1000) - 7200 }))).status).toBe(400);
    await until(allSettled, 'every delivery to settle');

    // What the receiver saw: ledger x4 events (evt_s_bad twice: schedule [0, 0]) + audit x1.
    const received = receiver.count();
    const ok = receiver.count(200);
    expect(received).toBe(6);
    expect(ok).toBe(4);

    let text = await scrape();
    const ingest = (outcome: string) => sample(text, 'filab_ingest_requests_total', { source: 'stripe', outcome });
    expect(ingest('accepted')).toBe(4);
    expect(ingest('replay')).toBe(1);
    expect(ingest('invalid_signature')).toBe(1);
    expect(ingest('timestamp_out_of_tolerance')).toBe(1);
    expect(sample(text, 'filab_secret_verifications_total', { source: 'stripe', secret: 'current' })).toBe(6);

    const settledAs = (destination: string, outcome: string) => sample(text, 'filab_deliveries_total', { destination, outcome }) ?? 0;
    const attempts = (destination: string, outcome: string) => sample(text, 'filab_delivery_attempts_total', { destination, outcome }) ?? 0;
    expect(settledAs('ledger', 'delivered') + settledAs('audit', 'delivered')).toBe(ok);
    expect(settledAs('ledger', 'dead')).toBe(1);
    expect(attempts('ledger', 'delivered') + attempts('ledger', 'retry') + attempts('ledger', 'dead') + attempts('audit', 'delivered')).toBe(received);
    expect(attempts('ledger', 'retry')).toBe(1);
    expect(sample(text, 'filab_delivery_duration_seconds_count', { destination: 'ledger' })).toBe(5);
    expect(sample(text, 'filab_deliveries_dead', { destination: 'ledger' })).toBe(1);
    expect(sample(text, 'filab_deliveries_dead', { destination: 'audit' })).toBe(0);
    expect(sample(text, 'filab_deliveries_waiting', { destination: 'ledger', status: 'pending' })).toBe(0);
    expect(sample(text, 'filab_delivery_oldest_waiting_age_seconds', { destination: 'ledger' })).toBe(0);

    // Replay the dead one once the receiver accepts it: a manual attempt, delivered.
    receiver.failKeys.clear();
    const dead = await s.inbox.store.listDeliveries({ limit: 10, status: 'dead' });
    expect(dead.items.map((d) => d.eventKey)).toEqual(['evt_s_bad']);
    const replay = await fetch(`${s.url}/admin/api/events/${dead.items[0]!.eventId}/replay`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ destination: 'ledger' }),
    });
    expect(await replay.json()).toEqual({ requeued: 1 });
    await until(async () => (await s.inbox.store.stats()).deliveries.dead === 0 && (await allSettled()), 'the replay to be delivered');

    text = await scrape();
    expect(receiver.count(200)).toBe(5);
    expect(settledAs('ledger', 'delivered') + settledAs('audit', 'delivered')).toBe(5);
    expect(sample(text, 'filab_deliveries_dead', { destination: 'ledger' })).toBe(0);
    expect(text).not.toContain(SECRET);
  });
});
