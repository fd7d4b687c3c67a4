/**
 * generic-hmac: a configurable HMAC scheme for providers without a dedicated file. One signature per header:
 * `${prefix}${hex|base64 digest}` of `signed_content`, where `{body}` is the raw body and `{timestamp}` the
 * `timestamp_header` text exactly as sent (unix seconds, checked +/- tolerance). Without a signed timestamp the
 * content digest (the signed content and the type) is the replay defence, whatever an event key header says.
 * Event key and type come from a header or a JSON pointer (see generic-hmac-options.ts).
 */
import { findMatchingSecret, hmac, parseBase64Digest, parseHexDigest, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { contentDigest } from './content-digest.ts';
import { genericHmacOptions, type GenericHmacOptions, type ValueSource } from './generic-hmac-options.ts';
import { nonEmptyString, parseJsonObject, readPointer, type JsonObject } from './json.ts';
import { bodyHashKey, header, headerToken } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader, timestampOutOfTolerance } from './rejections.ts';
import type { Provider, Rejection, SignInput, SignedOutput, SignedRequest, VerifyOptions, VerifyResult } from './types.ts';

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;

// Options objects are built once per source at startup, so parsing once per object keeps zod off the hot path.
const parsedOptions = new WeakMap<object, GenericHmacOptions | null>();

function readOptions(options: VerifyOptions): GenericHmacOptions | null {
  let parsed = parsedOptions.get(options);
  if (parsed === undefined) {
    const result = genericHmacOptions.safeParse(options);
    parsed = result.success ? result.data : null;
    parsedOptions.set(options, parsed);
  }
  return parsed;
}

/** The bytes that were signed: the template around `{body}`, with `{timestamp}` substituted. */
function signedContent(o: GenericHmacOptions, body: Buffer, timestamp: string): Buffer {
  const template = o.signed_content === 'body' ? '{body}' : o.signed_content;
  const [before = '', after = ''] = template.split('{body}').map((part) => part.replace(/\{timestamp\}/g, timestamp));
  return Buffer.concat([Buffer.from(before), body, Buffer.from(after)]);
}

function usesTimestamp(o: GenericHmacOptions): boolean {
  return o.signed_content.includes('{timestamp}');
}

/**
 * The signed timestamp: its text exactly as sent and its seconds, or none (text '') when the template does not
 * sign one; a rejection naming the timestamp header when it is missing or not unix seconds.
 */
function readTimestamp(o: GenericHmacOptions, req: SignedRequest): { text: string; seconds: number | null; header: string } | Rejection {
  const name = o.timestamp_header;
  if (!usesTimestamp(o) || name === undefined) return { text: '', seconds: null, header: '' };
  const text = header(req, name)?.trim();
  if (text === undefined) return missingHeader(name, 'malformed_signature');
  const seconds = parseUnixSeconds(text);
  return seconds === null ? malformedHeader(name) : { text, seconds, header: name };
}

/** A key or type from its configured source; undefined when absent or not a usable string. */
function readSource(source: ValueSource, req: SignedRequest, json: () => JsonObject | null): string | undefined {
  if ('header' in source) return headerToken(req, source.header) ?? undefined;
  const value = readPointer(json(), source.json_pointer);
  return nonEmptyString(typeof value === 'number' && Number.isFinite(value) ? String(value) : value) ?? undefined;
}

export const genericHmac: Provider = {
  name: 'generic-hmac',
  optionsSchema: genericHmacOptions,

  verify(req, secrets, nowMs, options): VerifyResult {
    const o = readOptions(options);
    if (!o) return { ok: false, reason: 'secret_not_configured', detail: 'Server misconfigured: invalid generic-hmac options' };
    const value = header(req, o.header);
    if (value === null) return missingHeader(o.header);
    const trimmed = value.trim();
    const encoded = trimmed.startsWith(o.prefix) ? trimmed.slice(o.prefix.length) : null;
    const bytes = DIGEST_BYTES[o.algorithm];
    const digest = encoded === null ? null : o.encoding === 'hex' ? parseHexDigest(encoded, bytes) : parseBase64Digest(encoded, bytes);
    if (!digest) return malformedHeader(o.header);
    const timed = readTimestamp(o, req);
    if ('ok' in timed) return timed;

    const content = signedContent(o, req.rawBody, timed.text);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac(o.algorithm, s.value, content), [digest]);
    if (label === null) return invalidSignature(o.header);
    const t = timed.seconds;
    if (t !== null && !withinTolerance(t, nowMs, options.toleranceSeconds)) return timestampOutOfTolerance(timed.header);

    let json: JsonObject | null | undefined;
    const body = () => (json === undefined ? (json = parseJsonObject(req.rawBody)) : json);
    const key = o.event_key ? readSource(o.event_key, req, body) : bodyHashKey(req.rawBody);
    if (key === undefined) return { ok: false, reason: 'invalid_payload', detail: 'event key not found' };
    const type = (o.event_type && readSource(o.event_type, req, body)) ?? 'unknown';
    const event = { key, type, createdAt: t, contentDigest: contentDigest([content], type) };
    return { ok: true, secretLabel: label, ...(t !== null ? { signedAt: t } : {}), events: [event] };
  },

  /** The options are read from the input itself (`header`, `algorithm`, ...); extra input `eventKey`/`eventType` fill header sources. */
  sign(input: SignInput): SignedOutput {
    const o = genericHmacOptions.parse(input);
    const body = Buffer.from(input.body);
    const ts = String(input.timestamp);
    const digest = hmac(o.algorithm, input.secret, signedContent(o, body, ts)).toString(o.encoding);
    const headers: Record<string, string> = { [o.header]: `${o.prefix}${digest}`, 'content-type': 'application/json' };
    if (o.timestamp_header && usesTimestamp(o)) headers[o.timestamp_header] = ts;
    if (o.event_key && 'header' in o.event_key) headers[o.event_key.header] = typeof input.eventKey === 'string' ? input.eventKey : bodyHashKey(body);
    if (o.event_type && 'header' in o.event_type && typeof input.eventType === 'string') headers[o.event_type.header] = input.eventType;
    return { headers, body };
  },
};
