import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { contentDigest } from './content-digest.ts';

describe('contentDigest', () => {
  it('is SHA-256 over the length-prefixed signed content, type and item key', () => {
    const expected = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(contentDigest(['1700000000.', Buffer.from('{"a":"é"}')], 'x.y')).toBe(expected('filab-content-digest-v1\n21:1700000000.{"a":"é"}\n3:x.y'));
    expect(contentDigest([Buffer.from('b')], 't', 'EV1')).toBe(expected('filab-content-digest-v1\n1:b\n1:t\n3:EV1'));
  });

  it('depends on the signed bytes only, not how they are split into parts', () => {
    expect(contentDigest(['ab', 'c'], 't')).toBe(contentDigest([Buffer.from('abc')], 't'));
  });

  it('never gives two different (content, type, key) the same bytes to hash (property)', () => {
    const triple = fc.tuple(fc.string(), fc.string(), fc.option(fc.string(), { nil: undefined }));
    fc.assert(
      fc.property(triple, triple, ([c1, t1, k1], [c2, t2, k2]) => {
        fc.pre(c1 !== c2 || t1 !== t2 || k1 !== k2);
        // Lone surrogates all encode as U+FFFD: compare what is hashed, as UTF-8.
        const same =
          Buffer.from(c1).equals(Buffer.from(c2)) &&
          Buffer.from(t1).equals(Buffer.from(t2)) &&
          (k1 === undefined) === (k2 === undefined) &&
          Buffer.from(k1 ?? '').equals(Buffer.from(k2 ?? ''));
        expect(contentDigest([c1], t1, k1) === contentDigest([c2], t2, k2)).toBe(same);
      }),
      { numRuns: 2000 },
    );
    expect(contentDigest(['a'], 'b')).not.toBe(contentDigest([''], 'ab'));
    expect(contentDigest(['a'], 'b')).not.toBe(contentDigest(['a'], 'b', ''));
  });
});
