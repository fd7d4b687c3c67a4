import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUnixSeconds } from './crypto.ts';

/** The rule as first written: 1-15 decimal digits and nothing else, read as a number. */
const reference = (text: string) => (/^\d{1,15}$/.test(text) ? Number(text) : null);

describe('parseUnixSeconds', () => {
  it('reads exactly 1-15 decimal digits, the whole string or the range asked for (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', '7', '9', ' ', '-', '+', 'e', '.', '١'), maxLength: 20 });
    fc.assert(
      fc.property(text, text, text, (before, middle, after) => {
        expect(parseUnixSeconds(middle)).toBe(reference(middle));
        const whole = before + middle + after;
        expect(parseUnixSeconds(whole, before.length, before.length + middle.length)).toBe(reference(middle));
      }),
      { numRuns: 3000 },
    );
    expect(parseUnixSeconds('999999999999999')).toBe(999_999_999_999_999);
    expect(parseUnixSeconds('1000000000000000')).toBeNull();
    expect(parseUnixSeconds(undefined)).toBeNull();
    expect(parseUnixSeconds('')).toBeNull();
  });
});
