/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` keyed by the webhook secret.
 * Event key: `X-GitHub-Delivery` (body hash if absent); type: `X-GitHub-Event`. No timestamp is signed, so
 * the delivery id, which is not signed either, does not decide replays: the content digest (the raw body and the
 * type) does. The legacy SHA-1 `X-Hub-Signature` is not accepted.
 * A `ping` (sent when the hook is created) verifies like any event but stores nothing and answers pong.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, fromHex, hmac } from './crypto.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

/** The digest bytes of `sha256=<64 hex>` (whitespace around it tolerated), else null. Never throws. */
export function parseGithubSignature(value: string): Buffer | null {
  const trimmed = value.trim();
  if (!trimmed.startsWith('sha256=') || trimmed.length !== 7 + 64) return null;
  return fromHex(trimmed.slice(7));
}

const SIGNATURE = 'X-Hub-Signature-256';

export const github: Provider = {
  name: 'github',

  configure: configureWith('github', null, (req, nowMs, { secrets }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseGithubSignature(value);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac('sha256', s.value, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const type = headerToken(req, 'x-github-event') ?? 'unknown';
    if (type === 'ping') {
      return { ok: true, secretLabel: label, events: [], reply: { status: 200, contentType: 'application/json', body: '{"status":"pong"}' } };
    }
    const key = headerToken(req, 'x-github-delivery') ?? bodyHashKey(req.rawBody);
    return { ok: true, secretLabel: label, events: [{ key, type, createdAt: null, contentDigest: contentDigest([req.rawBody], type) }] };
  }),

  /** Extra input: `event` (default 'push') and `delivery` (default: a body-derived id, so signing stays deterministic). */
  sign(input: SignInput): SignedOutput {
    const body = Buffer.from(input.body);
    const event = typeof input.event === 'string' ? input.event : 'push';
    const delivery = typeof input.delivery === 'string' ? input.delivery : bodyHashKey(body).slice(0, 32);
    return {
      headers: {
        'x-hub-signature-256': `sha256=${hmac('sha256', input.secret, body).toString('hex')}`,
        'x-github-event': event,
        'x-github-delivery': delivery,
        'content-type': 'application/json',
      },
      body,
    };
  },
};
