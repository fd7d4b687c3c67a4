import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checkpointContentHash, entryHash, eventContentHash, GENESIS, legacyContentHash, verifyEntries, type AuditContent, type AuditEntry } from './chain.ts';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

function entry(seq: number, prev: string, fields: Partial<AuditEntry> & Pick<AuditEntry, 'contentHash'>): AuditEntry {
  const hashVersion = fields.hashVersion ?? 2;
  return {
    seq,
    source: 'stripe',
    eventId: `msg_${seq}`,
    kind: 'event',
    hashVersion,
    prevHash: prev,
    entryHash: entryHash(prev, fields.contentHash, hashVersion),
    event: null,
    prunedBy: null,
    pruned: [],
    ...fields,
  };
}

function chain(events: AuditContent[]): AuditEntry[] {
  let prev = GENESIS;
  return events.map((event, i) => {
    const e = entry(i + 1, prev, { contentHash: eventContentHash(event, sha256(event.payload)), event: { ...event, payload: Buffer.from(event.payload) } });
    prev = e.entryHash;
    return e;
  });
}

const events: AuditContent[] = Array.from({ length: 5 }, (_, i) => ({
  source: 'stripe',
  eventKey: `evt_${i}`,
  eventType: 'charge.succeeded',
  providerCreatedAt: 1_700_000_000 + i,
  receivedAt: 1_700_000_000_000 + i,
  secretLabel: 'primary',
  contentDigest: sha256(`digest ${i}`),
  headersJson: JSON.stringify({ 'stripe-signature': `t=1,v1=${i}`, 'content-type': 'application/json' }),
  payload: Buffer.from(`{"id":"evt_${i}"}`),
}));

describe('audit chain', () => {
  it('verifies an intact chain and reports its head', () => {
    const entries = chain(events);
    expect(verifyEntries(entries)).toEqual({ ok: true, entries: 5, head: entries[4]!.entryHash });
  });

  it('reports the first altered byte of a payload', () => {
    const entries = chain(events);
    const payload = entries[2]!.event!.payload;
    payload[3] = payload[3]! ^ 1;
    expect(verifyEntries(entries)).toMatchObject({ ok: false, entries: 2, brokenAt: { seq: 3, reason: expect.stringContaining('content differs') } });
  });

  it.each([
    ['source', { source: 'paddle' }],
    ['event key', { eventKey: 'evt_other' }],
    ['event type', { eventType: 'charge.refunded' }],
    ['provider created at', { providerCreatedAt: null }],
    ['received at', { receivedAt: 1 }],
    ['secret label', { secretLabel: 'secondary' }],
    ['content digest', { contentDigest: null }],
    ['headers', { headersJson: '{"content-type":"text/plain"}' }],
  ] as [string, Partial<AuditContent>][])('reports a changed %s', (_name, change) => {
    const entries = chain(events);
    Object.assign(entries[1]!.event!, change);
    expect(verifyEntries(entries)).toMatchObject({ ok: false, brokenAt: { seq: 2, eventId: 'msg_2', reason: expect.stringContaining('content differs') } });
  });

  it('reports removed or reordered entries', () => {
    const removed = chain(events);
    removed.splice(1, 1);
    expect(verifyEntries(removed)).toMatchObject({ ok: false, brokenAt: { seq: 3, reason: expect.stringContaining('removed') } });
  });

  it('a missing event passes only when a later checkpoint names it; the checkpoint is verified over its list', () => {
    const entries = chain(events);
    entries[0]!.event = null;
    entries[1]!.event = null;
    expect(verifyEntries(entries)).toMatchObject({
      ok: false,
      entries: 0,
      brokenAt: { seq: 1, eventId: 'msg_1', reason: expect.stringContaining('no retention checkpoint') },
    });
    const ids = ['msg_2', 'msg_1'];
    const checkpoint = entry(6, entries[4]!.entryHash, {
      kind: 'checkpoint',
      eventId: 'chk_6_stripe',
      contentHash: checkpointContentHash('stripe', ids),
      pruned: ids,
    });
    entries[0]!.prunedBy = 6;
    entries[1]!.prunedBy = 6;
    expect(verifyEntries([...entries, checkpoint])).toMatchObject({ ok: true, entries: 6 });
    // A checkpoint before the event cannot have pruned it; a forged name in the checkpoint's list breaks it.
    entries[1]!.prunedBy = 1;
    expect(verifyEntries([...entries, checkpoint])).toMatchObject({ ok: false, brokenAt: { seq: 2 } });
    entries[1]!.prunedBy = 6;
    expect(verifyEntries([...entries, { ...checkpoint, pruned: [...ids, 'msg_3'] }])).toMatchObject({
      ok: false,
      brokenAt: { seq: 6, reason: expect.stringContaining('checkpoint') },
    });
  });

  it('a version-2 entry relabelled as version 1 (whose missing rows pass as pruned) breaks the chain', () => {
    const entries = chain(events);
    entries[2]!.event = null;
    entries[2]!.hashVersion = 1;
    expect(verifyEntries(entries)).toMatchObject({ ok: false, brokenAt: { seq: 3, reason: expect.stringContaining('entry hash') } });
  });

  it('does not confuse field boundaries or a null with an empty value', () => {
    const base = events[0]!;
    expect(eventContentHash({ ...base, source: 'ab', eventKey: 'c' }, 'x')).not.toBe(eventContentHash({ ...base, source: 'a', eventKey: 'bc' }, 'x'));
    expect(eventContentHash({ ...base, secretLabel: null }, 'x')).not.toBe(eventContentHash({ ...base, secretLabel: '' }, 'x'));
    expect(eventContentHash({ ...base, providerCreatedAt: null, secretLabel: '-' }, 'x')).not.toBe(
      eventContentHash({ ...base, providerCreatedAt: null, secretLabel: null }, 'x'),
    );
  });

  // Pinned: the exact version-2 encoding (see eventContentHash's doc); the conformance suite pins the same values
  // as sealed by each backend.
  it('keeps the version-2 encoding', () => {
    const content = {
      source: 'stripé',
      eventKey: 'evt_1',
      eventType: 'charge.succeeded',
      providerCreatedAt: 1700000000,
      receivedAt: 1700000000123,
      secretLabel: 'primary',
      contentDigest: 'ab'.repeat(32),
      headersJson: '{"stripe-signature":"t=1,v1=ab","x-ünï":"ça"}',
    };
    const payloadSha = sha256(Buffer.from([0, 1, 2, 255, 0x7b]));
    const text =
      '20:filab.audit.event.v2' +
      '7:stripé' +
      '5:evt_1' +
      '16:charge.succeeded' +
      '10:1700000000' +
      '13:1700000000123' +
      '7:primary' +
      `64:${'ab'.repeat(32)}` +
      `64:${payloadSha}` +
      `64:${sha256(content.headersJson)}`;
    expect(eventContentHash(content, payloadSha)).toBe(sha256(text));
    expect(eventContentHash(content, payloadSha)).toBe('114102d08f773e0139befa1a00b3bfebd7cb868e1a54f617bf29ca4c4d389a9e');
    expect(entryHash(GENESIS, 'c'.repeat(64))).toBe(sha256(`v2:${GENESIS}:${'c'.repeat(64)}`));
    expect(checkpointContentHash('stripe', ['msg_b', 'msg_a'])).toBe(sha256('25:filab.audit.checkpoint.v2' + '6:stripe' + '1:2' + '5:msg_a' + '5:msg_b'));
  });

  // Pinned: chains sealed by earlier versions must keep verifying. The expected value was computed by the
  // original field-by-field encoding (one hash update per length prefix and per field, payload hashed at seal).
  it('keeps the version-1 encoding of existing chains (multi-byte UTF-8 in names and values, binary payload)', () => {
    const content = {
      source: 'stripé',
      eventKey: 'evt_1',
      receivedAt: 1700000000123,
      headers: { 'stripe-signature': 't=1,v1=ab', 'content-type': 'application/json', 'x-ünï': 'ça' },
    };
    const expected = 'dabf529d108b420fd1ea5b936e3a81c1a408e740ee07cca7ced01b68e035cfbd';
    expect(legacyContentHash(content, sha256(Buffer.from([0, 1, 2, 255, 0x7b])))).toBe(expected);
    expect(entryHash(GENESIS, expected, 1)).toBe(sha256(`${GENESIS}:${expected}`));
    // A version-1 entry whose row is gone passes, as it did (pruning wrote no checkpoint then).
    const legacy = entry(1, GENESIS, { hashVersion: 1, contentHash: expected });
    expect(verifyEntries([legacy])).toMatchObject({ ok: true, entries: 1 });
  });
});
