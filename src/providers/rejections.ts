/**
 * The rejections every scheme returns, with texts that name the scheme's own header, so no source can answer
 * with another scheme's words (the table default for missing_signature is the seed's Stripe text).
 * - missing signature header: `Missing <Header> header`;
 * - a header that is there but cannot be read (or a required companion header that is absent): `Malformed <Header>
 *   header` / `Missing <Header> header`, code malformed_signature;
 * - no live secret produces the signature: `Invalid signature` (the same words for every scheme);
 * - a signed timestamp too far from our clock: `Timestamp in <Header> header is outside the tolerance`.
 * Stripe keeps the seed's exact texts instead (stripe.ts).
 */
import type { Rejection } from './types.ts';

export function missingHeader(name: string, reason: 'missing_signature' | 'malformed_signature' = 'missing_signature'): Rejection {
  return { ok: false, reason, detail: `Missing ${name} header`, header: name };
}

export function malformedHeader(name: string): Rejection {
  return { ok: false, reason: 'malformed_signature', detail: `Malformed ${name} header`, header: name };
}

export function invalidSignature(name?: string): Rejection {
  return { ok: false, reason: 'invalid_signature', detail: 'Invalid signature', ...(name !== undefined ? { header: name } : {}) };
}

export function timestampOutOfTolerance(name: string): Rejection {
  return { ok: false, reason: 'timestamp_out_of_tolerance', detail: `Timestamp in ${name} header is outside the tolerance`, header: name };
}
