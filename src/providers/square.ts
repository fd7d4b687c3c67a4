/**
 * Square: `X-Square-HmacSha256-Signature: <base64 HMAC-SHA256>` over `${notificationUrl}${rawBody}`, keyed by the
 * subscription's signature key. The URL is the one registered with Square, which a proxy may hide from us, so it
 * is a required option rather than taken from the request.
 * Event key: body `event_id`; type: body `type`; createdAt: body `created_at`. No timestamp is signed: dedup is
 * the replay defence.
 */
import { z } from 'zod';
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseBase64Digest } from './crypto.ts';
import { epochSeconds, nonEmptyString, parseJsonObject } from './json.ts';
import { header } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

export const squareOptions = z.object({
  /** The notification URL exactly as registered in the Square Developer Console. */
  notification_url: z.url(),
});

const SIGNATURE = 'X-Square-HmacSha256-Signature';

function signature(secret: string, url: string, body: Buffer): Buffer {
  return hmac('sha256', secret, url, body);
}

export const square: Provider = {
  name: 'square',
  optionsSchema: squareOptions,

  configure: configureWith('square', squareOptions, (req, nowMs, { secrets, options }): VerifyResult => {
    const url = options.notification_url;
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseBase64Digest(value, 32);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => signature(s.value, url, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const body = parseJsonObject(req.rawBody);
    const key = nonEmptyString(body?.event_id);
    const type = nonEmptyString(body?.type);
    if (!body || !key || !type) return { ok: false, reason: 'invalid_payload' };
    return {
      ok: true,
      secretLabel: label,
      events: [{ key, type, createdAt: epochSeconds(body.created_at), contentDigest: contentDigest([url, req.rawBody], type) }],
    };
  }),

  /** The signed URL is `input.url`, else extra input `notification_url`. */
  sign(input: SignInput): SignedOutput {
    const url = input.url ?? input.notification_url;
    if (typeof url !== 'string') throw new Error('square: sign needs the notification URL (url)');
    const body = Buffer.from(input.body);
    return {
      headers: { 'x-square-hmacsha256-signature': signature(input.secret, url, body).toString('base64'), 'content-type': 'application/json' },
      body,
    };
  },
};
