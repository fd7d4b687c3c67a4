/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` keyed by the auth token over the full URL, followed for form
 * bodies by every POST parameter sorted by name as name+value (repeated names: distinct values sorted). For
 * JSON bodies Twilio adds `bodySHA256=<hex SHA-256 of the body>` to the URL's query; the signature then covers
 * the URL only and the hash must match the body. Like twilio-node 6.x we honour
 * `X-Twilio-Webhooks-Signature-Settings: algorithm=HMAC_SHA256` and try the URL with and without its default port.
 * Option `public_url`: the URL Twilio was configured with, when a proxy rewrites ours (its query is replaced by
 * the request's). No timestamp is signed and the idempotency token is not either: the content digest (the signed URL
 * and parameters, which for JSON bodies include the body's hash, and the type) is the replay defence.
 * Event key: `I-Twilio-Idempotency-Token` (same across Twilio's retries), else a body hash. Not the MessageSid or
 * CallSid: one message's successive status callbacks share its SID and would be deduplicated away.
 * Type: 'message' (MessageSid/SmsSid), 'call' (CallSid), a JSON body's string `type`, else 'twilio.webhook'.
 */
import { z } from 'zod';
import type { HashAlgorithm } from '../digest.ts';
import { contentDigest } from './content-digest.ts';
import { bytesEqual, findSecretWhere, hmac, parseBase64Digest, sha256Hex } from './crypto.ts';
import { decodeUtf8, nonEmptyString, parseJsonObject } from './json.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { queryParams, signedTwilioUrl, twilioUrlCandidates } from './twilio-url.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifyResult } from './types.ts';

export const twilioOptions = z.object({
  /** The webhook URL as configured in Twilio, when it differs from the URL this server sees. */
  public_url: z.url().optional(),
});

const SIGNATURE = 'X-Twilio-Signature';
const SETTINGS = 'X-Twilio-Webhooks-Signature-Settings';

/** The algorithm named in the settings header; absent means the legacy HMAC_SHA1; unknown is null. */
export function twilioAlgorithm(settings: string | undefined): HashAlgorithm | null {
  for (const part of (settings ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== 'algorithm') continue;
    const name = part
      .slice(eq + 1)
      .trim()
      .toUpperCase();
    if (name === '') break;
    return name === 'HMAC_SHA1' ? 'sha1' : name === 'HMAC_SHA256' ? 'sha256' : null;
  }
  return 'sha1';
}

/** The POST parameters in signing order: sorted names, each name+value, duplicates' distinct values sorted. */
export function formSigningSuffix(params: URLSearchParams): string {
  let suffix = '';
  for (const name of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(name))].sort()) suffix += name + value;
  }
  return suffix;
}

function formType(params: URLSearchParams): string {
  if (params.has('MessageSid') || params.has('SmsSid')) return 'message';
  if (params.has('CallSid')) return 'call';
  return 'twilio.webhook';
}

function isJsonText(body: Buffer): boolean {
  const text = body.toString('latin1', 0, 64).trimStart();
  return text.startsWith('{') || text.startsWith('[');
}

export const twilio: Provider = {
  name: 'twilio',
  optionsSchema: twilioOptions,

  configure: configureWith('twilio', twilioOptions, (req, nowMs, { secrets, options }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const algorithm = twilioAlgorithm(req.headers['x-twilio-webhooks-signature-settings']);
    if (!algorithm) return malformedHeader(SETTINGS);
    const signature = parseBase64Digest(value, algorithm === 'sha1' ? 20 : 32);
    if (!signature) return malformedHeader(SIGNATURE);

    const url = signedTwilioUrl(req.url, options.public_url);
    const bodyHash = queryParams(url).get('bodySHA256');
    let suffix = '';
    let form: URLSearchParams | null = null;
    if (bodyHash === null) {
      const text = decodeUtf8(req.rawBody);
      if (text === null) return { ok: false, reason: 'invalid_payload', detail: 'form body is not UTF-8' };
      form = new URLSearchParams(text);
      suffix = formSigningSuffix(form);
    }
    const candidates = twilioUrlCandidates(url);
    // The URL form that matched is the one Twilio signed, however this request spelled it (port, escaping).
    let signedUrl = '';
    const label = findSecretWhere(secrets, nowMs, (secret) => {
      const match = candidates.find((candidate) => bytesEqual(hmac(algorithm, secret.value, candidate, suffix), signature));
      if (match !== undefined) signedUrl = match;
      return match !== undefined;
    });
    if (label === null) return invalidSignature(SIGNATURE);
    if (bodyHash !== null && !bytesEqual(Buffer.from(bodyHash.toLowerCase()), Buffer.from(sha256Hex(req.rawBody)))) {
      return { ok: false, reason: 'invalid_signature', detail: 'bodySHA256 does not match the body' };
    }
    const type = form ? formType(form) : (nonEmptyString(parseJsonObject(req.rawBody)?.type) ?? 'twilio.webhook');
    const key = headerToken(req, 'i-twilio-idempotency-token') ?? bodyHashKey(req.rawBody);
    return { ok: true, secretLabel: label, events: [{ key, type, createdAt: null, contentDigest: contentDigest([signedUrl, suffix], type) }] };
  }),

  /**
   * Needs `url` (or `public_url`). A body starting with `{` or `[` is sent as JSON: `bodySHA256` is appended to
   * the returned `url`. Extra input: `idempotencyToken`, `algorithm: 'HMAC_SHA256'`.
   */
  sign(input: SignInput): SignedOutput {
    const base = input.url ?? input.public_url;
    if (typeof base !== 'string') throw new Error('twilio: sign needs the webhook URL (url)');
    const body = Buffer.from(input.body);
    const json = isJsonText(body);
    const url = json ? `${base}${base.includes('?') ? '&' : '?'}bodySHA256=${sha256Hex(body)}` : base;
    const suffix = json ? '' : formSigningSuffix(new URLSearchParams(body.toString('utf8')));
    const sha256 = input.algorithm === 'HMAC_SHA256';
    const headers: Record<string, string> = {
      'x-twilio-signature': hmac(sha256 ? 'sha256' : 'sha1', input.secret, url, suffix).toString('base64'),
      'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
    };
    if (sha256) headers['x-twilio-webhooks-signature-settings'] = 'algorithm=HMAC_SHA256';
    if (typeof input.idempotencyToken === 'string') headers['i-twilio-idempotency-token'] = input.idempotencyToken;
    return { headers, body, url };
  },
};
