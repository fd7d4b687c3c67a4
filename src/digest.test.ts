import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textEqual } from './providers/crypto.ts';
import { hashHex, hashPartsHex, hmac, hmacHex, type HashAlgorithm } from './digest.ts';

const algorithms: HashAlgorithm[] = ['sha1', 'sha256', 'sha512'];
// Mostly-ASCII text around 64 characters exercises both ways text is laid out (copied by hand when short and
// ASCII, else encoded), including a non-ASCII character late in an otherwise ASCII string.
const nearAscii = fc.string({ unit: fc.constantFrom('a', '1', '.', 'a', '1', '.', 'é', '€', '😀'), maxLength: 80 });
const part = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  nearAscii,
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
);
// Keys shorter than, equal to and longer than every block size (64 and 128 bytes), as text and as bytes.
const key = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
);

function reference(algorithm: HashAlgorithm, k: string | Buffer, parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, k);
  for (const p of parts) mac.update(p);
  return mac.digest();
}

describe('one-shot digests', () => {
  it('hmac equals createHmac for any key, message split and algorithm', () => {
    fc.assert(
      fc.property(fc.constantFrom(...algorithms), key, fc.array(part, { maxLength: 4 }), (algorithm, k, parts) => {
        expect(hmac(algorithm, k, ...parts).equals(reference(algorithm, k, parts))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('stays correct across calls that reuse its buffers, and for messages too large for the one-shot path', () => {
    const big = Buffer.alloc(200_000, 7);
    const small = Buffer.from('{"id":"evt_1"}');
    for (const algorithm of algorithms) {
      expect(hmac(algorithm, 'k', big).equals(reference(algorithm, 'k', [big]))).toBe(true);
      // The scratch buffer grew for the big one; a short message after it must not see its leftovers.
      expect(hmac(algorithm, 'k', '1.', small).equals(reference(algorithm, 'k', ['1.', small]))).toBe(true);
      expect(hmac(algorithm, 'other', '1.', small).equals(reference(algorithm, 'other', ['1.', small]))).toBe(true);
    }
  });

  it('never mixes up a byte key with a text key that spells its base64', () => {
    const bytes = Buffer.from('ABC');
    for (const k of [bytes, bytes.toString('base64'), `\u0000${bytes.toString('base64')}`]) {
      expect(hmac('sha256', k, 'm').equals(reference('sha256', k, ['m']))).toBe(true);
    }
  });

  it('matches the RFC 4231 test case 2 vector', () => {
    const mac = hmac('sha256', 'Jefe', 'what do ya want ', 'for nothing?').toString('hex');
    expect(mac).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('hashHex and hashPartsHex equal createHash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...algorithms), fc.array(part, { maxLength: 4 }), (algorithm, parts) => {
        const h = createHash(algorithm);
        for (const p of parts) h.update(p);
        const expected = h.digest('hex');
        expect(hashPartsHex(algorithm, parts)).toBe(expected);
        const joined = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
        expect(hashHex(algorithm, joined)).toBe(expected);
        if (parts.every((p) => typeof p === 'string')) expect(hashHex(algorithm, parts.join(''))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hmacHex and textEqual', () => {
  it('hmacHex is the hex of hmac', () => {
    fc.assert(
      fc.property(fc.constantFrom(...algorithms), key, fc.array(part, { maxLength: 3 }), (algorithm, k, parts) => {
        expect(hmacHex(algorithm, k, ...parts)).toBe(reference(algorithm, k, parts).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('textEqual agrees with === on any two strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(textEqual(a, b)).toBe(a === b);
      }),
    );
    const hex = 'ab'.repeat(32);
    expect(textEqual(hex, hex.slice())).toBe(true);
    expect(textEqual(hex, `${hex.slice(0, 63)}c`)).toBe(false);
    expect(textEqual(hex, hex.slice(0, 62))).toBe(false);
  });
});
