/** Contract: inserts and dedup, listing, detail, stats, audit chain and retention. */
import { describe, expect, it } from 'vitest';
import { verifyEntries } from '../../src/audit/chain.ts';
import { InvalidCursorError } from '../../src/store/cursor.ts';
import type { OpenStore } from './conformance.ts';
import { attempt, claimOptions, newEvent } from './fixtures.ts';

export function eventContract(open: OpenStore): void {
  describe('events', () => {
    it('stores an event with its exact bytes and headers and creates its deliveries due at receipt', async () => {
      const store = await open();
      const payload = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x28, 0x7d]); // not valid UTF-8: must survive as bytes
      const event = newEvent({ payload, destinations: ['dest', 'other'] });
      expect(await store.insertEvents([event])).toEqual([{ inserted: true, id: event.id }]);
      const stored = (await store.getEvent(event.id))!;
      expect(stored.payload.equals(payload)).toBe(true);
      expect(stored).toMatchObject({
        source: 'stripe',
        eventKey: event.eventKey,
        status: 'received',
        headers: event.headers,
        secretLabel: 'primary',
        payloadSha256: event.payloadSha256,
        receivedAt: event.receivedAt,
        providerCreatedAt: event.providerCreatedAt,
      });
      expect(stored.deliveries.map((d) => [d.destination, d.status, d.nextAttemptAt, d.attemptCount])).toEqual([
        ['dest', 'pending', event.receivedAt, 0],
        ['other', 'pending', event.receivedAt, 0],
      ]);
      expect(await store.getEvent('msg_missing')).toBeNull();
    });

    it('keeps every event of one batch byte-exact: empty, all 256 byte values, large, next to each other', async () => {
      const store = await open();
      const payloads = [
        Buffer.alloc(0),
        Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        Buffer.from('{}'),
        Buffer.alloc(300_000, 0xab),
        Buffer.from([0]),
      ];
      const events = payloads.map((payload, i) =>
        newEvent({
          payload,
          eventKey: `évt_ü_${i}_"quoted"\\back`,
          eventType: 'type.with "quotes" and \\ and ünïcode',
          headers: { 'x-odd': `a "b" \\ c ${i}`, 'x-json': '{"k":[1,2]}' },
          receivedAt: 1_000_000 + i,
        }),
      );
      expect((await store.insertEvents(events)).map((o) => o.inserted)).toEqual([true, true, true, true, true]);
      for (const [i, event] of events.entries()) {
        const stored = (await store.getEvent(event.id))!;
        expect(stored.payload.equals(payloads[i]!), `payload ${i}`).toBe(true);
        expect(stored).toMatchObject({ eventKey: event.eventKey, eventType: event.eventType, headers: event.headers, payloadSha256: event.payloadSha256 });
      }
    });

    it('dedups on (source, event key): replays insert nothing, a different payload is flagged as a conflict', async () => {
      const store = await open();
      const first = newEvent({ destinations: ['dest'] });
      await store.insertEvents([first]);
      const replay = newEvent({ eventKey: first.eventKey, payload: first.payload, destinations: ['dest'] });
      const changed = newEvent({ eventKey: first.eventKey, destinations: ['dest'] });
      const otherSource = newEvent({ eventKey: first.eventKey, source: 'paddle', destinations: ['dest'] });
      expect(await store.insertEvents([replay, changed, otherSource])).toEqual([
        { inserted: false, id: first.id, conflict: false },
        { inserted: false, id: first.id, conflict: true },
        { inserted: true, id: otherSource.id },
      ]);
      expect((await store.stats()).deliveries.pending).toBe(2);
    });

    it('copies of one key inside one batch give one insert and duplicates, in input order', async () => {
      const store = await open();
      const a = newEvent({ destinations: ['dest'] });
      const a2 = newEvent({ eventKey: a.eventKey, payload: a.payload, destinations: ['dest'] });
      const b = newEvent({ destinations: ['dest'] });
      const a3 = newEvent({ eventKey: a.eventKey, destinations: ['dest'] });
      expect(await store.insertEvents([a, a2, b, a3])).toEqual([
        { inserted: true, id: a.id },
        { inserted: false, id: a.id, conflict: false },
        { inserted: true, id: b.id },
        { inserted: false, id: a.id, conflict: true },
      ]);
      expect((await store.listEvents({ limit: 10 })).items).toHaveLength(2);
      expect((await store.stats()).deliveries.pending).toBe(2);
    });

    it('concurrent batches carrying the same keys, in different orders, store each key exactly once', async () => {
      const store = await open();
      // Providers retry while the first copy is still being stored, and group commit puts copies of the same
      // keys into concurrent batches in any order: none of those batches may fail (a failed batch is 503s).
      const rounds = 4;
      for (let round = 0; round < rounds; round++) {
        const keys = Array.from({ length: 40 }, (_, i) => `evt_race_${round}_${i}`);
        const orders = Array.from({ length: 6 }, (_, b) => {
          const rotated = [...keys.slice((b * 7) % keys.length), ...keys.slice(0, (b * 7) % keys.length)];
          return b % 2 ? rotated.reverse() : rotated;
        });
        const batches = orders.map((order) => order.map((eventKey) => newEvent({ eventKey, payload: Buffer.from(eventKey), destinations: ['dest'] })));
        const outcomes = (await Promise.all(batches.map((b) => store.insertEvents(b)))).flat();
        expect(outcomes.filter((o) => o.inserted)).toHaveLength(keys.length);
        expect(outcomes.filter((o) => !o.inserted && o.conflict)).toHaveLength(0);
      }
      const stats = await store.stats();
      expect(stats.events.received).toBe(rounds * 40);
      expect(stats.deliveries.pending).toBe(rounds * 40);
    });

    it('lists newest first with filters and a cursor that visits every event once', async () => {
      const store = await open();
      const events = Array.from({ length: 25 }, (_, i) =>
        newEvent({
          receivedAt: 1_000_000 + Math.floor(i / 3) * 1000,
          eventType: i % 2 ? 'charge.failed' : 'charge.succeeded',
          source: i % 5 ? 'stripe' : 'paddle',
          eventKey: `evt_${i % 4 ? 'a' : 'b'}_${i}`,
        }),
      );
      await store.insertEvents(events);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listEvents({ limit: 10, cursor });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...events].reverse().map((e) => e.id));
      const ids = async (query: Parameters<typeof store.listEvents>[0]) => (await store.listEvents(query)).items.map((e) => e.id).sort();
      const expected = (pick: (e: (typeof events)[number], i: number) => boolean) =>
        events
          .filter(pick)
          .map((e) => e.id)
          .sort();
      expect(await ids({ limit: 100, source: 'paddle' })).toEqual(expected((e) => e.source === 'paddle'));
      expect(await ids({ limit: 100, type: 'charge.failed' })).toEqual(expected((e) => e.eventType === 'charge.failed'));
      expect(await ids({ limit: 100, since: 1_003_000, until: 1_005_000 })).toEqual(expected((e) => e.receivedAt >= 1_003_000 && e.receivedAt <= 1_005_000));
      expect(await ids({ limit: 100, keyPrefix: 'evt_b_' })).toEqual(expected((e) => e.eventKey.startsWith('evt_b_')));
      expect(await ids({ limit: 100, keyPrefix: 'evt_%' })).toEqual([]); // a prefix, not a pattern
      expect(await ids({ limit: 100, status: 'delivered' })).toEqual([]);
      expect(await ids({ limit: 100, status: 'received', source: 'paddle', type: 'charge.succeeded' })).toEqual(
        expected((e) => e.source === 'paddle' && e.eventType === 'charge.succeeded'),
      );
      await expect(store.listEvents({ limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('stats, destination counts and activity count what is stored', async () => {
      const store = await open();
      await store.insertEvents([
        newEvent({ destinations: ['dest'], receivedAt: 1_000_000 }),
        newEvent({ destinations: ['dest', 'other'], receivedAt: 1_000_500 }),
        newEvent({ receivedAt: 1_001_000 }),
      ]);
      const [claimed] = await store.claimDeliveries(claimOptions({ limit: 1 }));
      await store.completeAttempt(attempt(claimed!.id, { kind: 'dead' }, { startedAt: 1_000_100 }));
      const stats = await store.stats();
      expect(stats).toEqual({
        events: { received: 2, delivered: 0, failed: 0, dead: 1 },
        deliveries: { pending: 2, failed: 0, delivered: 0, dead: 1 },
        oldestPendingAt: 1_000_500,
      });
      expect(await store.destinationCounts()).toEqual([
        { destination: 'dest', pending: 1, failed: 0, delivered: 0, dead: 1, oldestPendingAt: 1_000_500 },
        { destination: 'other', pending: 1, failed: 0, delivered: 0, dead: 0, oldestPendingAt: 1_000_500 },
      ]);
      const buckets = await store.activity(1_000_000, 1000);
      expect(buckets[0]).toEqual({ start: 1_000_000, eventsReceived: 2, attemptsFailed: 1 });
      expect(buckets[1]).toEqual({ start: 1_001_000, eventsReceived: 1, attemptsFailed: 0 });
      // In-process handlers answer no status code: a success (no error) is not a failed attempt, a throw is.
      const [byHandler] = await store.claimDeliveries(claimOptions({ limit: 1 }));
      await store.completeAttempt(attempt(byHandler!.id, { kind: 'delivered' }, { startedAt: 1_001_100, statusCode: null, error: null }));
      const [other] = await store.claimDeliveries(claimOptions({ limit: 1, destinations: [{ name: 'other', maxInFlight: 1 }] }));
      await store.completeAttempt(
        attempt(other!.id, { kind: 'retry', nextAttemptAt: 3_000_000 }, { startedAt: 1_001_200, statusCode: null, error: 'handler threw' }),
      );
      expect((await store.activity(1_000_000, 1000))[1]).toEqual({ start: 1_001_000, eventsReceived: 1, attemptsFailed: 1 });
    });
  });

  describe('audit chain and retention', () => {
    it('seals events per source in receipt order, verifiably, and prunes only delivered sealed events', async () => {
      const store = await open();
      const events = Array.from({ length: 7 }, (_, i) => newEvent({ source: i % 3 ? 'stripe' : 'paddle', receivedAt: 1_000_000 + i, destinations: ['dest'] }));
      await store.insertEvents(events);
      // A backend may seal as it inserts (SQLite) or afterwards (PostgreSQL): drain what is left, `limit` at a time.
      let sealed = 0;
      for (let n = await store.sealAudit(4, 5_000_000); n > 0; n = await store.sealAudit(4, 5_000_001)) {
        expect(n).toBeLessThanOrEqual(4);
        sealed += n;
      }
      expect([0, 7]).toContain(sealed);
      expect(await store.sealAudit(100, 5_000_002)).toBe(0);
      expect(await store.auditSources()).toEqual(['paddle', 'stripe']);
      const stripeEntries = await store.listAuditEntries('stripe', 0, 100);
      expect(stripeEntries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(stripeEntries.map((e) => e.eventId)).toEqual(events.filter((e) => e.source === 'stripe').map((e) => e.id));
      expect(verifyEntries(stripeEntries)).toMatchObject({ ok: true, entries: 4 });
      expect(verifyEntries(await store.listAuditEntries('paddle', 0, 100))).toMatchObject({ ok: true, entries: 3 });
      expect((await store.listAuditEntries('stripe', 2, 1)).map((e) => e.seq)).toEqual([3]);

      // Deliver all but the last stripe event, then an unsealed delivered event: only sealed + delivered + old go.
      const claimed = await store.claimDeliveries(claimOptions({ limit: 100 }));
      const keep = events[6]!.id;
      for (const d of claimed) if (d.eventId !== keep) await store.completeAttempt(attempt(d.id, { kind: 'delivered' }));
      const unsealed = newEvent({ receivedAt: 1_000_010 });
      await store.insertEvents([unsealed]);
      expect(await store.pruneDelivered({ before: 1_000_005, source: 'paddle', now: 3_000_000, limit: 100 })).toBe(2); // paddle events at +0 and +3 (+6 is kept: not delivered)
      expect(await store.pruneDelivered({ before: 2_000_000, now: 3_000_000, limit: 3 })).toBe(3);
      expect(await store.pruneDelivered({ before: 2_000_000, now: 3_000_000, limit: 3 })).toBe(1);
      expect(await store.getEvent(events[1]!.id)).toBeNull();
      expect(await store.getEvent(keep)).not.toBeNull();
      expect(await store.getEvent(unsealed.id)).not.toBeNull();
      // The four pruned stripe events keep their entries; `unsealed` follows them if the backend sealed it at insert,
      // then the checkpoints of the two stripe prunes name them.
      const after = await store.listAuditEntries('stripe', 0, 100);
      expect(after.slice(0, 4).map((e) => [e.eventId, e.event])).toEqual(stripeEntries.map((e) => [e.eventId, null]));
      const rest = after.slice(4).filter((e) => e.kind === 'event');
      expect(rest.map((e) => e.eventId)).toEqual(sealed ? [] : [unsealed.id]);
      const checkpoints = after.filter((e) => e.kind === 'checkpoint');
      expect(checkpoints.flatMap((c) => c.pruned).sort()).toEqual(
        stripeEntries
          .slice(0, 4)
          .map((e) => e.eventId)
          .sort(),
      );
      expect(after.slice(0, 4).every((e) => e.prunedBy !== null && checkpoints.some((c) => c.seq === e.prunedBy))).toBe(true);
      expect(verifyEntries(after)).toMatchObject({ ok: true, entries: after.length });
      expect(verifyEntries(await store.listAuditEntries('paddle', 0, 100))).toMatchObject({ ok: true, entries: 4 });
    });
  });
}
