import { describe, expect, it } from 'vitest';
import { encodeHeaderValue } from './header-value.ts';

describe('event-derived header values', () => {
  it('leaves visible ASCII without % unchanged', () => {
    for (const v of ['charge.succeeded', 'evt_1NvX2eLkdIwHu7ix', 'msg_0m5x', 'a/b:c;d=e"f', '']) expect(encodeHeaderValue(v)).toBe(v);
  });

  it('percent-encodes UTF-8 bytes outside visible ASCII, and % itself', () => {
    expect(encodeHeaderValue('charge.\u0001x\u00e9')).toBe('charge.%01x%C3%A9');
    expect(encodeHeaderValue('a b')).toBe('a%20b');
    expect(encodeHeaderValue('100%')).toBe('100%25');
    expect(encodeHeaderValue('\u202eabc')).toBe('%E2%80%AEabc');
    expect(encodeHeaderValue('\r\nx-evil: 1')).toBe('%0D%0Ax-evil:%201');
    expect(encodeHeaderValue('\ud83d\udcb3')).toBe('%F0%9F%92%B3');
  });

  it('round-trips through decodeURIComponent; a lone surrogate becomes U+FFFD', () => {
    for (const v of ['charge.\u0001x\u00e9', 'zahlung.\u00fc%41', '\u0645\u062f\u0641\u0648\u0639\u0627\u062a', ' x ', '\u0000\u007f']) {
      expect(decodeURIComponent(encodeHeaderValue(v))).toBe(v);
    }
    expect(decodeURIComponent(encodeHeaderValue('a\ud800b'))).toBe('a\ufffdb');
  });

  it('always yields a value http.request accepts', async () => {
    const { validateHeaderValue } = await import('node:http');
    for (const v of ['\u0000\u0001\u001f\u007f\u0080\u00ff\u0100\uffff', '\ud800', 'x'.repeat(4096)]) {
      expect(() => validateHeaderValue('x-filab-event-type', encodeHeaderValue(v))).not.toThrow();
    }
  });
});
