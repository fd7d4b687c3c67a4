/**
 * Who the client is: the TCP peer, unless it is a listed proxy; then the right-most X-Forwarded-For address that
 * is not a listed proxy. A table of peers and headers with the address each must resolve to, and what counts as
 * loopback and as the inbox's own Host.
 */
import { describe, expect, it } from 'vitest';
import { isLoopback, makeClientAddress } from '../../src/http/client-address.ts';
import { crossSiteProblem, isJsonContentType, isLoopbackHost } from '../../src/http/cross-site.ts';

const request = (peer: string | undefined, xff?: string | string[]) => ({
  socket: { remoteAddress: peer },
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

describe('client address', () => {
  const cases: [proxies: string[], peer: string | undefined, xff: string | string[] | undefined, client: string][] = [
    // No proxies: the header is never read.
    [[], '203.0.113.9', '127.0.0.1', '203.0.113.9'],
    [[], '127.0.0.1', '203.0.113.5', '127.0.0.1'],
    [[], '::ffff:127.0.0.1', undefined, '127.0.0.1'],
    [[], undefined, undefined, ''],
    // A listed proxy: the right-most address that is not a proxy.
    [['127.0.0.1'], '127.0.0.1', '203.0.113.5', '203.0.113.5'],
    [['127.0.0.1'], '127.0.0.1', '127.0.0.1, 203.0.113.5', '203.0.113.5'], // issue 17 case 3: the spoofed left hop is ignored
    [['127.0.0.1'], '::ffff:127.0.0.1', '127.0.0.1, 203.0.113.5', '203.0.113.5'],
    [['127.0.0.1'], '127.0.0.1', ['127.0.0.1', '203.0.113.5'], '203.0.113.5'], // the header sent twice
    [['127.0.0.1', '10.0.0.0/8'], '127.0.0.1', '127.0.0.1, 198.51.100.4, 10.1.2.3', '198.51.100.4'], // two proxies in a chain
    [['127.0.0.1', '10.0.0.0/8'], '127.0.0.1', '10.9.9.9, 10.1.2.3', '10.9.9.9'], // every hop a proxy: the furthest one
    [['127.0.0.1'], '127.0.0.1', undefined, '127.0.0.1'], // a request the proxy's own host sent directly
    [['127.0.0.1'], '127.0.0.1', ' , ', '127.0.0.1'],
    [['127.0.0.1'], '127.0.0.1', '[2001:db8::7]:443', '2001:db8::7'],
    [['127.0.0.1'], '127.0.0.1', '198.51.100.4:5150', '198.51.100.4'],
    [['127.0.0.1'], '127.0.0.1', '127.0.0.1, unknown', 'unknown'],
    [['::1'], '::1', '2001:DB8::1', '2001:db8::1'],
    // A peer that is not a listed proxy is the client, whatever it forwards.
    [['10.0.0.0/8'], '127.0.0.1', '203.0.113.5', '127.0.0.1'],
    [['10.0.0.0/8'], '203.0.113.9', '127.0.0.1', '203.0.113.9'],
  ];
  it.each(cases)('proxies %j, peer %s, X-Forwarded-For %j -> %s', (proxies, peer, xff, client) => {
    expect(makeClientAddress(proxies)(request(peer, xff))).toBe(client);
  });

  it('counts only loopback IP addresses as loopback', () => {
    for (const yes of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(yes), yes).toBe(true);
    for (const no of ['', undefined, '127.evil', '127.0.0.1.nip.io', '203.0.113.5', '::', '0.0.0.0', 'unknown', '::ffff:10.0.0.1'])
      expect(isLoopback(no), String(no)).toBe(false);
  });
});

describe('host and origin', () => {
  it('counts localhost, 127.0.0.1 and [::1] on any port as the inbox own Host, nothing else', () => {
    for (const yes of ['localhost', 'LOCALHOST:8000', '127.0.0.1', '127.0.0.1:65535', '[::1]', '[::1]:8000']) expect(isLoopbackHost(yes), yes).toBe(true);
    for (const no of [undefined, '', 'evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', '127.0.0.2', '[::1]x', 'localhost:80:80', '::1'])
      expect(isLoopbackHost(no), String(no)).toBe(false);
  });

  const req = (headers: Record<string, string>, host = '127.0.0.1:8000', protocol = 'http') => ({ headers, host, protocol });
  it('refuses a foreign Origin and any Sec-Fetch-Site but same-origin and none', () => {
    expect(crossSiteProblem(req({}))).toBeNull();
    expect(crossSiteProblem(req({ origin: 'http://127.0.0.1:8000', 'sec-fetch-site': 'same-origin' }))).toBeNull();
    expect(crossSiteProblem(req({ 'sec-fetch-site': 'none' }))).toBeNull();
    expect(crossSiteProblem(req({ origin: 'https://inbox.example' }, 'inbox.example', 'https'))).toBeNull();
    expect(crossSiteProblem(req({ origin: 'http://localhost' }, 'localhost:80'))).toBeNull();

    expect(crossSiteProblem(req({ origin: 'http://evil.example' }))).toMatch(/Origin "http:\/\/evil.example" is not this inbox's origin/);
    expect(crossSiteProblem(req({ origin: 'http://127.0.0.1:8001' }))).not.toBeNull(); // another port
    expect(crossSiteProblem(req({ origin: 'https://127.0.0.1:8000' }))).not.toBeNull(); // another scheme
    expect(crossSiteProblem(req({ origin: 'null' }))).not.toBeNull();
    expect(crossSiteProblem(req({ origin: 'http://evil.example' }, 'evil.example'))).toBeNull(); // the Host rule, not this one, stops rebinding
    expect(crossSiteProblem(req({ 'sec-fetch-site': 'cross-site' }))).toMatch(/Sec-Fetch-Site: "cross-site"/);
    expect(crossSiteProblem(req({ 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:8000' }))).not.toBeNull();
  });

  it('takes application/json with or without parameters as JSON', () => {
    for (const yes of ['application/json', 'Application/JSON; charset=utf-8']) expect(isJsonContentType(yes)).toBe(true);
    for (const no of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx'])
      expect(isJsonContentType(no)).toBe(false);
  });
});
