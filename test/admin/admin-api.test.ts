/** The admin API contract over a real socket: shapes, filters, pagination, auth, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import { STRIPE_SECRET, sendEvent, startInbox, type TestInbox } from '../worker/support.ts';

const TOKEN = 'admin-token-for-tests-1234';
const clock = makeManualClock(Date.now());
let t: TestInbox;
let failing = true;
const keys: string[] = [];

beforeAll(async () => {
  t = await startInbox({
    clock,
    startWorker: false,
    env: { ADMIN_TOKEN: TOKEN },
    yaml: `destinations:
  - { name: ledger, handler: ledger, event_types: ["charge.*"], retry_schedule: [0] }
  - { name: crm, handler: crm, event_types: ["customer.*"] }
`,
    handlers: {
      ledger: () => {
        if (failing) throw new Error('ledger down');
      },
      crm: () => {},
    },
  });
  for (const type of ['charge.succeeded', 'charge.refunded', 'customer.created', 'invoice.paid']) {
    keys.push(await sendEvent(t.url, type, {}, clock));
    clock.advance(1000);
  }
  await t.inbox.worker!.runUntilIdle();
});
afterAll(() => t.close());

/** Like the CLI and the dashboard: every state change says JSON, with or without a body (`contentType` overrides). */
async function api(path: string, init: { method?: string; body?: unknown; token?: string | null; contentType?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const contentType =
    init.contentType === undefined ? ((init.method ?? 'GET') !== 'GET' || init.body !== undefined ? 'application/json' : null) : init.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(`${t.url}/admin/api${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe('admin API', () => {
  it('requires the admin token', async () => {
    expect(await api('/stats', { token: null })).toEqual({ status: 401, json: { detail: 'Missing or invalid admin token', code: 'unauthorized' } });
    expect((await api('/stats', { token: 'wrong' })).status).toBe(401);
    expect((await api('/events/x/replay', { method: 'POST', token: null })).status).toBe(401);
  });

  it('lists events newest first with filters and cursor pagination', async () => {
    const all = await api('/events');
    expect(all.json.events.map((e: any) => e.event_key)).toEqual([...keys].reverse());
    expect(Object.keys(all.json.events[0]).sort()).toEqual(['created_at', 'event_key', 'id', 'received_at', 'source', 'status', 'type']);
    expect(all.json.events.map((e: any) => [e.type, e.status])).toEqual([
      ['invoice.paid', 'received'],
      ['customer.created', 'delivered'],
      ['charge.refunded', 'dead'],
      ['charge.succeeded', 'dead'],
    ]);
    expect((await api('/events?status=dead')).json.events.map((e: any) => e.event_key)).toEqual([keys[1], keys[0]]);
    expect((await api('/events?type=customer.created&source=stripe')).json.events).toHaveLength(1);
    expect((await api(`/events?key_prefix=${keys[2]}`)).json.events).toHaveLength(1);
    const receivedAt = Date.parse(all.json.events[1].received_at);
    expect((await api(`/events?since=${new Date(receivedAt).toISOString()}`)).json.events).toHaveLength(2);
    expect((await api(`/events?until=${receivedAt - 1}`)).json.events).toHaveLength(2);
    const page1 = await api('/events?limit=3');
    const page2 = await api(`/events?limit=3&cursor=${page1.json.next_cursor}`);
    expect([...page1.json.events, ...page2.json.events].map((e: any) => e.event_key)).toEqual([...keys].reverse());
    expect(page2.json.next_cursor).toBeNull();
  });

  it('shows one event with payload, headers, deliveries and attempts', async () => {
    const id = (await api(`/events?key_prefix=${keys[0]}`)).json.events[0].id;
    const detail = (await api(`/events/${id}`)).json;
    expect(detail).toMatchObject({ id, event_key: keys[0], type: 'charge.succeeded', status: 'dead', secret_label: '#0', payload_encoding: 'utf8' });
    expect(JSON.parse(detail.payload).id).toBe(keys[0]);
    expect(detail.payload_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detail.headers['stripe-signature']).toMatch(/^t=/);
    expect(detail.deliveries).toHaveLength(1);
    expect(Object.keys(detail.deliveries[0]).sort()).toEqual([
      'attempt_count',
      'attempts',
      'destination',
      'id',
      'last_error',
      'next_attempt_at',
      'ordering_key',
      'status',
      'updated_at',
    ]);
    expect(detail.deliveries[0].attempts[0]).toMatchObject({
      attempt_number: 1,
      status_code: null,
      error: 'Error: ledger down',
      manual: false,
      response_snippet: null,
    });
    expect(Object.keys(detail.deliveries[0].attempts[0]).sort()).toEqual([
      'attempt_number',
      'duration_ms',
      'error',
      'id',
      'manual',
      'response_snippet',
      'started_at',
      'status_code',
    ]);
    expect(await api('/events/msg_nope')).toEqual({ status: 404, json: { detail: 'No event msg_nope', code: 'not_found' } });
  });

  it('lists deliveries (dead-letter view) and summary stats', async () => {
    const dead = (await api('/deliveries?status=dead')).json;
    expect(dead.deliveries.map((d: any) => [d.destination, d.event_key])).toEqual([
      ['ledger', keys[1]],
      ['ledger', keys[0]],
    ]);
    expect(Object.keys(dead.deliveries[0]).sort()).toEqual([
      'attempt_count',
      'destination',
      'event_id',
      'event_key',
      'id',
      'last_error',
      'next_attempt_at',
      'received_at',
      'source',
      'status',
      'type',
      'updated_at',
    ]);
    expect((await api('/deliveries?destination=crm')).json.deliveries).toHaveLength(1);
    const stats = (await api('/stats')).json;
    expect(stats).toEqual({
      events: { received: 1, delivered: 1, failed: 0, dead: 2 },
      deliveries: { pending: 0, failed: 0, delivered: 1, dead: 2 },
      oldest_pending_age_seconds: null,
    });
  });

  it('lists destinations with health; disable/enable answer the destination', async () => {
    const { destinations } = (await api('/destinations')).json;
    expect(destinations.map((d: any) => [d.name, d.handler, d.dead, d.delivered, d.failure_streak, d.disabled])).toEqual([
      ['ledger', 'ledger', 2, 0, 2, false],
      ['crm', 'crm', 0, 1, 0, false],
    ]);
    expect(Object.keys(destinations[0]).sort()).toEqual([
      'dead',
      'delivered',
      'disabled',
      'disabled_reason',
      'event_types',
      'failed',
      'failure_streak',
      'handler',
      'last_failure_at',
      'last_success_at',
      'name',
      'oldest_pending_at',
      'pending',
      'sources',
      'url',
    ]);
    expect((await api('/destinations/crm/disable', { method: 'POST' })).json).toMatchObject({
      name: 'crm',
      disabled: true,
      disabled_reason: 'disabled by an operator',
    });
    expect((await api('/destinations/crm/enable', { method: 'POST' })).json).toMatchObject({ name: 'crm', disabled: false });
    expect((await api('/destinations/nope/enable', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a state change without a JSON content type, and changes nothing', async () => {
    for (const contentType of [null, 'text/plain', 'application/x-www-form-urlencoded']) {
      const res = await api('/destinations/crm/disable', { method: 'POST', contentType });
      expect([contentType, res.status, res.json.code]).toEqual([contentType, 415, 'unsupported_media_type']);
      expect(res.json.detail).toContain('Content-Type: application/json');
    }
    const deadBefore = (await api('/stats')).json.deliveries.dead;
    expect(deadBefore).toBeGreaterThan(0);
    const refusedForm = await api('/deliveries/retry', { method: 'POST', contentType: 'application/x-www-form-urlencoded', body: 'status=dead' });
    expect(refusedForm.status).toBe(415);
    expect((await api('/stats')).json.deliveries.dead).toBe(deadBefore);
    const crm = (await api('/destinations')).json.destinations.find((d: any) => d.name === 'crm');
    expect(crm.disabled).toBe(false);
  });

  it('lists sources without secret values', async () => {
    const res = await api('/sources');
    expect(res.json).toEqual({ sources: [{ name: 'stripe', path: '/webhooks/stripe', provider: 'stripe', secrets: [{ label: '#0', expires_at: null }] }] });
    expect(JSON.stringify(res.json)).not.toContain(STRIPE_SECRET);
  });

  it('bulk retry requeues matching dead deliveries and answers how many; replay requeues one event', async () => {
    expect((await api('/deliveries/retry', { method: 'POST', body: { status: 'dead', destination: 'crm' } })).json).toEqual({ requeued: 0 });
    failing = false;
    expect((await api('/deliveries/retry', { method: 'POST', body: { status: ['dead', 'failed'], destination: 'ledger' } })).json).toEqual({ requeued: 2 });
    expect((await api('/stats')).json.deliveries.pending).toBe(2);
    await t.inbox.worker!.runUntilIdle();
    expect((await api('/stats')).json.events).toEqual({ received: 1, delivered: 3, failed: 0, dead: 0 });
    const id = (await api(`/events?key_prefix=${keys[2]}`)).json.events[0].id;
    expect((await api(`/events/${id}/replay`, { method: 'POST', body: {} })).json).toEqual({ requeued: 1 });
    expect((await api(`/events/${id}/replay`, { method: 'POST', body: { destination: 'nope' } })).status).toBe(404);
    expect((await api('/events/msg_nope/replay', { method: 'POST' })).status).toBe(404);
  });

  it('answers bad input with 400 and a stable code, never 500', async () => {
    for (const path of [
      '/events?status=bogus',
      '/events?limit=0',
      '/events?cursor=!!',
      '/events?since=yesterday',
      '/events?color=red',
      '/deliveries?status=received',
    ]) {
      const res = await api(path);
      expect([path, res.status, res.json.code]).toEqual([path, 400, 'invalid_query']);
    }
    for (const body of [{}, { status: 'delivered' }, { status: 'dead', extra: 1 }, '{not json', { status: 'dead', since: 'later' }]) {
      const res = await api('/deliveries/retry', { method: 'POST', body });
      expect([JSON.stringify(body), res.status, res.json.code]).toEqual([JSON.stringify(body), 400, 'bad_request']);
    }
    expect((await api('/deliveries/retry')).status).toBe(405);
  });
});
