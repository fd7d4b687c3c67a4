/**
 * Contract: replays by content digest, dedupe tombstones left by retention (and their expiry), and the audit chain
 * against an intruder who edits or deletes event rows; a known-answer vector pins the hashes both backends seal.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryHash, GENESIS, verifyEntries } from '../../src/audit/chain.ts';
import type { Store } from '../../src/store/types.ts';
import type { ExecuteSql, OpenStore } from './conformance.ts';
import { attempt, claimOptions, newEvent } from './fixtures.ts';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/** Seal whatever the backend has not sealed yet, then verify one source's whole chain. */
async function verify(store: Store, source = 'stripe') {
  while ((await store.sealAudit(500, 5_000_000)) > 0);
  return verifyEntries(await store.listAuditEntries(source, 0, 1000));
}

/** Deliver every due delivery. */
async function deliverAll(store: Store) {
  for (const d of await store.claimDeliveries(claimOptions({ limit: 100 }))) await store.completeAttempt(attempt(d.id, { kind: 'delivered' }));
}

export function replayAndAuditContract(open: OpenStore, execute: ExecuteSql): void {
  describe('replays by content digest', () => {
    it('the same signed content is a replay under any key; the same key is a replay whatever its digest', async () => {
      const store = await open();
      const first = newEvent({ contentDigest: digest('signed a'), destinations: ['dest'] });
      expect(await store.insertEvents([first])).toEqual([{ inserted: true, id: first.id }]);
      const freshId = newEvent({ contentDigest: first.contentDigest, payload: first.payload, destinations: ['dest'] });
      const sameKey = newEvent({ eventKey: first.eventKey, payload: first.payload, contentDigest: digest('other'), destinations: ['dest'] });
      // Copies of one digest inside a batch, under different keys: one is stored, the other answers as its replay.
      const x = newEvent({ contentDigest: digest('signed x'), destinations: ['dest'] });
      const x2 = newEvent({ contentDigest: x.contentDigest, destinations: ['dest'] });
      // Events without a digest never meet on it.
      const [n1, n2] = [newEvent({ contentDigest: null, destinations: ['dest'] }), newEvent({ destinations: ['dest'] })];
      const outcomes = await store.insertEvents([freshId, sameKey, x, x2, n1!, n2!]);
      expect(outcomes.slice(0, 2)).toEqual([
        { inserted: false, id: first.id, conflict: false },
        { inserted: false, id: first.id, conflict: false },
      ]);
      const xs = outcomes.slice(2, 4);
      expect(xs.filter((o) => o.inserted)).toHaveLength(1);
      expect(xs.find((o) => !o.inserted)).toEqual({ inserted: false, id: xs.find((o) => o.inserted)!.id, conflict: false });
      expect(outcomes.slice(4)).toEqual([
        { inserted: true, id: n1!.id },
        { inserted: true, id: n2!.id },
      ]);
      expect((await store.listEvents({ limit: 50 })).items).toHaveLength(4);
      expect((await store.stats()).deliveries.pending).toBe(4);
      // A digest is unique per source only.
      expect(await store.insertEvents([newEvent({ source: 'paddle', contentDigest: first.contentDigest })])).toMatchObject([{ inserted: true }]);
    });
  });

  describe('dedupe tombstones', () => {
    it('a pruned event stays a replay by key and by digest until dedupe_days; no read shows its tombstone', async () => {
      const store = await open();
      const event = newEvent({ contentDigest: digest('pruned one'), destinations: ['dest'], receivedAt: 1_000_000 });
      const kept = newEvent({ destinations: ['dest'], receivedAt: 1_000_001 });
      await store.insertEvents([event, kept]);
      const [claimed] = await store.claimDeliveries(claimOptions({ limit: 1 }));
      expect(claimed!.eventId).toBe(event.id);
      await store.completeAttempt(attempt(claimed!.id, { kind: 'delivered' }));
      while ((await store.sealAudit(500, 1_500_000)) > 0);
      expect(await store.pruneDelivered({ before: 1_500_000, now: 3_000_000, limit: 100 })).toBe(1);

      expect((await store.listEvents({ limit: 50 })).items.map((e) => e.id)).toEqual([kept.id]);
      expect(await store.getEvent(event.id)).toBeNull();
      expect((await store.stats()).events).toEqual({ received: 1, delivered: 0, failed: 0, dead: 0 });
      expect(await store.activity(0, 10_000_000)).toEqual([{ start: 0, eventsReceived: 1, attemptsFailed: 0 }]);
      expect((await store.listDeliveries({ limit: 50 })).items.map((d) => d.eventId)).toEqual([kept.id]);
      expect(await store.destinationCounts()).toEqual([{ destination: 'dest', pending: 1, failed: 0, delivered: 0, dead: 0, oldestPendingAt: 1_000_001 }]);

      const byKey = newEvent({ eventKey: event.eventKey, payload: event.payload, destinations: ['dest'] });
      const byDigest = newEvent({ contentDigest: event.contentDigest, destinations: ['dest'] });
      expect(await store.insertEvents([byKey, byDigest])).toEqual([
        { inserted: false, id: event.id, conflict: false },
        { inserted: false, id: event.id, conflict: false },
      ]);
      expect((await store.claimDeliveries(claimOptions({ limit: 10 }))).map((d) => d.eventId)).toEqual([kept.id]);
      expect(await verify(store)).toMatchObject({ ok: true });

      // Expiry is strict: a tombstone pruned at 3_000_000 goes at a cutoff after it, then its keys are free again.
      expect(await store.expireTombstones(3_000_000, 100)).toBe(0);
      expect(await store.expireTombstones(3_000_001, 100)).toBe(1);
      expect(await verify(store)).toMatchObject({ ok: true });
      const again = newEvent({ eventKey: event.eventKey, contentDigest: event.contentDigest });
      expect(await store.insertEvents([again])).toEqual([{ inserted: true, id: again.id }]);
      expect(await verify(store)).toMatchObject({ ok: true });
    });
  });

  describe('audit chain against edited rows', () => {
    it('names the event whose covered column changed, whose row is gone, or that was made a tombstone outside retention', async () => {
      const store = await open();
      const events = Array.from({ length: 12 }, (_, i) => newEvent({ contentDigest: digest(`tamper ${i}`), receivedAt: 1_000_000 + i }));
      await store.insertEvents(events);
      expect(await verify(store)).toMatchObject({ ok: true, entries: 12 });
      const other = events[11]!.id;
      // Each change goes to an earlier event than the one before, so the first broken link is always the newest change.
      const changes = [
        "source = 'paddle'",
        "event_key = 'evt_edited'",
        "event_type = 'charge.refunded'",
        'provider_created_at = 1',
        'received_at = 1',
        "secret_label = 'secondary'",
        'content_digest = NULL',
        `headers = '{}'`,
        `payload = (SELECT payload FROM events WHERE id = '${other}')`,
      ];
      for (const [i, change] of changes.entries()) {
        const victim = events[10 - i]!;
        await execute(`UPDATE events SET ${change} WHERE id = '${victim.id}'`);
        expect(await verify(store), change).toMatchObject({ ok: false, brokenAt: { eventId: victim.id, reason: expect.stringContaining('content differs') } });
      }
      // status moves with every delivery attempt: not covered.
      await execute(`UPDATE events SET status = 'dead' WHERE id = '${events[11]!.id}'`);
      expect(await verify(store)).toMatchObject({ ok: false, brokenAt: { eventId: events[10 - changes.length + 1]!.id } });
      await execute(`UPDATE events SET pruned_at = 1 WHERE id = '${events[1]!.id}'`);
      expect(await verify(store)).toMatchObject({
        ok: false,
        brokenAt: { eventId: events[1]!.id, reason: expect.stringContaining('no retention checkpoint') },
      });
      await execute(`DELETE FROM events WHERE id = '${events[0]!.id}'`);
      expect(await verify(store)).toMatchObject({
        ok: false,
        entries: 0,
        brokenAt: { seq: 1, eventId: events[0]!.id, reason: expect.stringContaining('no retention checkpoint') },
      });
    });

    it('a forged "pruned" mark for a deleted row breaks the checkpoint it points at', async () => {
      const store = await open();
      const events = Array.from({ length: 3 }, (_, i) => newEvent({ destinations: i === 0 ? ['dest'] : [], receivedAt: 1_000_000 + i }));
      await store.insertEvents(events);
      await deliverAll(store);
      while ((await store.sealAudit(500, 1_500_000)) > 0);
      expect(await store.pruneDelivered({ before: 2_000_000, now: 3_000_000, limit: 10 })).toBe(1);
      const entries = await store.listAuditEntries('stripe', 0, 100);
      expect(verifyEntries(entries)).toMatchObject({ ok: true, entries: 4 });
      const checkpoint = entries.find((e) => e.kind === 'checkpoint')!;
      expect(checkpoint).toMatchObject({ seq: 4, pruned: [events[0]!.id] });
      await execute(`DELETE FROM events WHERE id = '${events[2]!.id}'`);
      await execute(`INSERT INTO audit_pruned (event_id, source, position) VALUES ('${events[2]!.id}', 'stripe', 4)`);
      expect(await verify(store)).toMatchObject({
        ok: false,
        brokenAt: { seq: 4, eventId: checkpoint.eventId, reason: expect.stringContaining('checkpoint') },
      });
    });

    it('seals a fixed event to fixed hashes (known answer, the same on every backend)', async () => {
      const store = await open();
      const event = newEvent({
        id: 'msg_known_answer',
        source: 'kat',
        eventKey: 'evt_kat',
        eventType: 'charge.succeeded',
        providerCreatedAt: 1_700_000_000,
        receivedAt: 1_700_000_000_123,
        payload: Buffer.from('{"id":"evt_kat"}'),
        headers: { 'content-type': 'application/json', 'x-ünï': 'ça' },
        secretLabel: 'primary',
        contentDigest: 'ab'.repeat(32),
      });
      await store.insertEvents([event]);
      while ((await store.sealAudit(500, 1_700_000_001_000)) > 0);
      const [entry] = await store.listAuditEntries('kat', 0, 10);
      // Computed independently from the encoding in src/audit/chain.ts (a short Python script), not by this code.
      const content = '050214225256cf61660dc649b6a603eb8c82e5d2352abf02c6e78384999909b3';
      expect(entry).toMatchObject({
        seq: 1,
        eventId: 'msg_known_answer',
        kind: 'event',
        hashVersion: 2,
        prevHash: GENESIS,
        contentHash: content,
        entryHash: entryHash(GENESIS, content),
      });
      expect(entry!.entryHash).toBe('cb2380ea8a1f7086cf4ce341d6732d07d1958e276880405417584ae394a7b099');
    });
  });
}
