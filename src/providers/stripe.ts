/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]`.
 * Signed content: `${t}.${rawBody}`, HMAC-SHA256 keyed by the whole secret string (`whsec_...` included).
 * Event key: body `id`; type: body `type`. Timestamp must be within +/- tolerance.
 * No contentDigest: the key is the signed body `id`, so a request whose signed content is the same has the same
 * key and is a replay by key alone (Stripe's own retries are re-signed with a new `t` and share the id too).
 * A digest would add nothing to the key; without one the insert also skips the digest's unique index.
 */
import { findMatchingSecret, parseUnixSeconds, textEqual, withinTolerance } from './crypto.ts';
import { hmacHex } from '../digest.ts';
import { isObject, nonEmptyString, parseJsonObject } from './json.ts';
import { configureWith } from './configure.ts';
import type { Provider, Rejection, SecretRef, SignInput, SignedOutput, VerifyResult } from './types.ts';

export interface StripeSignatureHeader {
  timestamp: number | null;
  /**
   * The v1 signatures that are 64 hex digits, exactly as sent. They are compared case-sensitively with our
   * lower-case hex, as stripe-node and the seed do: a signature written in upper-case hex never matches.
   */
  v1: string[];
}

/**
 * Parse `t=...,v1=...`: items split at `,`, each at its first `=`, key and value trimmed (String.prototype.trim's
 * whitespace), other schemes ignored. Never throws. One pass over the string that makes no substring but the
 * signatures it keeps and no object per item: this runs on every request, and split/slice/trim cost as much as a
 * third of the HMAC.
 */
export function parseStripeSignature(header: string): StripeSignatureHeader {
  let timestamp: number | null = null;
  let timestampSeen = false;
  const v1: string[] = [];
  const n = header.length;
  for (let start = 0; start <= n; ) {
    let end = header.indexOf(',', start);
    if (end < 0) end = n;
    const eq = header.indexOf('=', start);
    if (eq >= 0 && eq < end) {
      // Key [ks, ke) and value [vs, ve), trimmed.
      let ks = start;
      let ke = eq;
      let vs = eq + 1;
      let ve = end;
      while (ks < ke && isSpace(header.charCodeAt(ks))) ks++;
      while (ke > ks && isSpace(header.charCodeAt(ke - 1))) ke--;
      while (vs < ve && isSpace(header.charCodeAt(vs))) vs++;
      while (ve > vs && isSpace(header.charCodeAt(ve - 1))) ve--;
      if (ke - ks === 1 && header.charCodeAt(ks) === 0x74 /* t */) {
        // Two different timestamps make the header ambiguous: treat it as having none.
        const parsed = parseUnixSeconds(header, vs, ve);
        timestamp = timestampSeen && parsed !== timestamp ? null : parsed;
        timestampSeen = true;
      } else if (ke - ks === 2 && header.charCodeAt(ks) === 0x76 /* v */ && header.charCodeAt(ks + 1) === 0x31 /* 1 */ && ve - vs === 64) {
        if (isHex(header, vs, ve)) v1.push(header.slice(vs, ve));
      }
    }
    start = end + 1;
  }
  return { timestamp, v1 };
}

/** Whether text[from, to) is all hex digits, in either case. */
function isHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}

const WHITESPACE = /\s/;

function isSpace(code: number): boolean {
  if (code === 0x20) return true;
  if (code > 0x20 && code < 0x7f) return false;
  return WHITESPACE.test(String.fromCharCode(code));
}

function signature(secret: string, timestamp: number, body: Buffer): string {
  return hmacHex('sha256', secret, `${timestamp}.`, body);
}

/**
 * The signature check alone (header parsed, every live secret tried, constant-time compare): the label of the
 * secret that signed it and the signed timestamp, or why not. The benchmark times this against Stripe's own.
 */
export function checkStripeSignature(
  header: string,
  body: Buffer,
  secrets: readonly SecretRef[],
  nowMs: number,
): { label: string; timestamp: number } | { reason: 'malformed_signature' | 'invalid_signature' } {
  const parsed = parseStripeSignature(header);
  const t = parsed.timestamp;
  if (t === null || parsed.v1.length === 0) return { reason: 'malformed_signature' };
  const label = findMatchingSecret(secrets, nowMs, (s) => signature(s.value, t, body), parsed.v1, textEqual);
  return label === null ? { reason: 'invalid_signature' } : { label, timestamp: t };
}

/** Stripe's event object, strictly: id and type non-empty strings, created an integer, data an object if present. */
function readStripeEvent(body: Buffer): { id: string; type: string; created: number } | null {
  const event = parseJsonObject(body);
  if (!event) return null;
  const id = nonEmptyString(event.id);
  const type = nonEmptyString(event.type);
  const created = event.created;
  if (!id || !type || typeof created !== 'number' || !Number.isSafeInteger(created)) return null;
  if ('data' in event && !isObject(event.data)) return null;
  return { id, type, created };
}

/**
 * Stripe sources answer with the seed's exact texts (what the seed said through stripe-node), whichever route
 * they are on: a missing header has its own text, every other signature failure is "Invalid signature".
 */
const SIGNATURE = 'Stripe-Signature';
const MISSING: Rejection = { ok: false, reason: 'missing_signature', detail: 'Missing encoded Stripe-Signature header', header: SIGNATURE };

function refused(reason: 'malformed_signature' | 'invalid_signature' | 'timestamp_out_of_tolerance'): Rejection {
  return { ok: false, reason, detail: 'Invalid signature', header: SIGNATURE };
}

export const stripe: Provider = {
  name: 'stripe',

  /** Stripe keys the HMAC with the whole `whsec_...` string; anything else is some other Stripe key pasted here. */
  checkSecret(value) {
    return value.startsWith('whsec_') && value.length > 6 ? null : 'is not a Stripe webhook secret (must start with whsec_)';
  },

  configure: configureWith('stripe', null, (req, nowMs, { secrets, toleranceSeconds }): VerifyResult => {
    const header = req.headers['stripe-signature'];
    if (!header || header.trim() === '') return MISSING;
    const signed = checkStripeSignature(header, req.rawBody, secrets, nowMs);
    if ('reason' in signed) return refused(signed.reason);
    if (!withinTolerance(signed.timestamp, nowMs, toleranceSeconds)) return refused('timestamp_out_of_tolerance');
    const event = readStripeEvent(req.rawBody);
    if (!event) return { ok: false, reason: 'invalid_payload' };
    return {
      ok: true,
      secretLabel: signed.label,
      signedAt: signed.timestamp,
      events: [{ key: event.id, type: event.type, createdAt: event.created }],
    };
  }),

  sign({ body, secret, timestamp }: SignInput): SignedOutput {
    const bytes = Buffer.from(body);
    const v1 = signature(secret, timestamp, bytes);
    return { headers: { 'stripe-signature': `t=${timestamp},v1=${v1}`, 'content-type': 'application/json' }, body: bytes };
  },
};
