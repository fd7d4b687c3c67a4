/**
 * Hashes and HMACs for every hot path: provider signatures, payload digests, the audit chain, outbound signing.
 * Under OpenSSL 3 every createHash/createHmac fetches its algorithm anew: on this project's machines that costs
 * 1.2-2.4 us per object, more than hashing a 2 KB body (~1.3 us).
 * `crypto.hash` (Node >= 20.12) is one call with the algorithm cached, so short messages cost little more than
 * their bytes. HMAC is built on it from its definition (RFC 2104):
 *   HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)), K0 = K padded to the block size (hashed first if longer).
 * Cross-checked against createHmac for random keys, lengths and algorithms in digest.test.ts. Where crypto.hash
 * is missing (Node 20 before 20.12), or a message is large enough that copying it would cost more than the
 * object, the plain createHmac/createHash path runs instead.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha512';

// 'binary' is latin1: a digest as a one-byte string, the cheapest form crypto.hash returns (its 'buffer' output
// is slower on Node 20).
type OneShot = (algorithm: string, data: Uint8Array | string, outputEncoding: 'binary' | 'hex') => string;
const oneShot: OneShot | undefined = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

const BLOCK_BYTES: Record<HashAlgorithm, number> = { sha1: 64, sha256: 64, sha512: 128 };
const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };
/** Past this many bytes of message, copying into the scratch buffer costs more than it saves. */
const ONE_SHOT_MAX_BYTES = 64 * 1024;

/** The padded key XORed with ipad, then opad, for one (algorithm, key); kept because secrets are few and long-lived. */
interface PaddedKey {
  inner: Buffer;
  outer: Buffer;
}
// By algorithm, then by the key itself (text keys) or its base64 (byte keys, in their own map so no text key can
// collide with one): a secret string is the same object on every request, so its lookup hashes nothing new.
const padCache: Record<HashAlgorithm, { text: Map<string, PaddedKey>; bytes: Map<string, PaddedKey> }> = {
  sha1: { text: new Map(), bytes: new Map() },
  sha256: { text: new Map(), bytes: new Map() },
  sha512: { text: new Map(), bytes: new Map() },
};

function paddedKey(algorithm: HashAlgorithm, key: string | Buffer): PaddedKey {
  const cache = typeof key === 'string' ? padCache[algorithm].text : padCache[algorithm].bytes;
  const cacheKey = typeof key === 'string' ? key : key.toString('base64');
  let pads = cache.get(cacheKey);
  if (pads) return pads;
  const block = BLOCK_BYTES[algorithm];
  let k = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (k.length > block) k = createHash(algorithm).update(k).digest();
  const inner = Buffer.alloc(block, 0x36);
  const outer = Buffer.alloc(block, 0x5c);
  for (let i = 0; i < k.length; i++) {
    inner[i]! ^= k[i]!;
    outer[i]! ^= k[i]!;
  }
  if (cache.size >= 256) cache.clear();
  pads = { inner, outer };
  cache.set(cacheKey, pads);
  return pads;
}

// One message at a time is hashed (all of this is synchronous), so one growing scratch buffer serves every call.
let scratch = Buffer.allocUnsafe(4096);

/** At least a part's UTF-8 length: exact for bytes, 3 bytes per UTF-16 unit for a string (the most it takes). */
function maxBytes(part: string | Buffer): number {
  return typeof part === 'string' ? part.length * 3 : part.length;
}

function maxByteLength(parts: readonly (string | Buffer)[]): number {
  let n = 0;
  for (const part of parts) n += maxBytes(part);
  return n;
}

/**
 * `prefix || parts...` laid out in the scratch buffer; returns the view of exactly those bytes. Short ASCII
 * strings (timestamps, ids: most signed prefixes) are copied by hand: Buffer#write costs ~180 ns a call here.
 */
function layOut(prefix: Buffer, parts: readonly (string | Buffer)[], room: number): Uint8Array {
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, scratch.length * 2));
  scratch.set(prefix, 0);
  let at = prefix.length;
  for (const part of parts) {
    if (typeof part !== 'string') {
      scratch.set(part, at);
      at += part.length;
    } else at += part.length <= 64 && writeAscii(scratch, part, at) ? part.length : scratch.write(part, at, 'utf8');
  }
  return new Uint8Array(scratch.buffer, scratch.byteOffset, at);
}

/** Copy `text` at `at` if it is all ASCII (then UTF-8 is the same bytes); false, with nothing promised, if not. */
function writeAscii(target: Buffer, text: string, at: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return false;
    target[at + i] = c;
  }
  return true;
}

const EMPTY = Buffer.alloc(0);

/** The outer message, `(K0 ^ opad) || inner digest`, has a fixed length per algorithm: one buffer each. */
const outerScratch: Record<HashAlgorithm, Buffer> = {
  sha1: Buffer.alloc(BLOCK_BYTES.sha1 + DIGEST_BYTES.sha1),
  sha256: Buffer.alloc(BLOCK_BYTES.sha256 + DIGEST_BYTES.sha256),
  sha512: Buffer.alloc(BLOCK_BYTES.sha512 + DIGEST_BYTES.sha512),
};

/** HMAC of the concatenated parts (strings as UTF-8). */
export function hmac(algorithm: HashAlgorithm, key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  return Buffer.from(hmacAs(algorithm, key, parts, 'binary'), 'latin1');
}

/** The same HMAC as lower-case hex, for schemes that send hex: compared as text, no bytes are made at all. */
export function hmacHex(algorithm: HashAlgorithm, key: string | Buffer, ...parts: (string | Buffer)[]): string {
  return hmacAs(algorithm, key, parts, 'hex');
}

function hmacAs(algorithm: HashAlgorithm, key: string | Buffer, parts: readonly (string | Buffer)[], encoding: 'binary' | 'hex'): string {
  const room = maxByteLength(parts);
  if (!oneShot || room > ONE_SHOT_MAX_BYTES) {
    const mac = createHmac(algorithm, key);
    for (const part of parts) mac.update(part);
    return mac.digest(encoding);
  }
  const pads = paddedKey(algorithm, key);
  const block = pads.inner.length;
  const innerDigest = oneShot(algorithm, layOut(pads.inner, parts, block + room), 'binary');
  const outerMessage = outerScratch[algorithm];
  outerMessage.set(pads.outer, 0);
  // The digest is a one-byte string: its char codes are its bytes.
  for (let i = 0; i < innerDigest.length; i++) outerMessage[block + i] = innerDigest.charCodeAt(i);
  return oneShot(algorithm, outerMessage, encoding);
}

/** Lower-case hex digest of the bytes (a string as UTF-8). */
export function hashHex(algorithm: HashAlgorithm, bytes: Buffer | string): string {
  if (!oneShot || maxBytes(bytes) > ONE_SHOT_MAX_BYTES) return createHash(algorithm).update(bytes).digest('hex');
  return oneShot(algorithm, bytes, 'hex');
}

/** Lower-case hex digest of the concatenated parts. */
export function hashPartsHex(algorithm: HashAlgorithm, parts: readonly (string | Buffer)[]): string {
  const room = maxByteLength(parts);
  if (!oneShot || room > ONE_SHOT_MAX_BYTES) {
    const hash = createHash(algorithm);
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  }
  return oneShot(algorithm, layOut(EMPTY, parts, room), 'hex');
}
