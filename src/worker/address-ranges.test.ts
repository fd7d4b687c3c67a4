import { describe, expect, it } from 'vitest';
import { classifyAddress, ipv6Groups } from './address-ranges.ts';

describe('address classifier', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['0.0.0.0', "an unspecified ('this network') address"],
    ['0.1.2.3', "an unspecified ('this network') address"],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['100.127.255.255', 'a shared (carrier-grade NAT) address'],
    ['169.254.169.254', 'a link-local address'],
    ['192.0.0.8', 'an IETF protocol address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['240.0.0.1', 'a reserved address'],
    ['255.255.255.255', 'a reserved address'],
    ['::', 'an unspecified address'],
    ['::1', 'a loopback address'],
    ['[::1]', 'a loopback address'],
    ['0:0:0:0:0:0:0:1', 'a loopback address'],
    ['fc00::1', 'a unique local (private) address'],
    ['fd12:3456::1', 'a unique local (private) address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['fec0::1', 'a site-local address'],
    ['feff::1', 'a site-local address'],
    ['ff02::1', 'a multicast address'],
    ['ff0e::1', 'a multicast address'],
    // IPv4-mapped, in the dotted and in the hex form (WHATWG URL writes the dotted form as hex).
    ['::ffff:127.0.0.1', 'a loopback address (127.0.0.1, IPv4-mapped)'],
    ['::ffff:7f00:1', 'a loopback address (127.0.0.1, IPv4-mapped)'],
    ['0:0:0:0:0:ffff:a00:1', 'a private address (10.0.0.1, IPv4-mapped)'],
    ['::ffff:a9fe:a9fe', 'a link-local address (169.254.169.254, IPv4-mapped)'],
    ['::ffff:0:7f00:1', 'a loopback address (127.0.0.1, IPv4-translated)'],
    // IPv4-compatible (::/96): judged by what it embeds, and refused even when that is public.
    ['::7f00:1', 'a loopback address (127.0.0.1, IPv4-compatible)'],
    ['::127.0.0.1', 'a loopback address (127.0.0.1, IPv4-compatible)'],
    ['::c0a8:101', 'a private address (192.168.1.1, IPv4-compatible)'],
    ['::808:808', 'a deprecated IPv4-compatible address'],
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    ['2002:7f00:1::', 'a loopback address (127.0.0.1, 6to4)'],
    ['2002:a00:1::1', 'a private address (10.0.0.1, 6to4)'],
    ['2002:a9fe:a9fe::', 'a link-local address (169.254.169.254, 6to4)'],
    // NAT64, well-known prefix and the local-use prefix (with the IPv4 address at each RFC 6052 position).
    ['64:ff9b::7f00:1', 'a loopback address (127.0.0.1, NAT64)'],
    ['64:ff9b::127.0.0.1', 'a loopback address (127.0.0.1, NAT64)'],
    ['64:ff9b::a00:1', 'a private address (10.0.0.1, NAT64)'],
    ['64:ff9b:1::7f00:1', 'a loopback address (127.0.0.1, local-use NAT64)'],
    ['64:ff9b:1:7f00:0:100::', 'a loopback address (127.0.0.1, local-use NAT64)'],
    ['64:ff9b:1::808:808', 'a local-use NAT64 address (its translator is on the local network)'],
    ['not-an-ip', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '1.1.1.1',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '2002:808:808::1',
    '64:ff9b::808:808',
    '64:ff9b::8.8.8.8',
  ])('%s is public', (address) => expect(classifyAddress(address)).toBeNull());

  it('parses every IPv6 spelling into eight groups', () => {
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(ipv6Groups('1:2:3:4:5:6:7.8.9.10')).toEqual([1, 2, 3, 4, 5, 6, 0x708, 0x90a]);
    expect(ipv6Groups('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('1.2.3.4')).toBeNull();
  });
});
