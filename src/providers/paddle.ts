/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`, HMAC-SHA256 over `${ts}:${rawBody}`
 * keyed by the notification destination's secret key (`pdl_ntfset_...`); any h1 may match (Paddle sends several
 * while a secret is being rotated); the timestamp must be within +/- tolerance.
 * Event key: body `event_id`; type: body `event_type`; createdAt: body `occurred_at`, else the signed ts.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseHexDigest, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { epochSeconds, nonEmptyString, parseJsonObject } from './json.ts';
import { header } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader, timestampOutOfTolerance } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

export interface PaddleSignatureHeader {
  timestamp: number | null;
  h1: Buffer[];
}

/** Parse `ts=...;h1=...`; whitespace is tolerated, unknown keys ignored, conflicting ts means none. Never throws. */
export function parsePaddleSignature(value: string): PaddleSignatureHeader {
  let timestamp: number | null = null;
  let seen = false;
  const h1: Buffer[] = [];
  for (const item of value.split(';')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (key === 'ts') {
      const parsed = parseUnixSeconds(text);
      timestamp = seen && parsed !== timestamp ? null : parsed;
      seen = true;
    } else if (key === 'h1') {
      const bytes = parseHexDigest(text, 32);
      if (bytes) h1.push(bytes);
    }
  }
  return { timestamp, h1 };
}

const SIGNATURE = 'Paddle-Signature';

function signature(secret: string, timestamp: number, body: Buffer): Buffer {
  return hmac('sha256', secret, `${timestamp}:`, body);
}

export const paddle: Provider = {
  name: 'paddle',

  configure: configureWith('paddle', null, (req, nowMs, { secrets, toleranceSeconds }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const parsed = parsePaddleSignature(value);
    if (parsed.timestamp === null || parsed.h1.length === 0) return malformedHeader(SIGNATURE);
    const t = parsed.timestamp;
    const label = findMatchingSecret(secrets, nowMs, (s) => signature(s.value, t, req.rawBody), parsed.h1);
    if (label === null) return invalidSignature(SIGNATURE);
    if (!withinTolerance(t, nowMs, toleranceSeconds)) return timestampOutOfTolerance(SIGNATURE);
    const body = parseJsonObject(req.rawBody);
    const key = nonEmptyString(body?.event_id);
    const type = nonEmptyString(body?.event_type);
    if (!body || !key || !type) return { ok: false, reason: 'invalid_payload' };
    const digest = contentDigest([`${t}:`, req.rawBody], type);
    return { ok: true, secretLabel: label, signedAt: t, events: [{ key, type, createdAt: epochSeconds(body.occurred_at) ?? t, contentDigest: digest }] };
  }),

  sign({ body, secret, timestamp }: SignInput): SignedOutput {
    const bytes = Buffer.from(body);
    const h1 = signature(secret, timestamp, bytes).toString('hex');
    return { headers: { 'paddle-signature': `ts=${timestamp};h1=${h1}`, 'content-type': 'application/json' }, body: bytes };
  },
};
