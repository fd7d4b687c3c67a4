import { describe, expect, it } from 'vitest';
import { guardedLookup, isPrivateAddress } from './outbound-guard.ts';

describe('outbound guard', () => {
  it('classifies internal and public addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses a hostname that resolves to loopback', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toMatch(/refused: localhost resolves to a private/);
  });
});
