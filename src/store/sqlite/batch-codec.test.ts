import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StorableEvent } from '../storable.ts';
import { decodeBatch, encodeBatch } from './batch-codec.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const event: fc.Arbitrary<StorableEvent> = fc.record({
  id: text,
  source: text,
  eventKey: text,
  eventType: text,
  providerCreatedAt: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null }),
  receivedAt: fc.integer({ min: 0, max: 2 ** 45 }),
  // Views into a shared pool, as request bodies are: only the view's bytes may cross, not the whole pool.
  payload: fc.uint8Array({ maxLength: 3000 }).map((b) => {
    const pool = Buffer.alloc(b.length + 16, 0xee);
    pool.set(b, 8);
    return pool.subarray(8, 8 + b.length);
  }),
  headersJson: fc.dictionary(text, text).map((h) => JSON.stringify(h)),
  contentHash: fc.string({ maxLength: 64 }),
  payloadSha256: fc.string({ maxLength: 64 }),
  secretLabel: fc.option(text, { nil: null }),
  contentDigest: fc.option(fc.string({ maxLength: 64 }), { nil: null }),
  deliveries: fc.array(fc.record({ id: text, destination: text, orderingKey: fc.option(text, { nil: null }) }), { maxLength: 3 }),
});

describe('writer thread batch codec', () => {
  it('decodes exactly the events it encoded, payload bytes included', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const encoded = encodeBatch(events);
        expect(encoded.bytes.byteLength).toBe(events.reduce((n, e) => n + e.payload.length + Buffer.byteLength(e.headersJson), 0));
        const decoded = decodeBatch(structuredClone(encoded));
        expect(decoded.map((e) => ({ ...e, payload: [...e.payload] }))).toEqual(events.map((e) => ({ ...e, payload: [...e.payload] })));
        for (const e of decoded) expect(Buffer.isBuffer(e.payload)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
