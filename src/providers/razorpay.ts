/**
 * Razorpay: `X-Razorpay-Signature: <hex HMAC-SHA256 of the raw body>` keyed by the webhook secret.
 * Event key: `X-Razorpay-Event-Id` (body hash if absent); type: body `event`; createdAt: body `created_at`.
 * No timestamp is signed and the event id header is not either: the content digest (the raw body and the type) is
 * the replay defence. The body must be a JSON object with a string `event`.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseHexDigest } from './crypto.ts';
import { epochSeconds, nonEmptyString, parseJsonObject } from './json.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

const SIGNATURE = 'X-Razorpay-Signature';

export const razorpay: Provider = {
  name: 'razorpay',

  configure: configureWith('razorpay', null, (req, nowMs, { secrets }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseHexDigest(value, 32);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac('sha256', s.value, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const body = parseJsonObject(req.rawBody);
    const type = nonEmptyString(body?.event);
    if (!body || !type) return { ok: false, reason: 'invalid_payload' };
    const key = headerToken(req, 'x-razorpay-event-id') ?? bodyHashKey(req.rawBody);
    return {
      ok: true,
      secretLabel: label,
      events: [{ key, type, createdAt: epochSeconds(body.created_at), contentDigest: contentDigest([req.rawBody], type) }],
    };
  }),

  /** Extra input: `eventId` (default: body-derived). */
  sign(input: SignInput): SignedOutput {
    const body = Buffer.from(input.body);
    return {
      headers: {
        'x-razorpay-signature': hmac('sha256', input.secret, body).toString('hex'),
        'x-razorpay-event-id': typeof input.eventId === 'string' ? input.eventId : bodyHashKey(body).slice(0, 14),
        'content-type': 'application/json',
      },
      body,
    };
  },
};
