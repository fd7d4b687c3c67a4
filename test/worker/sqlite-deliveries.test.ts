/** The SQLite delivery methods against a real file, two connections standing in for two processes. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import { makeSqliteStore } from '../../src/store/sqlite/index.ts';
import type { AttemptOutcome, NewEvent, Store } from '../../src/store/types.ts';
import { tempDir } from './support.ts';

let dir: string;
let a: Store;
let b: Store;
const T0 = 1_700_000_000_000;
beforeEach(() => {
  dir = tempDir();
  a = makeSqliteStore(join(dir, 'app.db'));
  b = makeSqliteStore(join(dir, 'app.db'));
});
afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function event(destinations: (string | [string, string])[], receivedAt = T0): NewEvent {
  const id = newId('msg', receivedAt);
  return {
    id,
    source: 'stripe',
    eventKey: `evt_${++counter}`,
    eventType: 'charge.succeeded',
    providerCreatedAt: null,
    receivedAt,
    payload: Buffer.from(`{"n":${counter}}`),
    headers: {},
    payloadSha256: 'x'.repeat(64),
    secretLabel: '#0',
    deliveries: destinations.map((d) => ({
      id: newId('dlv', receivedAt),
      destination: Array.isArray(d) ? d[0] : d,
      orderingKey: Array.isArray(d) ? d[1] : null,
    })),
  };
}
const claim = (store: Store, workerId: string, now = T0, limit = 100, maxInFlight = 100, leaseMs = 10_000) =>
  store.claimDeliveries({
    now,
    workerId,
    leaseMs,
    limit,
    destinations: [
      { name: 'd1', maxInFlight },
      { name: 'd2', maxInFlight },
    ],
  });
const complete = (store: Store, deliveryId: string, workerId: string, outcome: AttemptOutcome, startedAt = T0) =>
  store.completeAttempt({
    deliveryId,
    workerId,
    attemptId: newId('atmpt'),
    startedAt,
    durationMs: 5,
    statusCode: outcome.kind === 'delivered' ? 200 : 500,
    error: null,
    responseSnippet: null,
    outcome,
  });

describe('sqlite deliveries', () => {
  it('leases a claim: nobody else claims it until the lease expires, then another worker does', async () => {
    await a.insertEvents([event(['d1'])]);
    const first = await claim(a, 'w1');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ attemptNumber: 1, scheduleStep: 0, manual: false, destination: 'd1', source: 'stripe' });
    expect(first[0]!.payload.toString()).toMatch(/^\{"n":\d+\}$/);
    expect(await claim(b, 'w2', T0 + 9_999)).toHaveLength(0);
    const second = await claim(b, 'w2', T0 + 10_000);
    expect(second.map((d) => d.id)).toEqual([first[0]!.id]);
    // The first worker lost its lease: its late result records nothing.
    expect(await complete(a, first[0]!.id, 'w1', { kind: 'delivered' })).toBe(false);
    expect((await a.getEvent(first[0]!.eventId))!.deliveries[0]!.attempts).toHaveLength(0);
    expect(await complete(b, first[0]!.id, 'w2', { kind: 'delivered' })).toBe(true);
    const detail = (await a.getEvent(first[0]!.eventId))!;
    expect(detail.status).toBe('delivered');
    expect(detail.deliveries[0]).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('counts max_in_flight from live leases in the database, across connections', async () => {
    await a.insertEvents(Array.from({ length: 10 }, () => event(['d1'])));
    expect(await claim(a, 'w1', T0, 100, 3)).toHaveLength(3);
    expect(await claim(b, 'w2', T0, 100, 3)).toHaveLength(0);
    const [one] = await claim(b, 'w2', T0 + 10_000, 1, 3);
    expect(one).toBeDefined();
    expect(await claim(a, 'w1', T0 + 10_000, 100, 3)).toHaveLength(2);
  });

  it('holds an ordering key behind its earliest unfinished delivery, per destination', async () => {
    const [e1, e2, e3] = [
      event([
        ['d1', 'k'],
        ['d2', 'k'],
      ]),
      event([
        ['d1', 'k'],
        ['d2', 'k'],
      ]),
      event([['d1', 'other']]),
    ];
    await a.insertEvents([e1!, e2!, e3!]);
    const firstRound = await claim(a, 'w1');
    expect(firstRound.map((d) => `${d.destination}:${d.eventId}`).sort()).toEqual([`d1:${e1!.id}`, `d1:${e3!.id}`, `d2:${e1!.id}`].sort());
    const d1k = firstRound.find((d) => d.destination === 'd1' && d.orderingKey === 'k')!;
    await complete(a, d1k.id, 'w1', { kind: 'retry', nextAttemptAt: T0 + 1000 });
    expect(await claim(a, 'w1', T0 + 500)).toHaveLength(0); // the failed first one still blocks the second
    await complete(a, (await claim(a, 'w1', T0 + 1000))[0]!.id, 'w1', { kind: 'dead' });
    // Dead no longer blocks; d2's second event still waits for d2's first, which is in flight.
    const next = await claim(a, 'w1', T0 + 1000);
    expect(next.map((d) => `${d.destination}:${d.eventId}`)).toEqual([`d1:${e2!.id}`]);
  });

  it('derives the event status from its deliveries: dead > failed > all delivered > received', async () => {
    const e = event(['d1', 'd2']);
    await a.insertEvents([e, event([])]);
    expect((await a.stats()).events).toEqual({ received: 2, delivered: 0, failed: 0, dead: 0 });
    const [x, y] = await claim(a, 'w1');
    await complete(a, x!.id, 'w1', { kind: 'delivered' });
    expect((await a.getEvent(e.id))!.status).toBe('received');
    await complete(a, y!.id, 'w1', { kind: 'retry', nextAttemptAt: T0 + 1 });
    expect((await a.getEvent(e.id))!.status).toBe('failed');
    await complete(a, (await claim(a, 'w1', T0 + 1))[0]!.id, 'w1', { kind: 'dead' });
    expect((await a.getEvent(e.id))!.status).toBe('dead');
    expect(await a.requeueDeliveries({ now: T0 + 2, statuses: ['dead'], manual: false })).toBe(1);
    expect((await a.getEvent(e.id))!.status).toBe('received');
    const [again] = await claim(a, 'w1', T0 + 2);
    expect(again).toMatchObject({ attemptNumber: 3, scheduleStep: 0, manual: false });
    await complete(a, again!.id, 'w1', { kind: 'delivered' });
    expect((await a.getEvent(e.id))!.status).toBe('delivered');
    const stats = await a.stats();
    expect(stats).toEqual({
      events: { received: 1, delivered: 1, failed: 0, dead: 0 },
      deliveries: { pending: 0, failed: 0, delivered: 2, dead: 0 },
      oldestPendingAt: null,
    });
    expect((await a.listDestinationStates()).map((s) => [s.name, s.failureStreak, s.lastSuccessAt !== null])).toEqual([
      ['d1', 0, true],
      ['d2', 0, true],
    ]);
  });

  it('a failed manual replay restores the previous status and schedule', async () => {
    const e = event(['d1']);
    await a.insertEvents([e]);
    const [d] = await claim(a, 'w1');
    await complete(a, d!.id, 'w1', { kind: 'retry', nextAttemptAt: T0 + 60_000 });
    expect(await a.requeueDeliveries({ now: T0 + 10, statuses: ['pending', 'failed', 'delivered', 'dead'], eventId: e.id, manual: true })).toBe(1);
    const [replay] = await claim(a, 'w1', T0 + 10);
    expect(replay).toMatchObject({ manual: true, attemptNumber: 2, scheduleStep: 1 });
    await complete(a, replay!.id, 'w1', { kind: 'restore' }, T0 + 10);
    const after = (await a.getEvent(e.id))!.deliveries[0]!;
    expect(after).toMatchObject({ status: 'failed', nextAttemptAt: T0 + 60_000, attemptCount: 2 });
    expect(after.attempts.map((x) => x.manual)).toEqual([false, true]);
  });

  it("releases a worker's leases at once and wakes subscribers; skips in-flight deliveries on requeue", async () => {
    let wakes = 0;
    const unsubscribe = a.subscribeDue(() => wakes++);
    await a.insertEvents([event(['d1']), event(['d1'])]);
    expect(wakes).toBe(1);
    const claimed = await claim(a, 'w1');
    expect(await a.requeueDeliveries({ now: T0, statuses: ['pending'], manual: true })).toBe(0);
    expect(await a.releaseLeases('w1')).toBe(2);
    expect(wakes).toBe(2);
    expect((await claim(b, 'w2')).map((d) => d.id).sort()).toEqual(claimed.map((d) => d.id).sort());
    unsubscribe();
    await a.releaseLeases('w2');
    expect(wakes).toBe(2);
  });

  it('requeues in batches with limit, lists deliveries newest first with a cursor, counts per destination', async () => {
    await a.insertEvents(Array.from({ length: 5 }, (_, i) => event(['d1'], T0 + i)));
    for (const d of await claim(a, 'w1', T0 + 10)) await complete(a, d.id, 'w1', { kind: 'dead' }, T0 + 10);
    expect(await a.requeueDeliveries({ now: T0 + 20, statuses: ['dead'], manual: false, limit: 2 })).toBe(2);
    expect(await a.requeueDeliveries({ now: T0 + 20, statuses: ['dead'], manual: false, limit: 2 })).toBe(2);
    expect(await a.requeueDeliveries({ now: T0 + 20, statuses: ['dead'], manual: false, limit: 2 })).toBe(1);
    const page1 = await a.listDeliveries({ limit: 3, status: 'pending' });
    const page2 = await a.listDeliveries({ limit: 3, status: 'pending', cursor: page1.nextCursor });
    expect(page1.items.map((d) => d.receivedAt)).toEqual([T0 + 4, T0 + 3, T0 + 2]);
    expect(page2.items.map((d) => d.receivedAt)).toEqual([T0 + 1, T0]);
    expect(page2.nextCursor).toBeNull();
    expect(await a.destinationCounts()).toEqual([{ destination: 'd1', pending: 5, failed: 0, delivered: 0, dead: 0, oldestPendingAt: T0 }]);
    const buckets = await a.activity(T0, 5);
    expect(buckets[0]).toEqual({ start: T0, eventsReceived: 5, attemptsFailed: 0 });
    expect(buckets[1]).toEqual({ start: T0 + 10, eventsReceived: 0, attemptsFailed: 5 }); // the empty bucket at T0 + 5 is left out
  });

  it('never claims for a disabled destination', async () => {
    await a.insertEvents([event(['d1']), event(['d2'])]);
    await a.setDestinationDisabled('d1', true, 'receiver answered 410 Gone', T0);
    expect((await claim(b, 'w1')).map((d) => d.destination)).toEqual(['d2']);
    expect((await a.listDestinationStates()).find((s) => s.name === 'd1')).toMatchObject({ disabled: true, disabledReason: 'receiver answered 410 Gone' });
    await a.setDestinationDisabled('d1', false, null, T0);
    expect((await claim(b, 'w1')).map((d) => d.destination)).toEqual(['d1']);
  });
});
