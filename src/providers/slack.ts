/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256>` over `v0:${X-Slack-Request-Timestamp}:${rawBody}`, keyed by
 * the app's signing secret; the timestamp must be within +/- tolerance.
 * Bodies: Events API JSON, or form-encoded (slash commands; interactivity sends its JSON in `payload=`).
 * - `{"type":"url_verification","challenge":...}` is verified, stores nothing and is answered with the challenge.
 * - Event key: `event_id`, else a body hash (form bodies, app_rate_limited). Retries (`X-Slack-Retry-Num`)
 *   carry the same event_id and so are deduplicated.
 * - Type: `event.type`, else top-level `type`; form bodies: the `payload` JSON's `type` (block_actions, ...),
 *   'slash_command' when a `command` field is present, else 'unknown'.
 * - createdAt: `event_time` when present, else the signed timestamp.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseHexDigest, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { decodeUtf8, epochSeconds, isObject, nonEmptyString, parseJsonObject, type JsonObject } from './json.ts';
import { bodyHashKey, header } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader, timestampOutOfTolerance } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

/** The digest bytes of `v0=<64 hex>`, else null. Never throws. */
export function parseSlackSignature(value: string): Buffer | null {
  const trimmed = value.trim();
  return trimmed.startsWith('v0=') ? parseHexDigest(trimmed.slice(3), 32) : null;
}

const SIGNATURE = 'X-Slack-Signature';
const TIMESTAMP = 'X-Slack-Request-Timestamp';

function signature(secret: string, timestamp: number, body: Buffer): Buffer {
  return hmac('sha256', secret, `v0:${timestamp}:`, body);
}

type SlackBody = { kind: 'json'; json: JsonObject } | { kind: 'form'; form: URLSearchParams } | null;

function readBody(raw: Buffer): SlackBody {
  const json = parseJsonObject(raw);
  if (json) return { kind: 'json', json };
  const text = decodeUtf8(raw);
  // A form body never starts with '{'; one that does is broken JSON, not a form.
  if (text === null || text.trimStart().startsWith('{')) return null;
  return { kind: 'form', form: new URLSearchParams(text) };
}

function formType(form: URLSearchParams): string | null {
  const payload = form.get('payload');
  if (payload !== null) {
    const parsed = parseJsonObject(Buffer.from(payload));
    return parsed ? (nonEmptyString(parsed.type) ?? 'unknown') : null;
  }
  return form.has('command') ? 'slash_command' : 'unknown';
}

export const slack: Provider = {
  name: 'slack',

  configure: configureWith('slack', null, (req, nowMs, { secrets, toleranceSeconds }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseSlackSignature(value);
    if (!digest) return malformedHeader(SIGNATURE);
    const tsText = header(req, TIMESTAMP);
    if (tsText === null) return missingHeader(TIMESTAMP, 'malformed_signature');
    const t = parseUnixSeconds(tsText.trim());
    if (t === null) return malformedHeader(TIMESTAMP);
    const label = findMatchingSecret(secrets, nowMs, (s) => signature(s.value, t, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    if (!withinTolerance(t, nowMs, toleranceSeconds)) return timestampOutOfTolerance(TIMESTAMP);

    const digestOf = (type: string) => contentDigest([`v0:${t}:`, req.rawBody], type);
    const body = readBody(req.rawBody);
    if (!body) return { ok: false, reason: 'invalid_payload' };
    if (body.kind === 'form') {
      const type = formType(body.form);
      if (type === null) return { ok: false, reason: 'invalid_payload', detail: 'payload field is not a JSON object' };
      return { ok: true, secretLabel: label, signedAt: t, events: [{ key: bodyHashKey(req.rawBody), type, createdAt: t, contentDigest: digestOf(type) }] };
    }
    const { json } = body;
    if (json.type === 'url_verification') {
      const challenge = nonEmptyString(json.challenge, 1024);
      if (!challenge) return { ok: false, reason: 'invalid_payload', detail: 'url_verification without a challenge' };
      return {
        ok: true,
        secretLabel: label,
        signedAt: t,
        events: [],
        reply: { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge }) },
      };
    }
    const event = isObject(json.event) ? json.event : undefined;
    const type = nonEmptyString(event?.type) ?? nonEmptyString(json.type) ?? 'unknown';
    const key = nonEmptyString(json.event_id) ?? bodyHashKey(req.rawBody);
    return { ok: true, secretLabel: label, signedAt: t, events: [{ key, type, createdAt: epochSeconds(json.event_time) ?? t, contentDigest: digestOf(type) }] };
  }),

  sign({ body, secret, timestamp }: SignInput): SignedOutput {
    const bytes = Buffer.from(body);
    const isJson = parseJsonObject(bytes) !== null;
    return {
      headers: {
        'x-slack-signature': `v0=${signature(secret, timestamp, bytes).toString('hex')}`,
        'x-slack-request-timestamp': String(timestamp),
        'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
      },
      body: bytes,
    };
  },
};
