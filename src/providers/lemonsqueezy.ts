/**
 * Lemon Squeezy: `X-Signature: <hex HMAC-SHA256 of the raw body>` keyed by the webhook signing secret.
 * Lemon Squeezy sends no event id, so the event key is a SHA-256 of the body (identical retries collapse);
 * type: `X-Event-Name`, else body `meta.event_name`, else 'unknown'. No timestamp is signed: dedup is the replay defence.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseHexDigest } from './crypto.ts';
import { isObject, nonEmptyString, parseJsonObject } from './json.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

function bodyEventName(raw: Buffer): string | null {
  const meta = parseJsonObject(raw)?.meta;
  return isObject(meta) ? nonEmptyString(meta.event_name) : null;
}

const SIGNATURE = 'X-Signature';

export const lemonsqueezy: Provider = {
  name: 'lemonsqueezy',

  configure: configureWith('lemonsqueezy', null, (req, nowMs, { secrets }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseHexDigest(value, 32);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac('sha256', s.value, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const type = headerToken(req, 'x-event-name') ?? bodyEventName(req.rawBody) ?? 'unknown';
    return {
      ok: true,
      secretLabel: label,
      events: [{ key: bodyHashKey(req.rawBody), type, createdAt: null, contentDigest: contentDigest([req.rawBody], type) }],
    };
  }),

  /** The `X-Event-Name` header comes from extra input `eventName`, else the body's `meta.event_name`. */
  sign(input: SignInput): SignedOutput {
    const body = Buffer.from(input.body);
    const headers: Record<string, string> = {
      'x-signature': hmac('sha256', input.secret, body).toString('hex'),
      'content-type': 'application/json',
    };
    const eventName = typeof input.eventName === 'string' ? input.eventName : bodyEventName(body);
    if (eventName) headers['x-event-name'] = eventName;
    return { headers, body };
  },
};
