/** In-process handlers: same retry, dead-letter, ordering and replay semantics as HTTP destinations. */
import { afterEach, describe, expect, it } from 'vitest';
import { makeManualClock } from '../../src/clock.ts';
import type { InboxEvent } from '../../src/inbox.ts';
import { sendEvent, startInbox, waitFor, type TestInbox } from './support.ts';

let t: TestInbox | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('in-process handlers', () => {
  it('a handler keyed by event type needs no config entry and gets the parsed event', async () => {
    const got: InboxEvent[] = [];
    t = await startInbox({ yaml: '', handlers: { 'payment_intent.*': (event) => void got.push(event) } });
    const key = await sendEvent(t.url, 'payment_intent.succeeded');
    await sendEvent(t.url, 'charge.succeeded');
    await waitFor(() => got.length === 1, 5000, 'handler call');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(1);
    const event = got[0]!;
    expect(event).toMatchObject({ source: 'stripe', eventKey: key, type: 'payment_intent.succeeded', destination: 'payment_intent.*', attempt: 1, manual: false });
    expect(event.webhookId).toMatch(/^msg_/);
    expect(event.data).toMatchObject({ id: key, type: 'payment_intent.succeeded' });
    expect(JSON.parse(event.payload.toString())).toEqual(event.data);
    expect(t.inbox.config.destinations.map((d) => d.name)).toEqual(['payment_intent.*']);
  });

  it('a throwing handler is retried on the schedule, goes dead, and a replay delivers it', async () => {
    const clock = makeManualClock(Date.now());
    let failing = true;
    const calls: InboxEvent[] = [];
    t = await startInbox({
      clock,
      startWorker: false,
      yaml: `destinations:
  - { name: fulfil, handler: fulfilment, event_types: ["charge.*"], retry_schedule: [0, 60], timeout_ms: 200 }
`,
      handlers: {
        fulfilment: async (event) => {
          calls.push(event);
          if (failing) throw new Error('warehouse offline');
        },
      },
    });
    const key = await sendEvent(t.url, 'charge.succeeded', {}, clock);
    await t.inbox.worker!.runUntilIdle();
    clock.advance(60_000);
    await t.inbox.worker!.runUntilIdle();
    const [summary] = (await t.inbox.store.listEvents({ limit: 1, keyPrefix: key })).items;
    let detail = (await t.inbox.store.getEvent(summary!.id))!;
    expect(detail.status).toBe('dead');
    expect(detail.deliveries[0]!.attempts.map((a) => [a.startedAt - detail.receivedAt, a.error])).toEqual([
      [0, 'Error: warehouse offline'],
      [60_000, 'Error: warehouse offline'],
    ]);
    failing = false;
    expect(await t.inbox.store.requeueDeliveries({ now: clock.now(), statuses: ['dead'], eventId: summary!.id, manual: true })).toBe(1);
    await t.inbox.worker!.runUntilIdle();
    detail = (await t.inbox.store.getEvent(summary!.id))!;
    expect(detail.status).toBe('delivered');
    expect(calls.map((c) => [c.attempt, c.manual, c.webhookId === summary!.id])).toEqual([[1, false, true], [2, false, true], [3, true, true]]);
  });

  it('a handler that outlives timeout_ms is a failed attempt', async () => {
    t = await startInbox({
      startWorker: false,
      yaml: `destinations:
  - { name: slow, handler: slow, retry_schedule: [0], timeout_ms: 100 }
`,
      handlers: { slow: (event) => new Promise((resolve) => event.signal.addEventListener('abort', resolve)) },
    });
    const key = await sendEvent(t.url, 'charge.succeeded');
    await t.inbox.worker!.runUntilIdle();
    const [summary] = (await t.inbox.store.listEvents({ limit: 1, keyPrefix: key })).items;
    const detail = (await t.inbox.store.getEvent(summary!.id))!;
    expect(detail.status).toBe('dead');
    expect(detail.deliveries[0]!.lastError).toBe('timeout after 100 ms');
  });
});
