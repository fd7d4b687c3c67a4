/** The scrape-time gauges read the store: waiting deliveries and the age of the oldest, by the injected clock. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import { postSigned, sample, SECRET, signedEvent, stripeToDestinationsYaml } from './harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

const clock = makeManualClock(Date.now());
let s: TestInbox;

beforeAll(async () => {
  // No worker here: deliveries stay pending, as when every worker is down.
  s = await startTestInbox({
    clock,
    worker: false,
    env: { STRIPE_SECRET: SECRET },
    yaml: stripeToDestinationsYaml([
      { name: 'ledger', url: 'http://127.0.0.1:9/hook', retrySchedule: [0] },
      { name: 'audit', url: 'http://127.0.0.1:9/hook', retrySchedule: [0], eventTypes: ['charge.*'] },
    ]),
  });
});
afterAll(() => s.close());

it('shows waiting deliveries and how old the oldest is', async () => {
  const send = (id: string) => postSigned(`${s.url}/webhooks/stripe`, signedEvent({ id, timestamp: Math.floor(clock.now() / 1000) }));
  expect((await send('evt_g1')).status).toBe(200);
  clock.advance(30_000);
  expect((await send('evt_g2')).status).toBe(200);
  clock.advance(60_000);

  const text = await (await fetch(`${s.url}/metrics`)).text();
  expect(sample(text, 'filab_deliveries_waiting', { destination: 'ledger', status: 'pending' })).toBe(2);
  expect(sample(text, 'filab_deliveries_waiting', { destination: 'ledger', status: 'failed' })).toBe(0);
  expect(sample(text, 'filab_delivery_oldest_waiting_age_seconds', { destination: 'ledger' })).toBe(90);
  expect(sample(text, 'filab_deliveries_dead', { destination: 'ledger' })).toBe(0);
  // A destination with nothing routed to it yet: no rows, or zeros, never a stale value.
  expect(sample(text, 'filab_deliveries_waiting', { destination: 'audit', status: 'pending' }) ?? 0).toBe(0);
});
