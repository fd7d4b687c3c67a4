/** HTTP deliveries over real sockets to a real receiver: signature, schedule, dead-letter, replay, Retry-After, 410, routing. */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import { OUTBOUND_SECRET, sendEvent, startInbox, startReceiver, waitFor, type Receiver, type TestInbox } from './support.ts';

let t: TestInbox | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await t?.close();
  await receiver?.close();
  t = receiver = undefined;
});

const destinationYaml = (url: string, extra = '') => `destinations:
  - name: app
    url: ${url}/hook
    signing_secret: ${OUTBOUND_SECRET}
    retry_schedule: [0, 5, 300, 1800]
    headers: { x-team: payments }
${extra}
worker:
  allow_private_destinations: true
  poll_interval_ms: 50
`;

async function admin(path: string, init?: { method?: string; body?: unknown }) {
  const res = await fetch(`${t!.url}/admin/api${path}`, {
    method: init?.method ?? 'GET',
    ...(init?.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body ?? {}) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function eventDetail(eventKey: string) {
  const list = await admin(`/events?key_prefix=${eventKey}`);
  return (await admin(`/events/${list.json.events[0].id}`)).json;
}

describe('HTTP delivery', () => {
  it('POSTs the raw body signed so that the official standardwebhooks library verifies it', async () => {
    receiver = await startReceiver();
    t = await startInbox({ yaml: destinationYaml(receiver.url) });
    const key = await sendEvent(t.url, 'payment_intent.succeeded');
    await waitFor(() => receiver!.requests.length === 1, 5000, 'the delivery');
    const got = receiver.requests[0]!;
    const detail = await waitForStatus(key, 'delivered');
    expect(got.path).toBe('/hook');
    expect(got.body).toBe(Buffer.from(detail.payload, 'utf8').toString());
    const headers = Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k, String(v)]));
    expect(new Webhook(OUTBOUND_SECRET).verify(got.body, headers)).toMatchObject({ id: key });
    expect(() => new Webhook(OUTBOUND_SECRET).verify(`${got.body} `, headers)).toThrow();
    expect(got.headers['webhook-id']).toBe(detail.id);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-filab-source']).toBe('stripe');
    expect(got.headers['x-filab-event-type']).toBe('payment_intent.succeeded');
    expect(got.headers['x-filab-event-key']).toBe(key);
    expect(got.headers['x-team']).toBe('payments');
    expect(detail.deliveries[0].attempts).toHaveLength(1);
    expect(detail.deliveries[0].attempts[0]).toMatchObject({ attempt_number: 1, status_code: 200, response_snippet: 'ok', manual: false, error: null });
  });

  it('a receiver failing N times gets N+1 attempts at the scheduled times; always failing ends dead; replay then delivers', async () => {
    const clock = makeManualClock(Date.now());
    const failuresLeft = new Map<string, number>();
    receiver = await startReceiver((r) => {
      const left = failuresLeft.get(r.json.id as string) ?? 0;
      failuresLeft.set(r.json.id as string, left - 1);
      return left > 0 ? { status: 500, body: 'boom' } : { status: 200 };
    });
    t = await startInbox({ yaml: destinationYaml(receiver.url), clock, startWorker: false });
    const worker = t.inbox.worker!;
    const flaky = await sendEvent(t.url, 'charge.succeeded', {}, clock);
    const broken = await sendEvent(t.url, 'charge.failed', {}, clock);
    failuresLeft.set(flaky, 2);
    failuresLeft.set(broken, 99);
    const t0 = clock.now();

    const walk = async (ms: number) => {
      clock.advance(ms);
      await worker.runUntilIdle();
    };
    await walk(0);
    expect(receiver.requests).toHaveLength(2);
    await walk(4_999); // jitter is pinned to 1.0 (random = 0.5): the retry is due at exactly +5 s
    expect(receiver.requests).toHaveLength(2);
    await walk(1);
    expect(receiver.requests).toHaveLength(4);
    await walk(300_000);
    expect(receiver.requests).toHaveLength(6);
    await walk(1_800_000);
    expect(receiver.requests).toHaveLength(7);
    await walk(86_400_000);
    expect(receiver.requests).toHaveLength(7);

    const ok = await eventDetail(flaky);
    expect(ok.status).toBe('delivered');
    expect(ok.deliveries[0].attempts.map((a: any) => [Date.parse(a.started_at) - t0, a.status_code])).toEqual([
      [0, 500],
      [5_000, 500],
      [305_000, 200],
    ]);
    const dead = await eventDetail(broken);
    expect(dead.status).toBe('dead');
    expect(dead.deliveries[0]).toMatchObject({ status: 'dead', attempt_count: 4, next_attempt_at: null, last_error: 'HTTP 500' });
    expect(dead.deliveries[0].attempts.map((a: any) => Date.parse(a.started_at) - t0)).toEqual([0, 5_000, 305_000, 2_105_000]);
    expect(dead.deliveries[0].attempts[0].response_snippet).toBe('boom');
    expect(receiver.requests.filter((r) => r.json.id === broken).every((r) => r.headers['webhook-id'] === dead.id)).toBe(true);

    // A failed manual replay is one extra attempt: the delivery stays dead and nothing is rescheduled.
    expect((await admin(`/events/${dead.id}/replay`, { method: 'POST' })).json).toEqual({ requeued: 1 });
    await walk(0);
    await walk(86_400_000);
    let after = await eventDetail(broken);
    expect(after.status).toBe('dead');
    expect(after.deliveries[0]).toMatchObject({ status: 'dead', attempt_count: 5 });
    expect(after.deliveries[0].attempts[4]).toMatchObject({ manual: true, attempt_number: 5, status_code: 500 });

    failuresLeft.set(broken, 0);
    expect((await admin(`/events/${dead.id}/replay`, { method: 'POST', body: { destination: 'app' } })).json).toEqual({ requeued: 1 });
    await walk(0);
    after = await eventDetail(broken);
    expect(after.status).toBe('delivered');
    expect(after.deliveries[0]).toMatchObject({ status: 'delivered', attempt_count: 6, last_error: null });
    expect(receiver.requests.at(-1)!.headers['webhook-id']).toBe(dead.id);
  });

  it('honours Retry-After on 429/503, clamped between the scheduled delay and twice it', async () => {
    const clock = makeManualClock(Date.now());
    const answers: Record<string, { status: number; headers?: Record<string, string> }[]> = {};
    receiver = await startReceiver((r) => answers[r.json.id as string]!.shift() ?? { status: 200 });
    t = await startInbox({ yaml: destinationYaml(receiver.url), clock, startWorker: false });
    const cases = [
      { answer: { status: 503, headers: { 'retry-after': '8' } }, expectedDelay: 8_000 },
      { answer: { status: 429, headers: { 'retry-after': '3600' } }, expectedDelay: 10_000 },
      { answer: { status: 504, headers: { 'retry-after': '1' } }, expectedDelay: 5_000 },
      { answer: { status: 500, headers: { 'retry-after': '8' } }, expectedDelay: 5_000 },
    ];
    const keys: string[] = [];
    for (const c of cases) {
      const key = await sendEvent(t.url, 'charge.succeeded', {}, clock);
      answers[key] = [c.answer];
      keys.push(key);
    }
    const t0 = clock.now();
    await t.inbox.worker!.runUntilIdle();
    for (const [i, key] of keys.entries()) {
      const d = (await eventDetail(key)).deliveries[0];
      expect(d.status).toBe('failed');
      expect(Date.parse(d.next_attempt_at) - t0, `case ${i}`).toBe(cases[i]!.expectedDelay);
    }
  });

  it('410 Gone disables the destination and tells the operator; enabling resumes delivery', async () => {
    let gone = true;
    receiver = await startReceiver(() => (gone ? { status: 410 } : { status: 200 }));
    t = await startInbox({ yaml: destinationYaml(receiver.url) });
    const first = await sendEvent(t.url, 'charge.succeeded');
    await waitFor(async () => (await admin('/destinations')).json.destinations[0].disabled === true, 5000, 'disable');
    const dest = (await admin('/destinations')).json.destinations[0];
    expect(dest).toMatchObject({ name: 'app', disabled: true, disabled_reason: 'receiver answered 410 Gone', failure_streak: 1, failed: 1 });
    expect(dest.last_failure_at).toEqual(expect.any(String));

    // Disabled: nothing is claimed, even when due (Retry now by bulk retry to make it due at once).
    gone = false;
    expect((await admin('/deliveries/retry', { method: 'POST', body: { status: 'failed' } })).json).toEqual({ requeued: 1 });
    const second = await sendEvent(t.url, 'charge.succeeded');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(1);

    const enabled = await admin('/destinations/app/enable', { method: 'POST' });
    expect(enabled.json).toMatchObject({ name: 'app', disabled: false, disabled_reason: null });
    await waitFor(() => receiver!.requests.length === 3, 5000, 'deliveries after enable');
    // The receiver answered; the attempt is recorded once its commit (on the writer thread) is done.
    await waitFor(async () => (await eventDetail(second)).status === 'delivered', 5000, 'the attempts recorded');
    expect((await eventDetail(first)).status).toBe('delivered');
    expect((await eventDetail(second)).status).toBe('delivered');
  });

  it('routes each event type and source to the destinations whose filters match', async () => {
    receiver = await startReceiver();
    t = await startInbox({
      yaml: `destinations:
  - { name: charges, url: "${'$'}{R}/charges", event_types: ["charge.*"] }
  - { name: payments, url: "${'$'}{R}/payments", event_types: ["payment_intent.succeeded", "payment_intent.canceled"] }
  - { name: everything, url: "${'$'}{R}/all" }
  - { name: other-source, url: "${'$'}{R}/other", sources: ["other*"] }
worker: { allow_private_destinations: true }
`.replaceAll('${R}', receiver.url),
    });
    const types = ['charge.succeeded', 'charge.dispute.created', 'payment_intent.succeeded', 'payment_intent.created', 'customer.created'];
    for (const type of types) await sendEvent(t.url, type);
    await waitFor(() => receiver!.requests.length === 8, 5000, 'eight deliveries');
    await new Promise((r) => setTimeout(r, 200));
    const byPath = (p: string) =>
      receiver!.requests
        .filter((r) => r.path === p)
        .map((r) => r.json.type)
        .sort();
    expect(byPath('/charges')).toEqual(['charge.dispute.created', 'charge.succeeded']);
    expect(byPath('/payments')).toEqual(['payment_intent.succeeded']);
    expect(byPath('/all')).toEqual([...types].sort());
    expect(byPath('/other')).toEqual([]);
    expect(receiver.requests).toHaveLength(8);
  });
});

async function waitForStatus(key: string, status: string) {
  let detail: any;
  await waitFor(
    async () => {
      detail = await eventDetail(key);
      return detail.status === status;
    },
    5000,
    `event ${status}`,
  );
  return detail;
}
