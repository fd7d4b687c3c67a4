/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>` keyed by the app's client secret.
 * Event key: `X-Shopify-Webhook-Id`, else `X-Shopify-Event-Id`, else a body hash; type: `X-Shopify-Topic`.
 * createdAt: `X-Shopify-Triggered-At` when it is RFC 3339. No timestamp is signed and the ids are not either: the content
 * digest (the raw body and the topic) is the replay defence.
 * The body is not parsed (Shopify can send XML), so any bytes verify.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseBase64Digest } from './crypto.ts';
import { epochSeconds } from './json.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

const SIGNATURE = 'X-Shopify-Hmac-Sha256';

export const shopify: Provider = {
  name: 'shopify',

  configure: configureWith('shopify', null, (req, nowMs, { secrets }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseBase64Digest(value, 32);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac('sha256', s.value, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const key = headerToken(req, 'x-shopify-webhook-id') ?? headerToken(req, 'x-shopify-event-id') ?? bodyHashKey(req.rawBody);
    const type = headerToken(req, 'x-shopify-topic') ?? 'unknown';
    const createdAt = epochSeconds(req.headers['x-shopify-triggered-at']?.trim());
    return { ok: true, secretLabel: label, events: [{ key, type, createdAt, contentDigest: contentDigest([req.rawBody], type) }] };
  }),

  /** Extra input: `topic` (default 'orders/create') and `webhookId` (default: body-derived). */
  sign(input: SignInput): SignedOutput {
    const body = Buffer.from(input.body);
    return {
      headers: {
        'x-shopify-hmac-sha256': hmac('sha256', input.secret, body).toString('base64'),
        'x-shopify-topic': typeof input.topic === 'string' ? input.topic : 'orders/create',
        'x-shopify-webhook-id': typeof input.webhookId === 'string' ? input.webhookId : bodyHashKey(body).slice(0, 36),
        'x-shopify-triggered-at': new Date(input.timestamp * 1000).toISOString(),
        'content-type': 'application/json',
      },
      body,
    };
  },
};
