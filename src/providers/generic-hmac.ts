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
import { readOptions } from './configure.ts';
import type { Provider, Rejection, SecretRef, SignInput, SignedOutput, SignedRequest, VerifyResult } from './types.ts';

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;
const TIMESTAMP = /\{timestamp\}/g;

/** The options compiled once per source: the signed-content template split around `{body}`. */
interface Compiled {
  o: GenericHmacOptions;
  before: string;
  after: string;
  /** Whether the template signs `{timestamp}` (then the parts are filled in per request). */
  timed: boolean;
}

function compile(o: GenericHmacOptions): Compiled {
  const template = o.signed_content === 'body' ? '{body}' : o.signed_content;
  const [before = '', after = ''] = template.split('{body}');
  return { o, before, after, timed: template.includes('{timestamp}') };
}

/** The bytes that were signed: the template around `{body}`, with `{timestamp}` substituted. */
function signedContent(c: Compiled, body: Buffer, timestamp: string): Buffer {
  if (c.before === '' && c.after === '') return body;
  const before = c.timed ? c.before.replace(TIMESTAMP, timestamp) : c.before;
  const after = c.timed ? c.after.replace(TIMESTAMP, timestamp) : c.after;
  return Buffer.concat([Buffer.from(before), body, Buffer.from(after)]);
}

/**
 * The signed timestamp: its text exactly as sent and its seconds, or none (text '') when the template does not
 * sign one; a rejection naming the timestamp header when it is missing or not unix seconds.
 */
function readTimestamp(c: Compiled, req: SignedRequest): { text: string; seconds: number | null; header: string } | Rejection {
  const name = c.o.timestamp_header;
  if (!c.timed || name === undefined) return { text: '', seconds: null, header: '' };
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

function verify(req: SignedRequest, nowMs: number, secrets: readonly SecretRef[], toleranceSeconds: number, c: Compiled): VerifyResult {
  const o = c.o;
  const value = header(req, o.header);
  if (value === null) return missingHeader(o.header);
  const trimmed = value.trim();
  const encoded = trimmed.startsWith(o.prefix) ? trimmed.slice(o.prefix.length) : null;
  const bytes = DIGEST_BYTES[o.algorithm];
  const digest = encoded === null ? null : o.encoding === 'hex' ? parseHexDigest(encoded, bytes) : parseBase64Digest(encoded, bytes);
  if (!digest) return malformedHeader(o.header);
  const timed = readTimestamp(c, req);
  if ('ok' in timed) return timed;

  const content = signedContent(c, req.rawBody, timed.text);
  const label = findMatchingSecret(secrets, nowMs, (s) => hmac(o.algorithm, s.value, content), [digest]);
  if (label === null) return invalidSignature(o.header);
  const t = timed.seconds;
  if (t !== null && !withinTolerance(t, nowMs, toleranceSeconds)) return timestampOutOfTolerance(timed.header);

  let json: JsonObject | null | undefined;
  const body = () => {
    if (json === undefined) json = parseJsonObject(req.rawBody);
    return json;
  };
  const key = o.event_key ? readSource(o.event_key, req, body) : bodyHashKey(req.rawBody);
  if (key === undefined) return { ok: false, reason: 'invalid_payload', detail: 'event key not found' };
  const type = (o.event_type && readSource(o.event_type, req, body)) ?? 'unknown';
  const event = { key, type, createdAt: t, contentDigest: contentDigest([content], type) };
  return { ok: true, secretLabel: label, ...(t !== null ? { signedAt: t } : {}), events: [event] };
}

export const genericHmac: Provider = {
  name: 'generic-hmac',
  optionsSchema: genericHmacOptions,

  /** The options are parsed and the template split here, once per source. */
  configure({ secrets, toleranceSeconds, options }) {
    const compiled = compile(readOptions('generic-hmac', genericHmacOptions, options));
    return { verify: (req, nowMs) => verify(req, nowMs, secrets, toleranceSeconds, compiled) };
  },

  /** The options are read from the input itself (`header`, `algorithm`, ...); extra input `eventKey`/`eventType` fill header sources. */
  sign(input: SignInput): SignedOutput {
    const c = compile(genericHmacOptions.parse(input));
    const o = c.o;
    const body = Buffer.from(input.body);
    const ts = String(input.timestamp);
    const digest = hmac(o.algorithm, input.secret, signedContent(c, body, ts)).toString(o.encoding);
    const headers: Record<string, string> = { [o.header]: `${o.prefix}${digest}`, 'content-type': 'application/json' };
    if (o.timestamp_header && c.timed) headers[o.timestamp_header] = ts;
    if (o.event_key && 'header' in o.event_key) headers[o.event_key.header] = typeof input.eventKey === 'string' ? input.eventKey : bodyHashKey(body);
    if (o.event_type && 'header' in o.event_type && typeof input.eventType === 'string') headers[o.event_type.header] = input.eventType;
    return { headers, body };
  },
};
