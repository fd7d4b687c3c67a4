/**
 * Which IP addresses a delivery must not reach (unless `worker.allow_private_destinations`), and why.
 * Pure: no DNS, no sockets. An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4,
 * NAT64) is judged by the IPv4 address it carries, because that is where the packets end up.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** `null` for a public address; otherwise what kind of internal address it is ("a loopback address"). */
export type AddressVerdict = string | null;

const V4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, "an unspecified ('this network') address"],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

const V6_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['fc00::', 7, 'a unique local (private) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

function blockListOf(ranges: ReadonlyArray<readonly [string, number, string]>, family: 'ipv4' | 'ipv6') {
  return ranges.map(([prefix, bits, kind]) => {
    const list = new BlockList();
    list.addSubnet(prefix, bits, family);
    return { list, kind };
  });
}
const v4Lists = blockListOf(V4_RANGES, 'ipv4');
const v6Lists = blockListOf(V6_RANGES, 'ipv6');

export function classifyIPv4(address: string): AddressVerdict {
  return v4Lists.find(({ list }) => list.check(address, 'ipv4'))?.kind ?? null;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, a trailing dotted IPv4 allowed), or null. */
export function ipv6Groups(address: string): number[] | null {
  const text = address.replace(/%.*$/, '');
  if (!isIPv6(text)) return null;
  let head = text;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    head = text.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const before = parse(left!);
  const after = [...parse(right ?? ''), ...tail];
  if (right === undefined) return [...before, ...after];
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

const v4At = (groups: number[], i: number) => `${groups[i]! >> 8}.${groups[i]! & 255}.${groups[i + 1]! >> 8}.${groups[i + 1]! & 255}`;

/**
 * RFC 6052: where a NAT64 prefix of each length puts the IPv4 address (bits 64-71 are skipped): /96, /64,
 * /56, /48. A local-use prefix (64:ff9b:1::/48) may be any of these lengths, so each embedding is judged.
 */
function nat64Candidates(groups: number[]): string[] {
  const bytes = groups.flatMap((g) => [g >> 8, g & 255]);
  const at = (...idx: number[]) => idx.map((i) => bytes[i]).join('.');
  return [at(12, 13, 14, 15), at(9, 10, 11, 12), at(7, 9, 10, 11), at(6, 7, 9, 10)];
}

/** The IPv4 addresses an IPv6 address delivers to, with the name of the form, when it embeds any. */
function embeddedIPv4(groups: number[]): { form: string; addresses: string[] } | null {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return { form: 'IPv4-mapped', addresses: [v4At(groups, 6)] };
  if (zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0) return { form: 'IPv4-translated', addresses: [v4At(groups, 6)] };
  if (zeros(0, 6)) return { form: 'IPv4-compatible', addresses: [v4At(groups, 6)] };
  if (groups[0] === 0x2002) return { form: '6to4', addresses: [v4At(groups, 1)] };
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return { form: 'NAT64', addresses: [v4At(groups, 6)] };
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups[2] === 1) return { form: 'local-use NAT64', addresses: nat64Candidates(groups) };
  return null;
}

export function classifyIPv6(address: string): AddressVerdict {
  const groups = ipv6Groups(address);
  if (groups === null) return 'not an IP address';
  if (groups.every((g) => g === 0)) return 'an unspecified address';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'a loopback address';
  const embedded = embeddedIPv4(groups);
  if (embedded) return classifyEmbedded(embedded);
  const normal = groups.map((g) => g.toString(16)).join(':');
  return v6Lists.find(({ list }) => list.check(normal, 'ipv6'))?.kind ?? null;
}

function classifyEmbedded({ form, addresses }: { form: string; addresses: string[] }): AddressVerdict {
  // Where several positions are possible, the unused ones are zeros: naming 0.0.0.0 would explain nothing.
  const candidates = addresses.length > 1 ? addresses.filter((a) => !a.startsWith('0.')) : addresses;
  for (const v4 of candidates) {
    const kind = classifyIPv4(v4);
    if (kind) return `${kind} (${v4}, ${form})`;
  }
  // ::/96 is deprecated (RFC 4291) and the local-use NAT64 prefix reaches only a translator inside the local
  // network (RFC 8215): nothing public uses either, so both are refused whatever they embed.
  if (form === 'IPv4-compatible') return 'a deprecated IPv4-compatible address';
  if (form === 'local-use NAT64') return 'a local-use NAT64 address (its translator is on the local network)';
  return null;
}

/** Classify any IP literal (v4 or v6, brackets allowed); a string that is not one is refused as such. */
export function classifyAddress(address: string): AddressVerdict {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(bare)) return classifyIPv4(bare);
  return classifyIPv6(bare);
}
