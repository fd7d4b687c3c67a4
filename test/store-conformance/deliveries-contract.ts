/** Contract: claims and leases, attempts and their outcomes, requeue, ordering keys, max_in_flight, disable. */
import { describe, expect, it } from 'vitest';
import type { OpenStore } from './conformance.ts';
import { attempt, claimOptions, deliveryOf, newEvent } from './fixtures.ts';

export function deliveryContract(open: OpenStore): void {
  describe('deliveries', () => {
    it('claims due deliveries with a lease; a lost lease records nothing; another worker takes over after expiry', async () => {
      const store = await open();
      const now = 2_000_000;
      const due = newEvent({ destinations: ['dest'], receivedAt: now - 10 });
      const later = newEvent({ destinations: ['dest'], receivedAt: now + 10 });
      await store.insertEvents([due, later]);
      const [claimed, ...rest] = await store.claimDeliveries(claimOptions({ now }));
      expect(rest).toEqual([]);
      expect(claimed).toMatchObject({
        eventId: due.id,
        destination: 'dest',
        attemptNumber: 1,
        manual: false,
        scheduleStep: 0,
        source: 'stripe',
        eventKey: due.eventKey,
        eventType: due.eventType,
        receivedAt: due.receivedAt,
      });
      expect(claimed!.payload.equals(due.payload)).toBe(true);
      expect(await store.claimDeliveries(claimOptions({ now, workerId: 'worker-b' }))).toEqual([]);
      // The lease expires: worker-b claims it; worker-a's late result is refused and leaves no trace.
      const taken = await store.claimDeliveries(claimOptions({ now: now + 30_000, workerId: 'worker-b' }));
      expect(taken.map((d) => d.id)).toContain(claimed!.id);
      expect(await store.completeAttempt(attempt(claimed!.id, { kind: 'delivered' }))).toBe(false);
      expect((await deliveryOf(store, due.id)).delivery).toMatchObject({ status: 'pending', attemptCount: 0, attempts: [] });
      expect(await store.completeAttempt(attempt(claimed!.id, { kind: 'delivered' }, { workerId: 'worker-b' }))).toBe(true);
      const { event, delivery } = await deliveryOf(store, due.id);
      expect(event.status).toBe('delivered');
      expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1, nextAttemptAt: null, lastError: null });
      expect(delivery.attempts).toMatchObject([{ attemptNumber: 1, statusCode: 200, durationMs: 12, responseSnippet: 'ok', manual: false }]);
      // Completed: never claimed again.
      expect((await store.claimDeliveries(claimOptions({ now: now + 100_000 }))).map((d) => d.eventId)).toEqual([later.id]);
    });

    it('schedules retries, then goes dead; destination health follows the outcomes', async () => {
      const store = await open();
      const event = newEvent({ destinations: ['dest'] });
      await store.insertEvents([event]);
      const [first] = await store.claimDeliveries(claimOptions());
      expect(
        await store.completeAttempt(attempt(first!.id, { kind: 'retry', nextAttemptAt: 2_005_000 }, { error: 'connect ECONNREFUSED', statusCode: null })),
      ).toBe(true);
      let { event: stored, delivery } = await deliveryOf(store, event.id);
      expect(stored.status).toBe('failed');
      expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: 2_005_000, attemptCount: 1, lastError: 'connect ECONNREFUSED' });
      expect(await store.claimDeliveries(claimOptions({ now: 2_004_999 }))).toEqual([]);
      const [second] = await store.claimDeliveries(claimOptions({ now: 2_005_000 }));
      expect(second).toMatchObject({ id: first!.id, attemptNumber: 2, scheduleStep: 1 });
      await store.completeAttempt(attempt(second!.id, { kind: 'dead' }, { startedAt: 2_005_000 }));
      ({ event: stored, delivery } = await deliveryOf(store, event.id));
      expect(stored.status).toBe('dead');
      expect(delivery).toMatchObject({ status: 'dead', nextAttemptAt: null, attemptCount: 2, lastError: 'HTTP 500' });
      expect(delivery.attempts.map((a) => a.attemptNumber)).toEqual([1, 2]);
      expect(await store.listDestinationStates()).toMatchObject([
        { name: 'dest', disabled: false, failureStreak: 2, lastFailureAt: 2_005_012, lastSuccessAt: null },
      ]);
      const dead = await store.listDeliveries({ limit: 10, status: 'dead' });
      expect(dead.items).toMatchObject([{ id: first!.id, source: 'stripe', eventKey: event.eventKey, status: 'dead' }]);
    });

    it('attempts finished at once are recorded as if one after another; a lost lease among them records nothing', async () => {
      const store = await open();
      const events = Array.from({ length: 5 }, () => newEvent({ destinations: ['dest', 'other'] }));
      await store.insertEvents(events);
      const destinations = [
        { name: 'dest', maxInFlight: 10 },
        { name: 'other', maxInFlight: 10 },
      ];
      const claimed = await store.claimDeliveries(claimOptions({ limit: 20, destinations }));
      expect(claimed).toHaveLength(10);
      const on = (destination: string, event: number) => claimed.find((d) => d.destination === destination && d.eventId === events[event]!.id)!.id;
      // Completed in the same tick: stores that record a tick's attempts together must give each its own answer.
      const kept = await Promise.all([
        store.completeAttempt(attempt(on('dest', 0), { kind: 'retry', nextAttemptAt: 2_100_000 }, { startedAt: 2_000_100 })),
        store.completeAttempt(attempt(on('dest', 1), { kind: 'retry', nextAttemptAt: 2_100_000 }, { startedAt: 2_000_200 })),
        store.completeAttempt(attempt(on('dest', 2), { kind: 'delivered' }, { startedAt: 2_000_300 })),
        store.completeAttempt(attempt(on('dest', 3), { kind: 'dead' }, { startedAt: 2_000_400 })),
        store.completeAttempt(attempt(on('dest', 4), { kind: 'delivered' }, { workerId: 'worker-b' })),
        ...events.map((_, i) => store.completeAttempt(attempt(on('other', i), { kind: 'delivered' }, { startedAt: 2_000_500 }))),
      ]);
      expect(kept).toEqual([true, true, true, true, false, true, true, true, true, true]);
      // One failure after the last success: the streak is 1, as recording them one by one would leave it.
      const states = await store.listDestinationStates();
      expect(states).toMatchObject([
        { name: 'dest', failureStreak: 1, lastSuccessAt: 2_000_312, lastFailureAt: 2_000_412 },
        { name: 'other', failureStreak: 0, lastSuccessAt: 2_000_512 },
      ]);
      const statuses = await Promise.all(events.map(async (e) => (await store.getEvent(e.id))!.status));
      expect(statuses).toEqual(['failed', 'failed', 'delivered', 'dead', 'received']);
      const lost = (await store.getEvent(events[4]!.id))!.deliveries.find((d) => d.destination === 'dest')!;
      expect(lost).toMatchObject({ status: 'pending', attemptCount: 0, attempts: [] });
    });

    it('an attempt that cannot be recorded fails alone; the others finished in the same tick are recorded', async () => {
      const store = await open();
      const events = Array.from({ length: 3 }, () => newEvent({ destinations: ['dest'] }));
      await store.insertEvents(events);
      const claimed = await store.claimDeliveries(claimOptions({ limit: 10, destinations: [{ name: 'dest', maxInFlight: 10 }] }));
      const of = (event: number) => claimed.find((d) => d.eventId === events[event]!.id)!.id;
      // The second reuses the first's attempt id: its insert breaks the attempts table's primary key.
      const results = await Promise.allSettled([
        store.completeAttempt(attempt(of(0), { kind: 'delivered' }, { attemptId: 'att_taken' })),
        store.completeAttempt(attempt(of(1), { kind: 'delivered' }, { attemptId: 'att_taken' })),
        store.completeAttempt(attempt(of(2), { kind: 'retry', nextAttemptAt: 9_000_000 })),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const deliveries = await Promise.all(events.map(async (e) => (await store.getEvent(e.id))!.deliveries[0]!));
      expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'pending', 'failed']);
      expect(deliveries[1]).toMatchObject({ attemptCount: 0, attempts: [] });
      // The streak counts the two recorded attempts in call order: a success, then a failure.
      expect((await store.listDestinationStates())[0]).toMatchObject({ name: 'dest', failureStreak: 1 });
    });

    it('requeue: a bulk retry restarts the schedule; a manual replay is one extra attempt that restores on failure', async () => {
      const store = await open();
      const [a, b, c] = [newEvent({ destinations: ['dest'] }), newEvent({ destinations: ['dest'] }), newEvent({ destinations: ['dest'] })];
      await store.insertEvents([a!, b!, c!]);
      const claimed = await store.claimDeliveries(claimOptions());
      await store.completeAttempt(attempt(claimed[0]!.id, { kind: 'dead' }));
      await store.completeAttempt(attempt(claimed[1]!.id, { kind: 'retry', nextAttemptAt: 9_000_000 }));
      // c stays leased (until 2_030_000): requeue skips an attempt in flight. Replaying `a` twice keeps what the
      // first replay interrupted.
      expect(await store.requeueDeliveries({ now: 2_010_000, statuses: ['dead', 'failed', 'pending'], manual: true, limit: 1 })).toBe(1);
      expect(await store.requeueDeliveries({ now: 2_010_000, statuses: ['dead', 'failed', 'pending'], manual: true })).toBe(2);
      expect(await store.requeueDeliveries({ now: 2_010_000, statuses: [], manual: true })).toBe(0);
      expect((await store.getEvent(a!.id))!.status).toBe('received');
      const replays = await store.claimDeliveries(claimOptions({ now: 2_010_000 }));
      expect(replays.map((d) => [d.eventId, d.manual, d.attemptNumber, d.scheduleStep])).toEqual([
        [a!.id, true, 2, 1],
        [b!.id, true, 2, 1],
      ]);
      for (const d of replays) await store.completeAttempt(attempt(d.id, { kind: 'restore' }, { startedAt: 2_010_000 }));
      expect((await deliveryOf(store, a!.id)).delivery).toMatchObject({ status: 'dead', nextAttemptAt: null, attemptCount: 2 });
      expect((await deliveryOf(store, b!.id)).delivery).toMatchObject({ status: 'failed', nextAttemptAt: 9_000_000, attemptCount: 2 });
      expect((await deliveryOf(store, b!.id)).delivery.attempts.map((x) => x.manual)).toEqual([false, true]);
      expect((await store.getEvent(a!.id))!.status).toBe('dead');
      await store.completeAttempt(attempt(claimed[2]!.id, { kind: 'delivered' }));
      // Bulk retry of dead ones: pending now, schedule back at step 0, attempts keep counting.
      expect(
        await store.requeueDeliveries({ now: 2_200_000, statuses: ['dead'], manual: false, source: 'stripe', destination: 'dest', since: 0, until: 9_999_999 }),
      ).toBe(1);
      expect(await store.requeueDeliveries({ now: 2_200_000, statuses: ['dead'], manual: false, source: 'paddle' })).toBe(0);
      const [retried] = await store.claimDeliveries(claimOptions({ now: 2_200_000 }));
      expect(retried).toMatchObject({ eventId: a!.id, manual: false, attemptNumber: 3, scheduleStep: 0 });
      // A successful replay of a failed delivery delivers it for good.
      expect(await store.requeueDeliveries({ now: 2_200_000, statuses: ['failed'], manual: true, eventId: b!.id })).toBe(1);
      const [replay] = (await store.claimDeliveries(claimOptions({ now: 2_200_000 }))).filter((d) => d.eventId === b!.id);
      await store.completeAttempt(attempt(replay!.id, { kind: 'delivered' }));
      expect((await deliveryOf(store, b!.id)).delivery).toMatchObject({ status: 'delivered', nextAttemptAt: null });
    });

    it('an event whose deliveries finish at the same moment in different workers gets the right status', async () => {
      const store = await open();
      // Two destinations, two workers, both attempts of each event completed at once: whichever commits second
      // must see the first one's outcome when it recomputes the event's status.
      const events = Array.from({ length: 60 }, () => newEvent({ destinations: ['d1', 'd2'] }));
      await store.insertEvents(events);
      const mine = (name: string, workerId: string) =>
        store.claimDeliveries(claimOptions({ workerId, limit: 100, destinations: [{ name, maxInFlight: 100 }] }));
      const [one, two] = await Promise.all([mine('d1', 'worker-a'), mine('d2', 'worker-b')]);
      expect(one.length + two.length).toBe(120);
      const byEvent = (list: typeof one, eventId: string) => list.find((c) => c.eventId === eventId)!.id;
      await Promise.all(
        events.map((e, i) =>
          Promise.all([
            store.completeAttempt(attempt(byEvent(one, e.id), { kind: 'delivered' }, { workerId: 'worker-a' })),
            store.completeAttempt(attempt(byEvent(two, e.id), i % 2 ? { kind: 'dead' } : { kind: 'delivered' }, { workerId: 'worker-b' })),
          ]),
        ),
      );
      expect((await store.stats()).events).toEqual({ received: 0, delivered: 30, failed: 0, dead: 30 });
    });

    it('releaseLeases gives back a worker’s leases so others can claim at once', async () => {
      const store = await open();
      await store.insertEvents([newEvent({ destinations: ['dest'] }), newEvent({ destinations: ['dest'] })]);
      expect(await store.claimDeliveries(claimOptions())).toHaveLength(2);
      expect(await store.releaseLeases('worker-b')).toBe(0);
      expect(await store.releaseLeases('worker-a')).toBe(2);
      expect(await store.claimDeliveries(claimOptions({ workerId: 'worker-b' }))).toHaveLength(2);
    });

    it('delivers one ordering key at a time, in order; other keys and unkeyed deliveries go ahead', async () => {
      const store = await open();
      const k1 = [0, 1, 2].map((i) => newEvent({ destinations: [['dest', 'cus_1']], receivedAt: 1_000_000 + i }));
      const k2 = newEvent({ destinations: [['dest', 'cus_2']], receivedAt: 1_000_010 });
      const free = newEvent({ destinations: ['dest'], receivedAt: 1_000_020 });
      const otherDest = newEvent({ destinations: [['other', 'cus_1']], receivedAt: 1_000_030 });
      await store.insertEvents([...k1, k2, free, otherDest]);
      const both = {
        destinations: [
          { name: 'dest', maxInFlight: 10 },
          { name: 'other', maxInFlight: 10 },
        ],
      };
      const first = await store.claimDeliveries(claimOptions(both));
      expect(first.map((d) => d.eventId).sort()).toEqual([k1[0]!.id, k2.id, free.id, otherDest.id].sort());
      const head = first.find((d) => d.eventId === k1[0]!.id)!;
      // A failed head with a retry scheduled still blocks the rest of its key.
      await store.completeAttempt(attempt(head.id, { kind: 'retry', nextAttemptAt: 2_010_000 }));
      expect(await store.claimDeliveries(claimOptions({ ...both, now: 2_001_000 }))).toEqual([]);
      const [again] = await store.claimDeliveries(claimOptions({ ...both, now: 2_010_000 }));
      expect(again!.id).toBe(head.id);
      await store.completeAttempt(attempt(head.id, { kind: 'delivered' }, { startedAt: 2_010_000 }));
      expect((await store.claimDeliveries(claimOptions({ ...both, now: 2_010_000 }))).map((d) => d.eventId)).toEqual([k1[1]!.id]);
    });

    it('an ordering key stays one at a time when an older event of the key is replayed while a newer one is in flight', async () => {
      const store = await open();
      const older = newEvent({ receivedAt: 1_000_000, destinations: [['dest', 'cus_1']] });
      await store.insertEvents([older]);
      const [first] = await store.claimDeliveries(claimOptions());
      await store.completeAttempt(attempt(first!.id, { kind: 'delivered' }));
      const newer = newEvent({ receivedAt: 1_000_500, destinations: [['dest', 'cus_1']] });
      await store.insertEvents([newer]);
      const [inFlight] = await store.claimDeliveries(claimOptions());
      expect(inFlight!.eventId).toBe(newer.id);
      // The replay puts the older (earlier) delivery back while the newer one is leased: it waits for it.
      expect(await store.requeueDeliveries({ now: 2_000_000, statuses: ['delivered'], eventId: older.id, manual: true })).toBe(1);
      expect(await store.claimDeliveries(claimOptions({ workerId: 'worker-b' }))).toEqual([]);
      await store.completeAttempt(attempt(inFlight!.id, { kind: 'delivered' }));
      expect((await store.claimDeliveries(claimOptions({ workerId: 'worker-b' }))).map((c) => [c.eventId, c.manual])).toEqual([[older.id, true]]);
    });

    it('never leases more than max_in_flight per destination, also with claimers racing', async () => {
      const store = await open();
      await store.insertEvents(Array.from({ length: 12 }, () => newEvent({ destinations: ['dest', 'other'] })));
      const limits = {
        destinations: [
          { name: 'dest', maxInFlight: 3 },
          { name: 'other', maxInFlight: 2 },
        ],
      };
      const results = await Promise.all(['w1', 'w2', 'w3', 'w4', 'w5'].map((workerId) => store.claimDeliveries(claimOptions({ ...limits, workerId }))));
      const all = results.flat();
      expect(all.filter((d) => d.destination === 'dest')).toHaveLength(3);
      expect(all.filter((d) => d.destination === 'other')).toHaveLength(2);
      expect(new Set(all.map((d) => d.id)).size).toBe(all.length);
      // A finished attempt frees its slot; an expired lease frees it too.
      const done = all.find((d) => d.destination === 'dest')!;
      const owner = results.findIndex((r) => r.includes(done));
      await store.completeAttempt(attempt(done.id, { kind: 'delivered' }, { workerId: `w${owner + 1}` }));
      expect((await store.claimDeliveries(claimOptions({ ...limits, workerId: 'w9' }))).map((d) => d.destination)).toEqual(['dest']);
      expect(await store.claimDeliveries(claimOptions({ ...limits, workerId: 'w9', now: 2_000_000 + 30_000, limit: 100 }))).toHaveLength(5);
    });

    it('never claims for a disabled destination; enabling it wakes subscribers', async () => {
      const store = await open();
      await store.insertEvents([newEvent({ destinations: ['dest'] })]);
      await store.setDestinationDisabled('dest', true, 'receiver gone', 2_000_000);
      expect(await store.listDestinationStates()).toMatchObject([{ name: 'dest', disabled: true, disabledReason: 'receiver gone' }]);
      expect(await store.claimDeliveries(claimOptions())).toEqual([]);
      let woken = 0;
      const unsubscribe = store.subscribeDue(() => woken++);
      await store.setDestinationDisabled('dest', false, null, 2_000_001);
      await waitFor(() => woken > 0);
      expect(await store.listDestinationStates()).toMatchObject([{ name: 'dest', disabled: false, disabledReason: null }]);
      expect(await store.claimDeliveries(claimOptions())).toHaveLength(1);
      unsubscribe();
    });

    it('wakes subscribers when an insert creates deliveries', async () => {
      const store = await open();
      let woken = 0;
      const unsubscribe = store.subscribeDue(() => woken++);
      await store.insertEvents([newEvent({ destinations: ['dest'] })]);
      await waitFor(() => woken > 0);
      unsubscribe();
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
