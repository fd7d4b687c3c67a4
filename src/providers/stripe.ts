/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]`.
 * Signed content: `${t}.${rawBody}`, HMAC-SHA256 keyed by the whole secret string (`whsec_...` included).
 * Event key: body `id`; type: body `type`. Timestamp must be within +/- tolerance.
 */
import { findMatchingSecret, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { isObject, nonEmptyString, parseJsonObject } from './json.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

export interface StripeSignatureHeader {
  timestamp: number | null;
  v1: Buffer[];
}

/** Parse `t=...,v1=...`; whitespace around keys and values is tolerated, other schemes ignored. Never throws. */
export function parseStripeSignature(header: string): StripeSignatureHeader {
  let timestamp: number | null = null;
  let timestampSeen = false;
  const v1: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      // Two different timestamps make the header ambiguous: treat it as having none.
      const parsed = parseUnixSeconds(value);
      timestamp = timestampSeen && parsed !== timestamp ? null : parsed;
      timestampSeen = true;
    } else if (key === 'v1') {
      // Buffer.from stops at the first non-hex pair, so 32 bytes out means 64 valid hex digits in.
      const bytes = value.length === 64 ? Buffer.from(value, 'hex') : null;
      if (bytes && bytes.length === 32) v1.push(bytes);
    }
  }
  return { timestamp, v1 };
}

function signature(secret: string, timestamp: number, body: Buffer): Buffer {
  return hmac('sha256', secret, `${timestamp}.`, body);
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

export const stripe: Provider = {
  name: 'stripe',

  verify(req, secrets, nowMs, options): VerifyResult {
    const header = req.headers['stripe-signature'];
    if (!header || header.trim() === '') return { ok: false, reason: 'missing_signature' };
    const parsed = parseStripeSignature(header);
    if (parsed.timestamp === null || parsed.v1.length === 0) return { ok: false, reason: 'malformed_signature' };
    const t = parsed.timestamp;
    const label = findMatchingSecret(secrets, nowMs, (s) => signature(s.value, t, req.rawBody), parsed.v1);
    if (label === null) return { ok: false, reason: 'invalid_signature' };
    if (!withinTolerance(t, nowMs, options.toleranceSeconds)) return { ok: false, reason: 'timestamp_out_of_tolerance' };
    const event = readStripeEvent(req.rawBody);
    if (!event) return { ok: false, reason: 'invalid_payload' };
    return { ok: true, secretLabel: label, signedAt: t, events: [{ key: event.id, type: event.type, createdAt: event.created }] };
  },

  sign({ body, secret, timestamp }: SignInput): SignedOutput {
    const bytes = Buffer.from(body);
    const v1 = signature(secret, timestamp, bytes).toString('hex');
    return { headers: { 'stripe-signature': `t=${timestamp},v1=${v1}`, 'content-type': 'application/json' }, body: bytes };
  },
};
