/**
 * Who the client is: the one answer used by the admin guard, the ingest rate limiter and the logs.
 *
 * The TCP peer proves its address; X-Forwarded-For proves nothing by itself, since a client can write anything
 * into it. Only when the peer is a proxy listed in `server.trust_proxy` is the header read, and then only from
 * the right: each trusted proxy appended the address it saw, so the client is the right-most address that is
 * not a trusted proxy. A client can prepend `127.0.0.1, ...` but cannot change what the proxies appended.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** The parts of a request (node:http or Fastify's raw request) the client address is read from. */
export interface AddressedRequest {
  socket: { remoteAddress?: string | undefined } | null | undefined;
  headers: IncomingHttpHeaders;
}

export type ClientAddress = (req: AddressedRequest) => string;

/** What a forwarded entry that is no IP address (`unknown`, garbage a proxy passed on) is reported as, at most. */
const MAX_UNPARSED = 64;

export function makeClientAddress(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return (req) => normalize(req.socket?.remoteAddress ?? '');
  const trusted = proxyList(trustedProxies);
  return (req) => {
    const peer = normalize(req.socket?.remoteAddress ?? '');
    if (!isTrusted(trusted, peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const raw = hops[i]!.trim();
      if (raw === '') continue;
      const address = forwardedAddress(raw);
      // Not an address: the hop a trusted proxy vouched for cannot be named, so it is reported as written.
      if (address === null) return raw.slice(0, MAX_UNPARSED);
      client = address;
      if (!isTrusted(trusted, address)) return address;
    }
    // Every hop was a trusted proxy: the left-most one is the furthest we can see.
    return client;
  };
}

/**
 * Fastify's childLoggerFactory: every line a request logs names its client (bound once per request, as
 * Fastify binds reqId anyway).
 */
export function clientLoggerFactory(clientAddress: ClientAddress) {
  return function childLogger<L extends { child(bindings: object, options?: object): L }>(
    logger: L,
    bindings: object,
    options: object,
    raw: AddressedRequest,
  ): L {
    return logger.child({ ...bindings, client: clientAddress(raw) }, options);
  };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A loopback IP address (127.0.0.0/8 or ::1, IPv4-mapped included); anything that is not an address is not. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const normalized = normalize(address);
  const family = isIP(normalized);
  return family !== 0 && LOOPBACK.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
}

export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

export function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:203.0.113.5` (an IPv4 client on a dual-stack socket) is 203.0.113.5, so both spellings share one bucket. */
export function normalize(address: string): string {
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  return address.toLowerCase();
}

/** An X-Forwarded-For entry as an address: bare, `[v6]`, `[v6]:port` or `v4:port`; null when it is none. */
function forwardedAddress(entry: string): string | null {
  if (isIP(entry)) return normalize(entry);
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed && isIP(bracketed[1]!) === 6) return normalize(bracketed[1]!);
  const withPort = /^([\d.]+):\d{1,5}$/.exec(entry);
  if (withPort && isIP(withPort[1]!) === 4) return withPort[1]!;
  return null;
}
