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
    expect(event).toMatchObject({
      source: 'stripe',
      eventKey: key,
      type: 'payment_intent.succeeded',
      destination: 'payment_intent.*',
      attempt: 1,
      manual: false,
    });
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
    expect(calls.map((c) => [c.attempt, c.manual, c.webhookId === summary!.id])).toEqual([
      [1, false, true],
      [2, false, true],
      [3, true, true],
    ]);
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

  it('a handler that throws synchronously, rejects with a non-Error, throws an unprintable value or never settles is a failed attempt', async () => {
    const unprintable = {
      toString() {
        throw new Error('no string for you');
      },
    };
    t = await startInbox({
      startWorker: false,
      yaml: `destinations:
  - { name: sync-throw, handler: syncThrow, retry_schedule: [0] }
  - { name: rejects, handler: rejects, retry_schedule: [0] }
  - { name: unprintable, handler: unprintable, retry_schedule: [0] }
  - { name: never, handler: never, retry_schedule: [0], timeout_ms: 150 }
`,
      handlers: {
        syncThrow: () => {
          throw new TypeError('bad input');
        },
        rejects: () => Promise.reject('plain string reason'),
        unprintable: () => Promise.reject(unprintable),
        // Ignores its abort signal: the worker still moves on when timeout_ms passes.
        never: () => new Promise(() => {}),
      },
    });
    const key = await sendEvent(t.url, 'charge.succeeded');
    await t.inbox.worker!.runUntilIdle();
    const [summary] = (await t.inbox.store.listEvents({ limit: 1, keyPrefix: key })).items;
    const detail = (await t.inbox.store.getEvent(summary!.id))!;
    const errors = Object.fromEntries(detail.deliveries.map((d) => [d.destination, [d.status, d.attempts.map((a) => a.error)]]));
    expect(errors).toEqual({
      'sync-throw': ['dead', ['TypeError: bad input']],
      rejects: ['dead', ['plain string reason']],
      unprintable: ['dead', ['attempt failed: no string for you']],
      never: ['dead', ['timeout after 150 ms']],
    });
    // The inbox still takes events.
    await sendEvent(t.url, 'charge.succeeded');
  });
});
