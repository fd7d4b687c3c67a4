/**
 * SSRF guard for outbound deliveries: a destination must not reach loopback, private, link-local or other
 * internal addresses unless `worker.allow_private_destinations` says so. IP literals and `localhost` names are
 * refused before anything is sent (an IP literal skips DNS, so the socket's lookup never sees it); every other
 * name is checked inside the socket's DNS lookup, so the address we connect to is the address we checked (no
 * DNS-rebinding window).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { classifyAddress } from './address-ranges.ts';

export { classifyAddress } from './address-ranges.ts';

const ALLOW_HINT = '(set worker.allow_private_destinations to allow)';

/** Whether an IP literal is internal (anything that is not an IP literal counts as internal). */
export function isPrivateAddress(address: string): boolean {
  return classifyAddress(address) !== null;
}

export class PrivateDestinationError extends Error {
  readonly code = 'EPRIVATEDEST';
  constructor(reason: string) {
    super(`refused: ${reason} ${ALLOW_HINT}`);
  }
}

/** `localhost`, `*.localhost` (RFC 6761: always loopback, whatever DNS says), with or without a trailing dot. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Why a URL's host may not be connected to, judged before any DNS: an internal IP literal or a localhost
 * name. `hostname` is WHATWG URL's (decimal, octal and hex IPv4 forms are already dotted quads there), with
 * or without IPv6 brackets. Null when the host is a name left for the guarded lookup, or a public address.
 */
export function refusalBeforeLookup(hostname: string): string | null {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host.replace(/%.*$/, ''))) {
    const kind = classifyAddress(host);
    return kind ? new PrivateDestinationError(`${host} is ${kind}`).message : null;
  }
  if (isLocalhostName(host)) return new PrivateDestinationError(`${host} is a loopback name`).message;
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses a name when any address it resolves to is internal. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  if (isLocalhostName(hostname)) {
    callback(new PrivateDestinationError(`${hostname} is a loopback name`), []);
    return;
  }
  dnsLookup(hostname, { ...(options as LookupAllOptions), all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    if (list.length === 0) return callback(new PrivateDestinationError(`${hostname} resolves to no address`), []);
    for (const { address } of list) {
      const kind = classifyAddress(address);
      if (kind) return callback(new PrivateDestinationError(`${hostname} resolves to ${address}, ${kind}`), []);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}
