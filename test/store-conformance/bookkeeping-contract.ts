/**
 * Contract: delivery bookkeeping under group commit. Claims, attempt records and requeues made at once share
 * transactions (src/store/group-commit.ts); each still gets exactly its own answer, and one that fails alone
 * fails nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../src/store/types.ts';
import type { OpenStore } from './conformance.ts';
import { attempt, claimOptions, newEvent } from './fixtures.ts';

export function bookkeepingContract(open: OpenStore): void {
  describe('bookkeeping made at once', () => {
    it('claims made at once by many workers hand each due delivery to exactly one of them', async () => {
      const store = await open();
      const events = Array.from({ length: 40 }, () => newEvent({ destinations: ['dest'] }));
      await store.insertEvents(events);
      const workers = Array.from({ length: 8 }, (_, i) => `worker-${i}`);
      const claims = await Promise.all(
        workers.map((workerId) => store.claimDeliveries(claimOptions({ workerId, limit: 10, destinations: [{ name: 'dest', maxInFlight: 100 }] }))),
      );
      const all = claims.flat();
      expect(all).toHaveLength(40);
      expect(new Set(all.map((d) => d.id)).size).toBe(40);
      expect(new Set(all.map((d) => d.eventId))).toEqual(new Set(events.map((e) => e.id)));
      // Each worker holds what it was handed: its own attempt records are kept, another's are refused.
      const [mine] = claims.find((c) => c.length > 0)!;
      const owner = workers[claims.findIndex((c) => c.includes(mine!))]!;
      const stranger = workers.find((w) => w !== owner)!;
      expect(await store.completeAttempt(attempt(mine!.id, { kind: 'delivered' }, { workerId: stranger }))).toBe(false);
      expect(await store.completeAttempt(attempt(mine!.id, { kind: 'delivered' }, { workerId: owner }))).toBe(true);
    });

    it('many attempts recorded at once all land with their outcomes, the streak counted in call order', async () => {
      const store = await open();
      const events = Array.from({ length: 50 }, () => newEvent({ destinations: ['dest'] }));
      await store.insertEvents(events);
      const claimed = await store.claimDeliveries(claimOptions({ limit: 50, destinations: [{ name: 'dest', maxInFlight: 50 }] }));
      expect(claimed).toHaveLength(50);
      const outcomeOf = (i: number): AttemptOutcome => (i < 45 ? { kind: 'delivered' } : { kind: 'retry', nextAttemptAt: 9_000_000 });
      const kept = await Promise.all(claimed.map((d, i) => store.completeAttempt(attempt(d.id, outcomeOf(i)))));
      expect(kept.every(Boolean)).toBe(true);
      const stats = await store.stats();
      expect(stats.deliveries).toMatchObject({ delivered: 45, failed: 5, pending: 0 });
      expect(stats.events).toMatchObject({ delivered: 45, failed: 5 });
      expect((await store.listDestinationStates())[0]).toMatchObject({ name: 'dest', failureStreak: 5 });
    });

    it('a claim sees the attempts completed before it was called: their leases are room, in the same tick', async () => {
      const store = await open();
      const events = Array.from({ length: 6 }, () => newEvent({ destinations: ['dest'] }));
      await store.insertEvents(events);
      const limits = { destinations: [{ name: 'dest', maxInFlight: 2 }] };
      const first = await store.claimDeliveries(claimOptions(limits));
      expect(first.map((d) => d.eventId)).toEqual([events[0]!.id, events[1]!.id]);
      // A worker hands over both finished attempts and claims at once, without waiting for the records.
      const recorded = first.map((d, i) => store.completeAttempt(attempt(d.id, i === 0 ? { kind: 'delivered' } : { kind: 'retry', nextAttemptAt: 1_000_000 })));
      const next = store.claimDeliveries(claimOptions({ ...limits, limit: 10 }));
      expect(await Promise.all(recorded)).toEqual([true, true]);
      // The retry is due at once and oldest: it comes back first, with the next event; max_in_flight still holds.
      expect((await next).map((d) => [d.eventId, d.attemptNumber])).toEqual([
        [events[1]!.id, 2],
        [events[2]!.id, 1],
      ]);
      expect(await store.claimDeliveries(claimOptions({ ...limits, workerId: 'worker-b' }))).toEqual([]);
    });

    it('inserts, claims, attempt records and a requeue made in the same tick all land; an attempt that cannot be recorded fails alone', async () => {
      const store = await open();
      const leased = Array.from({ length: 3 }, () => newEvent({ destinations: ['dest'] }));
      const dead = newEvent({ destinations: ['dest'] });
      const elsewhere = newEvent({ destinations: ['other'] });
      await store.insertEvents([dead, ...leased, elsewhere]);
      const [first] = await store.claimDeliveries(claimOptions({ limit: 1 }));
      expect(first!.eventId).toBe(dead.id);
      await store.completeAttempt(attempt(first!.id, { kind: 'dead' }));
      const claimed = await store.claimDeliveries(claimOptions({ limit: 3 }));
      const arriving = [newEvent({ destinations: ['dest'] }), newEvent({ destinations: ['dest'] })];

      const [inserted, a, b, c, other, requeued] = await Promise.allSettled([
        store.insertEvents(arriving),
        store.completeAttempt(attempt(claimed[0]!.id, { kind: 'delivered' }, { attemptId: 'att_shared' })),
        // Reuses the first one's attempt id: its insert breaks the attempts table's primary key.
        store.completeAttempt(attempt(claimed[1]!.id, { kind: 'delivered' }, { attemptId: 'att_shared' })),
        store.completeAttempt(attempt(claimed[2]!.id, { kind: 'retry', nextAttemptAt: 9_000_000 })),
        store.claimDeliveries(claimOptions({ workerId: 'worker-b', destinations: [{ name: 'other', maxInFlight: 10 }] })),
        store.requeueDeliveries({ now: 2_000_000, statuses: ['dead'], manual: false }),
      ]);
      expect([inserted, a, b, c, other, requeued].map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(inserted).toMatchObject({ value: arriving.map((e) => ({ inserted: true, id: e.id })) });
      expect(other).toMatchObject({ value: [{ eventId: elsewhere.id, destination: 'other' }] });
      expect(requeued).toMatchObject({ value: 1 });
      const status = async (id: string) => (await store.getEvent(id))!.deliveries[0]!;
      expect(await Promise.all(claimed.map((d) => status(d.eventId)))).toMatchObject([
        { status: 'delivered', attemptCount: 1 },
        { status: 'pending', attemptCount: 0, attempts: [] },
        { status: 'failed', attemptCount: 1 },
      ]);
      expect(await status(dead.id)).toMatchObject({ status: 'pending', attemptCount: 1 });
      expect(await Promise.all(arriving.map((e) => status(e.id)))).toMatchObject([{ status: 'pending' }, { status: 'pending' }]);
    });
  });
}
