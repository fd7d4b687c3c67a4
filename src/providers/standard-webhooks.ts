/**
 * Standard Webhooks (https://www.standardwebhooks.com; Svix sends the same with `svix-*` header names).
 * Headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; signed content `${id}.${timestamp}.${rawBody}`.
 * The signature header is a space-separated list; any entry may match:
 * - `v1,<base64 HMAC-SHA256>` keyed by a `whsec_<base64 key>` secret (a bare base64 key is accepted too);
 * - `v1a,<base64 Ed25519 signature>` checked against a `whpk_<base64 32-byte public key>` secret.
 * Key representation for Ed25519 (ours, compatible with the spec's prefixes): `whsk_` + base64 of the 32-byte
 * seed (a 64-byte libsodium seed||public key is also read); `whpk_` + base64 of the raw 32-byte public key.
 * A `whsk_` secret configured on a source verifies too (its public key is derived).
 * Event key: webhook-id; type: body `type` when the body is a JSON object with a string `type`, else 'unknown'.
 */
import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { bytesEqual, findSecretWhere, fromBase64, hmac, parseUnixSeconds, sha256Hex, withinTolerance } from './crypto.ts';
import { contentDigest } from './content-digest.ts';
import { nonEmptyString, parseJsonObject } from './json.ts';
import { header } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader, timestampOutOfTolerance } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, SignedRequest, VerifyResult } from './types.ts';

// DER headers that turn raw Ed25519 key bytes into the PKCS#8 / SPKI documents node:crypto imports.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export interface StandardSignatures {
  v1: Buffer[];
  v1a: Buffer[];
}

/** Parse `v1,<b64> v1a,<b64> ...`; unknown versions and malformed entries are skipped. Never throws. */
export function parseStandardSignatures(value: string): StandardSignatures {
  const result: StandardSignatures = { v1: [], v1a: [] };
  // Node joins a repeated header with ", ", so a trailing comma on an entry is a separator, not base64.
  for (const entry of value.split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma < 0) continue;
    const version = entry.slice(0, comma);
    const bytes = fromBase64(entry.slice(comma + 1).replace(/,$/, ''));
    if (version === 'v1' && bytes?.length === 32) result.v1.push(bytes);
    else if (version === 'v1a' && bytes?.length === 64) result.v1a.push(bytes);
  }
  return result;
}

/** The HMAC key of a `whsec_` (or bare base64) secret; null for Ed25519 keys and malformed secrets. */
function hmacKey(secret: string): Buffer | null {
  if (secret.startsWith('whpk_') || secret.startsWith('whsk_')) return null;
  const key = fromBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  return key && key.length > 0 ? key : null;
}

function privateKey(secret: string): KeyObject | null {
  if (!secret.startsWith('whsk_')) return null;
  const raw = fromBase64(secret.slice(5));
  if (!raw || (raw.length !== 32 && raw.length !== 64)) return null;
  try {
    return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  } catch {
    return null;
  }
}

function publicKey(secret: string): KeyObject | null {
  if (secret.startsWith('whsk_')) {
    const key = privateKey(secret);
    return key && createPublicKey(key);
  }
  if (!secret.startsWith('whpk_')) return null;
  const raw = fromBase64(secret.slice(5));
  if (raw?.length !== 32) return null;
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** `whsk_`/`whpk_` strings for a node:crypto Ed25519 private key, e.g. from generateKeyPairSync('ed25519'). */
export function encodeEd25519KeyPair(key: KeyObject): { secretKey: string; publicKey: string } {
  const jwk = key.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  return { secretKey: `whsk_${seed.toString('base64')}`, publicKey: `whpk_${pub.toString('base64')}` };
}

function safeEdVerify(content: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return edVerify(null, content, key, signature);
  } catch {
    return false;
  }
}

function signedContent(id: string, timestamp: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
}

/** The three headers, each under its `webhook-` name or else its `svix-` one; `prefix` names them in errors. */
function readHeaders(req: SignedRequest): { id: string | null; timestamp: string | null; signature: string | null; prefix: 'webhook-' | 'svix-' } {
  const signature = header(req, 'webhook-signature');
  const svix = signature === null ? header(req, 'svix-signature') : null;
  return {
    id: header(req, 'webhook-id') ?? header(req, 'svix-id'),
    timestamp: header(req, 'webhook-timestamp') ?? header(req, 'svix-timestamp'),
    signature: signature ?? svix,
    prefix: svix === null ? 'webhook-' : 'svix-',
  };
}

export const standardWebhooks: Provider = {
  name: 'standard-webhooks',

  /** The key forms verify can use: an HMAC key (`whsec_` + base64, or bare base64), or an Ed25519 key. */
  checkSecret(value) {
    if (value.startsWith('whsk_') || value.startsWith('whpk_')) {
      return publicKey(value) ? null : `is not a usable Ed25519 key (${value.slice(0, 5)} must be followed by the base64 of a 32-byte key)`;
    }
    return hmacKey(value) ? null : 'is not a Standard Webhooks secret (whsec_ followed by a non-empty base64 key, or whsk_/whpk_ and an Ed25519 key)';
  },

  configure: configureWith('standard-webhooks', null, (req, nowMs, { secrets, toleranceSeconds }): VerifyResult => {
    const h = readHeaders(req);
    const [idName, timestampName, signatureName] = [`${h.prefix}id`, `${h.prefix}timestamp`, `${h.prefix}signature`];
    if (h.signature === null) return missingHeader(signatureName);
    const sigs = parseStandardSignatures(h.signature);
    if (sigs.v1.length + sigs.v1a.length === 0) return malformedHeader(signatureName);
    if (h.id === null) return missingHeader(idName, 'malformed_signature');
    if (h.id.length > 255) return malformedHeader(idName);
    if (h.timestamp === null) return missingHeader(timestampName, 'malformed_signature');
    const t = parseUnixSeconds(h.timestamp.trim());
    if (t === null) return malformedHeader(timestampName);
    const content = signedContent(h.id, t, req.rawBody);
    const label = findSecretWhere(secrets, nowMs, (secret) => {
      const key = sigs.v1.length > 0 ? hmacKey(secret.value) : null;
      if (key) {
        const expected = hmac('sha256', key, content);
        if (sigs.v1.some((sig) => bytesEqual(expected, sig))) return true;
      }
      const pub = sigs.v1a.length > 0 ? publicKey(secret.value) : null;
      return pub !== null && sigs.v1a.some((sig) => safeEdVerify(content, pub, sig));
    });
    if (label === null) return invalidSignature(signatureName);
    if (!withinTolerance(t, nowMs, toleranceSeconds)) return timestampOutOfTolerance(timestampName);
    const type = nonEmptyString(parseJsonObject(req.rawBody)?.type) ?? 'unknown';
    return { ok: true, secretLabel: label, signedAt: t, events: [{ key: h.id, type, createdAt: t, contentDigest: contentDigest([content], type) }] };
  }),

  /**
   * `whsec_`/bare secrets produce `v1,`; `whsk_` secrets produce `v1a,`. Extra input `msgId`; without it the id
   * is derived from the timestamp and body so signing stays deterministic.
   */
  sign(input: SignInput): SignedOutput {
    const body = Buffer.from(input.body);
    const id = typeof input.msgId === 'string' ? input.msgId : `msg_${sha256Hex(`${input.timestamp}.${sha256Hex(body)}`).slice(0, 24)}`;
    const content = signedContent(id, input.timestamp, body);
    let signature: string;
    const edKey = privateKey(input.secret);
    if (edKey) signature = `v1a,${edSign(null, content, edKey).toString('base64')}`;
    else {
      const key = hmacKey(input.secret);
      if (!key) throw new Error('standard-webhooks: the secret must be whsec_<base64>, a base64 key or whsk_<base64>');
      signature = `v1,${hmac('sha256', key, content).toString('base64')}`;
    }
    return {
      headers: {
        'webhook-id': id,
        'webhook-timestamp': String(input.timestamp),
        'webhook-signature': signature,
        'content-type': 'application/json',
      },
      body,
    };
  },
};
