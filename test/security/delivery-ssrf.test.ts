/**
 * The SSRF guard with a real worker (`filab serve`, allow_private_destinations unset): one destination per
 * internal address form, all pointing at the port of a loopback receiver. Every delivery ends as a failed
 * attempt whose reason names the refusal, shown by the admin API, and the receiver never saw a connection.
 * Every URL is a loopback or private literal or a localhost name: each is refused before any socket opens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventBody,
  eventsByKeyPrefix,
  expectStillServing,
  postSigned,
  startDeliveryReceiver,
  startDeliveryServer,
  until,
  watchHealth,
  type AdminEvent,
  type DeliveryReceiver,
  type DeliveryServer,
} from '../helpers/delivery-server.ts';

const HINT = ' (set worker.allow_private_destinations to allow)';

/** [destination name, host part of the URL, the refusal's reason without the hint] */
const FORMS: ReadonlyArray<readonly [string, string, string]> = [
  ['v4-loopback', '127.0.0.1', '127.0.0.1 is a loopback address'],
  ['v4-loopback-other', '127.8.9.10', '127.8.9.10 is a loopback address'],
  ['v4-decimal', '2130706433', '127.0.0.1 is a loopback address'],
  ['v4-octal', '0177.0.0.1', '127.0.0.1 is a loopback address'],
  ['v4-hex', '0x7f000001', '127.0.0.1 is a loopback address'],
  ['v4-hex-dotted', '0x7f.0x0.0x0.0x1', '127.0.0.1 is a loopback address'],
  ['v4-short', '127.1', '127.0.0.1 is a loopback address'],
  ['v4-unspecified', '0.0.0.0', "0.0.0.0 is an unspecified ('this network') address"],
  ['v4-zero', '0', "0.0.0.0 is an unspecified ('this network') address"],
  ['v4-private-10', '10.0.0.1', '10.0.0.1 is a private address'],
  ['v4-private-172', '172.16.0.1', '172.16.0.1 is a private address'],
  ['v4-private-192', '192.168.0.1', '192.168.0.1 is a private address'],
  ['v4-cgnat', '100.64.0.1', '100.64.0.1 is a shared (carrier-grade NAT) address'],
  ['v4-link-local', '169.254.169.254', '169.254.169.254 is a link-local address'],
  ['v4-multicast', '224.0.0.1', '224.0.0.1 is a multicast address'],
  ['v6-loopback', '[::1]', '::1 is a loopback address'],
  ['v6-unspecified', '[::]', ':: is an unspecified address'],
  ['v6-mapped', '[::ffff:127.0.0.1]', '::ffff:7f00:1 is a loopback address (127.0.0.1, IPv4-mapped)'],
  ['v6-mapped-hex', '[::ffff:7f00:1]', '::ffff:7f00:1 is a loopback address (127.0.0.1, IPv4-mapped)'],
  ['v6-mapped-private', '[::ffff:10.0.0.1]', '::ffff:a00:1 is a private address (10.0.0.1, IPv4-mapped)'],
  ['v6-compatible', '[::7f00:1]', '::7f00:1 is a loopback address (127.0.0.1, IPv4-compatible)'],
  ['v6-compatible-dotted', '[::127.0.0.1]', '::7f00:1 is a loopback address (127.0.0.1, IPv4-compatible)'],
  ['v6-ula', '[fd00::1]', 'fd00::1 is a unique local (private) address'],
  ['v6-ula-fc', '[fc00::1]', 'fc00::1 is a unique local (private) address'],
  ['v6-link-local', '[fe80::1]', 'fe80::1 is a link-local address'],
  ['v6-site-local', '[fec0::1]', 'fec0::1 is a site-local address'],
  ['v6-multicast', '[ff02::1]', 'ff02::1 is a multicast address'],
  ['v6-6to4', '[2002:7f00:1::1]', '2002:7f00:1::1 is a loopback address (127.0.0.1, 6to4)'],
  ['v6-6to4-private', '[2002:c0a8:101::1]', '2002:c0a8:101::1 is a private address (192.168.1.1, 6to4)'],
  ['v6-nat64', '[64:ff9b::7f00:1]', '64:ff9b::7f00:1 is a loopback address (127.0.0.1, NAT64)'],
  ['v6-nat64-dotted', '[64:ff9b::169.254.169.254]', '64:ff9b::a9fe:a9fe is a link-local address (169.254.169.254, NAT64)'],
  ['v6-nat64-local', '[64:ff9b:1::7f00:1]', '64:ff9b:1::7f00:1 is a loopback address (127.0.0.1, local-use NAT64)'],
  ['name-localhost', 'localhost', 'localhost is a loopback name'],
  ['name-localhost-upper', 'LOCALHOST', 'localhost is a loopback name'],
  ['name-localhost-dot', 'localhost.', 'localhost. is a loopback name'],
  ['name-sub-localhost', 'api.localhost', 'api.localhost is a loopback name'],
];

let receiver: DeliveryReceiver;
let server: DeliveryServer;
beforeAll(async () => {
  receiver = await startDeliveryReceiver();
  const destinations = FORMS.map(([name, host]) => `  - { name: ${name}, url: "http://${host}:${receiver.port}/hook", retry_schedule: [0] }`).join('\n');
  server = await startDeliveryServer(`destinations:\n${destinations}\nworker: { poll_interval_ms: 100, concurrency: 64 }\n`);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

describe('SSRF guard with a real worker, allow_private_destinations unset', () => {
  it('refuses every internal address form before connecting, each a failed attempt naming why', async () => {
    const health = watchHealth(server.url);
    expect((await postSigned(server.url, eventBody({ id: 'evt_ssrf_table' }))).status).toBe(200);
    let event: AdminEvent | undefined;
    await until(async () => {
      [event] = await eventsByKeyPrefix(server.url, 'evt_ssrf_table');
      return event !== undefined && event.deliveries.length === FORMS.length && event.deliveries.every((d) => d.attempts.length === 1);
    }, 'an attempt per destination');
    const reasons = Object.fromEntries(event!.deliveries.map((d) => [d.destination, [d.status, d.attempts[0]!.status_code, d.attempts[0]!.error]]));
    expect(reasons).toEqual(Object.fromEntries(FORMS.map(([name, , reason]) => [name, ['dead', null, `refused: ${reason}${HINT}`]])));
    expect(event!.status).toBe('dead');
    // The positive signal (every refusal recorded) came first; only now is "nothing arrived" worth checking.
    expect(receiver.connections()).toBe(0);
    expect(receiver.requests).toEqual([]);

    await expectStillServing(server, health);
  });
});
