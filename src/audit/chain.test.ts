import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { contentHash, contentHashWithDigest, entryHash, GENESIS, verifyEntries, type AuditContent, type AuditEntry } from './chain.ts';

function chain(events: AuditContent[]): AuditEntry[] {
  let prev = GENESIS;
  return events.map((event, i) => {
    const content = contentHash(event);
    const entry = { seq: i + 1, eventId: `msg_${i}`, contentHash: content, prevHash: prev, entryHash: entryHash(prev, content), event: { ...event, payload: Buffer.from(event.payload) } };
    prev = entry.entryHash;
    return entry;
  });
}

const events: AuditContent[] = Array.from({ length: 5 }, (_, i) => ({
  source: 'stripe',
  eventKey: `evt_${i}`,
  receivedAt: 1_700_000_000_000 + i,
  headers: { 'stripe-signature': `t=1,v1=${i}`, 'content-type': 'application/json' },
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

  it('reports altered headers, keys and times, and removed or reordered entries', () => {
    const header = chain(events);
    header[1]!.event!.headers['content-type'] = 'text/plain';
    expect(verifyEntries(header)).toMatchObject({ ok: false, brokenAt: { seq: 2 } });
    const time = chain(events);
    time[4]!.event!.receivedAt += 1;
    expect(verifyEntries(time)).toMatchObject({ ok: false, brokenAt: { seq: 5 } });
    const removed = chain(events);
    removed.splice(1, 1);
    expect(verifyEntries(removed)).toMatchObject({ ok: false, brokenAt: { seq: 3, reason: expect.stringContaining('removed') } });
  });

  it('still verifies when events were pruned (their content hash stands as a checkpoint)', () => {
    const entries = chain(events);
    entries[0]!.event = null;
    entries[1]!.event = null;
    expect(verifyEntries(entries)).toMatchObject({ ok: true, entries: 5 });
  });

  it('does not confuse field boundaries', () => {
    const a = contentHash({ ...events[0]!, source: 'ab', eventKey: 'c' });
    const b = contentHash({ ...events[0]!, source: 'a', eventKey: 'bc' });
    expect(a).not.toBe(b);
  });

  // Pinned: chains sealed by earlier versions must keep verifying. The expected value was computed by the
  // original field-by-field encoding (one hash update per length prefix and per field, payload hashed at seal).
  it('keeps the encoding of existing chains (multi-byte UTF-8 in names and values, binary payload)', () => {
    const content = {
      source: 'stripé',
      eventKey: 'evt_1',
      receivedAt: 1700000000123,
      headers: { 'stripe-signature': 't=1,v1=ab', 'content-type': 'application/json', 'x-ünï': 'ça' },
      payload: Buffer.from([0, 1, 2, 255, 0x7b]),
    };
    const expected = 'dabf529d108b420fd1ea5b936e3a81c1a408e740ee07cca7ced01b68e035cfbd';
    expect(contentHash(content)).toBe(expected);
    expect(contentHashWithDigest(content, createHash('sha256').update(content.payload).digest('hex'))).toBe(expected);
  });
});
