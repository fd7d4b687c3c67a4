/** The health chart's series from real stored events and attempts, walked with an injected clock. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import { postSigned, SECRET, signedEvent, stripeToDestinationsYaml } from '../metrics/harness.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';
import { startReceiver, until, type Receiver } from '../metrics/receiver.ts';

const MINUTE = 60_000;
const thisMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
// Four minutes ago plus 10 s, so the first events land in bucket 1 of a 5-minute window ending 3 minutes later.
const clock = makeManualClock(thisMinute - 4 * MINUTE + 10_000);
let s: TestInbox;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.down = true;
  s = await startTestInbox({
    clock,
    env: { STRIPE_SECRET: SECRET },
    yaml: stripeToDestinationsYaml([{ name: 'ledger', url: receiver.url, retrySchedule: [0] }]),
  });
});
afterAll(async () => {
  await s.close();
  await receiver.close();
});

const send = (id: string) => postSigned(`${s.url}/webhooks/stripe`, signedEvent({ id, timestamp: Math.floor(clock.now() / 1000) }));

it('counts events received and failed attempts per minute, every bucket present', async () => {
  expect((await send('evt_a1')).status).toBe(200);
  expect((await send('evt_a2')).status).toBe(200);
  await until(async () => (await s.inbox.store.stats()).deliveries.dead === 2, 'both deliveries to fail');
  clock.advance(3 * MINUTE);
  receiver.down = false;
  expect((await send('evt_a3')).status).toBe(200);
  await until(async () => (await s.inbox.store.stats()).deliveries.delivered === 1, 'the third to be delivered');

  const res = await fetch(`${s.url}/admin/api/activity?minutes=5`);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.bucket_seconds).toBe(60);
  const first = thisMinute - 5 * MINUTE;
  expect(body.buckets).toEqual([
    { start: new Date(first).toISOString(), events_received: 0, attempts_failed: 0 },
    { start: new Date(first + MINUTE).toISOString(), events_received: 2, attempts_failed: 2 },
    { start: new Date(first + 2 * MINUTE).toISOString(), events_received: 0, attempts_failed: 0 },
    { start: new Date(first + 3 * MINUTE).toISOString(), events_received: 0, attempts_failed: 0 },
    { start: new Date(first + 4 * MINUTE).toISOString(), events_received: 1, attempts_failed: 0 },
  ]);
});
