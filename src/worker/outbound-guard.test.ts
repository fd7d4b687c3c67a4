import { describe, expect, it } from 'vitest';
import { guardedLookup, isPrivateAddress, refusalBeforeLookup } from './outbound-guard.ts';

const hostOf = (url: string) => new URL(url).hostname;

describe('outbound guard', () => {
  it('classifies internal and public addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it.each([
    ['http://127.0.0.1:9/hook', 'refused: 127.0.0.1 is a loopback address (set worker.allow_private_destinations to allow)'],
    ['http://2130706433/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://0x7f000001/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://127.1/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://127.0.0.1./', 'refused: 127.0.0.1 is a loopback address'],
    ['http://\u2460\u2461\u2466.0.0.1/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://127\u30020\u30020\u30021/', 'refused: 127.0.0.1 is a loopback address'],
    ['http://0/', "refused: 0.0.0.0 is an unspecified ('this network') address"],
    ['http://[::1]/', 'refused: ::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', 'refused: ::ffff:7f00:1 is a loopback address (127.0.0.1, IPv4-mapped)'],
    ['http://[::127.0.0.1]/', 'refused: ::7f00:1 is a loopback address (127.0.0.1, IPv4-compatible)'],
    ['http://[2002:7f00:1::]/', 'refused: 2002:7f00:1:: is a loopback address (127.0.0.1, 6to4)'],
    ['http://[64:ff9b::127.0.0.1]/', 'refused: 64:ff9b::7f00:1 is a loopback address (127.0.0.1, NAT64)'],
    ['http://localhost:8080/', 'refused: localhost is a loopback name'],
    ['http://LOCALHOST./', 'refused: localhost. is a loopback name'],
    ['http://api.localhost/', 'refused: api.localhost is a loopback name'],
    ['http://localhost../', 'refused: localhost.. is a loopback name'],
    ['http://\u24dbocalhost/', 'refused: localhost is a loopback name'],
  ])('refuses %s before any lookup', (url, reason) => {
    expect(refusalBeforeLookup(hostOf(url))).toContain(reason);
  });

  it('leaves names and public literals to the connection', () => {
    for (const url of ['http://example.com/', 'http://8.8.8.8/', 'http://[2606:4700::1111]/', 'http://localhost.example.com/', 'http://mylocalhost/']) {
      expect(refusalBeforeLookup(hostOf(url)), url).toBeNull();
    }
  });

  it('refuses a localhost name in the lookup without asking DNS', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup('foo.localhost', {}, (e) => resolve(e)));
    expect(err?.message).toBe('refused: foo.localhost is a loopback name (set worker.allow_private_destinations to allow)');
  });

  it('refuses a name that DNS resolves to loopback, naming the address', async () => {
    // /etc/hosts names the loopback address for the machine's own hostname on most systems; "localhost4"-style
    // names vary, so use the one resolution every resolver gives: a numeric name resolves to itself.
    const err = await new Promise<Error | null>((resolve) => guardedLookup('127.0.0.2', {}, (e) => resolve(e)));
    expect(err?.message).toBe('refused: 127.0.0.2 resolves to 127.0.0.2, a loopback address (set worker.allow_private_destinations to allow)');
  });
});
