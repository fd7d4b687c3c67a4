/** 50 concurrent copies of one event over a real socket: exactly one is stored, 49 are replays. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
});
afterAll(() => t.close());

it('dedupes 50 concurrent copies of one event to one row', async () => {
  const body = stripeEvent({ id: 'evt_concurrent' });
  const results = await Promise.all(Array.from({ length: 50 }, () => postStripe(t.url, body)));
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(results.filter((r) => r.text === '{"status":"received"}')).toHaveLength(1);
  expect(results.filter((r) => r.text === '{"status":"received","idempotent_replay":true}')).toHaveLength(49);
  expect((await t.inbox.store.listEvents({ limit: 100, keyPrefix: 'evt_concurrent' })).items).toHaveLength(1);
});

it('stores many distinct concurrent events, each exactly once', async () => {
  const bodies = Array.from({ length: 200 }, (_, i) => stripeEvent({ id: `evt_many_${i}` }));
  const results = await Promise.all([...bodies, ...bodies].map((b) => postStripe(t.url, b)));
  expect(results.filter((r) => r.json?.idempotent_replay === true)).toHaveLength(200);
  expect(results.filter((r) => r.text === '{"status":"received"}')).toHaveLength(200);
  expect((await t.inbox.store.listEvents({ limit: 500, keyPrefix: 'evt_many_' })).items).toHaveLength(200);
});
