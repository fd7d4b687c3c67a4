/** The seed's HTTP contract over a real socket and a real SQLite file: every case of the seed's test suite and more. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postStripe, SECRET, stripeEvent } from '../helpers/stripe.ts';
import { startTestInbox, type TestInbox } from '../helpers/inbox.ts';

let t: TestInbox;
beforeAll(async () => {
  t = await startTestInbox({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
});
afterAll(() => t.close());

async function storedCount(): Promise<number> {
  return (await t.inbox.store.listEvents({ limit: 500 })).items.length;
}

describe('seed contract: POST /webhooks/provider', () => {
  it('GET /health answers ok', async () => {
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('stores a valid event with its raw bytes, headers and matched secret, then answers received', async () => {
    const body = stripeEvent({ id: 'evt_valid_1' });
    const res = await postStripe(t.url, body);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":"received"}');
    const page = await t.inbox.store.listEvents({ limit: 10, keyPrefix: 'evt_valid_1' });
    expect(page.items).toHaveLength(1);
    const stored = (await t.inbox.store.getEvent(page.items[0]!.id))!;
    expect(stored.payload.toString()).toBe(body);
    expect(stored.eventType).toBe('payment_intent.succeeded');
    expect(stored.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(stored.secretLabel).toBe('#0');
    expect(stored.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.receivedAt).toBeGreaterThan(Date.now() - 10_000);
  });

  it('rejects a wrong secret with the seed text and stores nothing', async () => {
    const before = await storedCount();
    const res = await postStripe(t.url, stripeEvent(), { secret: 'whsec_wrong' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: 'Invalid signature', code: 'invalid_signature' });
    expect(await storedCount()).toBe(before);
  });

  it('rejects a missing or empty Stripe-Signature header', async () => {
    const variants: Record<string, string>[] = [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', 'stripe-signature': '' }];
    for (const headers of variants) {
      const res = await fetch(`${t.url}/webhooks/provider`, { method: 'POST', headers, body: stripeEvent() });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ detail: 'Missing encoded Stripe-Signature header', code: 'missing_signature' });
    }
  });

  it('answers a replay idempotently and keeps exactly one row', async () => {
    const body = stripeEvent({ id: 'evt_replay_1' });
    const first = await postStripe(t.url, body);
    const second = await postStripe(t.url, body);
    expect(first.json).toEqual({ status: 'received' });
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ status: 'received', idempotent_replay: true });
    expect((await t.inbox.store.listEvents({ limit: 10, keyPrefix: 'evt_replay_1' })).items).toHaveLength(1);
  });

  it('answers a replay with a different body as a replay, and logs and counts the conflict', async () => {
    await postStripe(t.url, stripeEvent({ id: 'evt_conflict', type: 'a.b' }));
    const res = await postStripe(t.url, stripeEvent({ id: 'evt_conflict', type: 'c.d' }));
    expect(res.json).toEqual({ status: 'received', idempotent_replay: true });
    expect(t.logs.some((l) => l.includes('different payload') && l.includes('evt_conflict'))).toBe(true);
    const metrics = await t.inbox.metrics.registry.getSingleMetricAsString('filab_ingest_replay_conflicts_total');
    expect(metrics).toMatch(/filab_ingest_replay_conflicts_total\{source="provider"\} 1/);
    const stored = (await t.inbox.store.listEvents({ limit: 10, keyPrefix: 'evt_conflict' })).items;
    expect(stored.map((e) => e.eventType)).toEqual(['a.b']);
  });

  it('rejects stale and future timestamps beyond the tolerance', async () => {
    // The exact boundary (300 s in, 301 s out) is tested with an injected clock in src/providers/stripe.test.ts;
    // over a real socket on a busy machine a margin keeps the test about the rule, not the scheduler.
    for (const offset of [-360, 360]) {
      const res = await postStripe(t.url, stripeEvent(), { timestamp: Math.floor(Date.now() / 1000) + offset });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ detail: 'Invalid signature', code: 'timestamp_out_of_tolerance' });
    }
  });

  it('rejects bodies that are not a Stripe event object', async () => {
    const bad = ['{not json', JSON.stringify({ id: 'evt_x', type: 't', created: '123' }), JSON.stringify({ id: 'evt_x', type: 't', created: 1, data: 'x' })];
    for (const body of bad) {
      const res = await postStripe(t.url, body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ detail: 'Invalid JSON or schema', code: 'invalid_payload' });
    }
  });

  it('GET /events lists stored events newest first, with type filter and cursor pagination', async () => {
    for (let i = 0; i < 3; i++) await postStripe(t.url, stripeEvent({ id: `evt_page_${i}`, type: 'invoice.paid' }));
    const first = (await (await fetch(`${t.url}/events?type=invoice.paid&limit=2`)).json()) as {
      events: { id: string; type: string; status: string; received_at: string; created_at: number }[];
      next_cursor: string;
    };
    expect(first.events.map((e) => e.id)).toEqual(['evt_page_2', 'evt_page_1']);
    expect(first.events[0]).toMatchObject({ type: 'invoice.paid', status: 'received' });
    expect(typeof first.events[0]!.created_at).toBe('number');
    expect(Date.parse(first.events[0]!.received_at)).toBeGreaterThan(0);
    const second = (await (await fetch(`${t.url}/events?type=invoice.paid&limit=2&cursor=${first.next_cursor}`)).json()) as {
      events: { id: string }[];
      next_cursor: string | null;
    };
    expect(second.events.map((e) => e.id)).toEqual(['evt_page_0']);
    expect(second.next_cursor).toBeNull();
  });

  it('GET /events rejects bad query parameters with 400', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=abc', 'cursor=%21%21', 'bogus=1']) {
      const res = await fetch(`${t.url}/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('invalid_query');
    }
  });
});

describe('seed contract: server without STRIPE_WEBHOOK_SECRET', () => {
  it('answers the misconfiguration before looking at the request', async () => {
    const bare = await startTestInbox();
    try {
      const res = await fetch(`${bare.url}/webhooks/provider`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ detail: 'Server misconfigured: Missing STRIPE_WEBHOOK_SECRET', code: 'secret_not_configured' });
    } finally {
      await bare.close();
    }
  });
});
