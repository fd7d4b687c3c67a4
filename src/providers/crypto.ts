/** Shared building blocks for provider schemes: HMAC, constant-time comparison, secret expiry. */
import { timingSafeEqual } from 'node:crypto';
import { hashHex } from '../digest.ts';
import type { SecretRef } from './types.ts';

/** HMAC of the concatenated parts, one-shot where the runtime allows: defined in digest.ts, used by every scheme. */
export { hmac } from '../digest.ts';

/** Constant-time equality of two byte strings; different lengths are unequal (length is not secret). */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Constant-time equality of two digests written as text (hex): every character is compared, with no early exit
 * on a difference, so the time says nothing about where they differ. Different lengths are unequal.
 */
export function textEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Hex text to bytes, or null when it is not well-formed hex (so odd input never throws). */
export function fromHex(text: string): Buffer | null {
  return text.length % 2 === 0 && HEX.test(text) ? Buffer.from(text, 'hex') : null;
}

/** Standard base64 (with padding optional) to bytes, or null when malformed. */
export function fromBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** A fixed-size digest written as hex (surrounding whitespace tolerated), else null. */
export function parseHexDigest(value: string, bytes: number): Buffer | null {
  const trimmed = value.trim();
  return trimmed.length === bytes * 2 ? fromHex(trimmed) : null;
}

/** A fixed-size digest written as base64 (surrounding whitespace tolerated), else null. */
export function parseBase64Digest(value: string, bytes: number): Buffer | null {
  const decoded = fromBase64(value.trim());
  return decoded && decoded.length === bytes ? decoded : null;
}

/** Whether a secret may still verify at `nowMs`: an expired secret is refused, not merely logged. */
function isLive(secret: SecretRef, nowMs: number): boolean {
  return secret.expiresAt === undefined || nowMs <= secret.expiresAt;
}

/**
 * Try every live secret against every candidate signature; return the label of the first secret that matches.
 * Each comparison is constant-time; the loop over secrets is not secret (their count is public).
 */
export function findMatchingSecret<T extends Buffer | string = Buffer>(
  secrets: readonly SecretRef[],
  nowMs: number,
  expectedFor: (secret: SecretRef) => T | null,
  candidates: readonly T[],
  equal: (a: T, b: T) => boolean = bytesEqual as (a: T, b: T) => boolean,
): string | null {
  return findSecretWhere(secrets, nowMs, (secret) => {
    const expected = expectedFor(secret);
    if (expected === null) return false;
    for (const candidate of candidates) if (equal(expected, candidate)) return true;
    return false;
  });
}

/**
 * The label of the first live secret for which `verifies` holds. For schemes where one secret yields several
 * expected values (Twilio's URL variants) or where verification is not a comparison (Ed25519); `verifies` must
 * itself compare in constant time.
 */
export function findSecretWhere(secrets: readonly SecretRef[], nowMs: number, verifies: (secret: SecretRef) => boolean): string | null {
  for (const secret of secrets) if (isLive(secret, nowMs) && verifies(secret)) return secret.label;
  return null;
}

/** Lower-case hex SHA-256: every stored payload's digest, the event key of providers that send no event id, Twilio's bodySHA256. */
export function sha256Hex(bytes: Buffer | string): string {
  return hashHex('sha256', bytes);
}

/** Whether a signed timestamp (seconds) is within +/- tolerance of now (ms), in both directions. */
export function withinTolerance(timestampSeconds: number, nowMs: number, toleranceSeconds: number): boolean {
  return Math.abs(nowMs - timestampSeconds * 1000) <= toleranceSeconds * 1000;
}

/**
 * A plain decimal integer of at most 15 digits (no sign, no exponent, no spaces), else null. Reads text[from, to)
 * when given, so a header parser need not cut the substring out first.
 */
export function parseUnixSeconds(text: string | undefined, from = 0, to = text?.length ?? 0): number | null {
  if (text === undefined || to - from < 1 || to - from > 15) return null;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}
