/**
 * Adyen standard webhooks: no header signature. Each `notificationItems[].NotificationRequestItem` carries
 * `additionalData.hmacSignature`: base64 HMAC-SHA256, keyed by the hex-decoded HMAC key, over
 * `pspReference:originalReference:merchantAccountCode:merchantReference:amount.value:amount.currency:eventCode:success`
 * (missing fields are empty strings). Every item must verify with the same live key, else invalid_signature.
 * Escaping: Adyen's Node, Java and PHP libraries join the raw values; the Ruby library escapes `\` and `:` first.
 * We sign the raw form and also accept the escaped form, which differs only when a value holds `\` or `:`.
 * One event per item: key `${pspReference}:${eventCode}:${success}`, type eventCode, createdAt eventDate.
 * Adyen requires the literal answer `[accepted]`. No timestamp is signed: dedup is the replay defence.
 */
import { bytesEqual, findSecretWhere, fromHex, hmac, parseBase64Digest } from './crypto.ts';
import { contentDigest } from './content-digest.ts';
import { epochSeconds, isObject, nonEmptyString, parseJsonObject, type JsonObject } from './json.ts';
import { invalidSignature } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, ProviderReply, Rejection, SignInput, SignedOutput, VerifiedEvent, VerifyResult } from './types.ts';

const ACCEPTED: ProviderReply = { status: 200, contentType: 'text/plain', body: '[accepted]' };

function field(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** The documented signing fields of one NotificationRequestItem, unescaped. */
export function adyenSigningFields(item: JsonObject): string[] {
  const amount = isObject(item.amount) ? item.amount : {};
  return [
    field(item.pspReference),
    field(item.originalReference),
    field(item.merchantAccountCode),
    field(item.merchantReference),
    field(amount.value),
    field(amount.currency),
    field(item.eventCode),
    field(item.success),
  ];
}

function signingStrings(item: JsonObject): string[] {
  const fields = adyenSigningFields(item);
  const raw = fields.join(':');
  const escaped = fields.map((f) => f.replace(/\\/g, '\\\\').replace(/:/g, '\\:')).join(':');
  return escaped === raw ? [raw] : [raw, escaped];
}

interface SignedItem {
  item: JsonObject;
  signature: Buffer;
}

type Parsed = { items: JsonObject[] } | { reason: 'invalid_payload'; detail: string };

/** The NotificationRequestItem objects of a parsed body (references into it, so sign can set signatures). */
function readItems(root: JsonObject | null): Parsed {
  const list = root?.notificationItems;
  if (!Array.isArray(list) || list.length === 0) return { reason: 'invalid_payload', detail: 'no notificationItems' };
  const items: JsonObject[] = [];
  for (const wrapper of list as unknown[]) {
    const item = isObject(wrapper) ? wrapper.NotificationRequestItem : undefined;
    if (!isObject(item)) return { reason: 'invalid_payload', detail: 'item without NotificationRequestItem' };
    items.push(item);
  }
  return { items };
}

/** Adyen signs in the body, not a header: its errors name the field. */
const MISSING: Rejection = { ok: false, reason: 'missing_signature', detail: 'Missing additionalData.hmacSignature in a notification item' };
const MALFORMED: Rejection = { ok: false, reason: 'malformed_signature', detail: 'Malformed additionalData.hmacSignature in a notification item' };

function readSignatures(items: JsonObject[]): SignedItem[] | Rejection {
  const signed: SignedItem[] = [];
  for (const item of items) {
    const data = isObject(item.additionalData) ? item.additionalData : {};
    if (typeof data.hmacSignature !== 'string' || data.hmacSignature.trim() === '') return MISSING;
    const signature = parseBase64Digest(data.hmacSignature, 32);
    if (!signature) return MALFORMED;
    signed.push({ item, signature });
  }
  return signed;
}

function toEvent(item: JsonObject): VerifiedEvent | null {
  const psp = nonEmptyString(item.pspReference, 100);
  const eventCode = nonEmptyString(item.eventCode, 100);
  if (!psp || !eventCode) return null;
  const key = `${psp}:${eventCode}:${field(item.success)}`;
  return {
    key,
    type: eventCode,
    // What the item's signature covers, each field kept apart (the joined string is ambiguous when a value has `:`).
    contentDigest: contentDigest([JSON.stringify(adyenSigningFields(item))], eventCode, key),
    createdAt: epochSeconds(item.eventDate),
    payload: Buffer.from(JSON.stringify({ NotificationRequestItem: item })),
  };
}

export const adyen: Provider = {
  name: 'adyen',

  checkSecret(value) {
    return fromHex(value)?.length ? null : 'is not an Adyen HMAC key (must be hex: an even number of 0-9, A-F digits)';
  },

  configure: configureWith('adyen', null, (req, nowMs, { secrets }): VerifyResult => {
    const parsed = readItems(parseJsonObject(req.rawBody));
    if ('reason' in parsed) return { ok: false, reason: parsed.reason, detail: parsed.detail };
    const signed = readSignatures(parsed.items);
    if ('reason' in signed) return signed;
    const label = findSecretWhere(secrets, nowMs, (secret) => {
      const key = fromHex(secret.value);
      if (!key || key.length === 0) return false;
      return signed.every(({ item, signature }) => signingStrings(item).some((text) => bytesEqual(hmac('sha256', key, text), signature)));
    });
    if (label === null) return invalidSignature();
    const events: VerifiedEvent[] = [];
    for (const { item } of signed) {
      const event = toEvent(item);
      if (!event) return { ok: false, reason: 'invalid_payload', detail: 'item without pspReference or eventCode' };
      events.push(event);
    }
    return { ok: true, secretLabel: label, events, reply: ACCEPTED };
  }),

  /** Sets `additionalData.hmacSignature` on every item of the JSON body (the body is re-serialised). */
  sign({ body, secret }: SignInput): SignedOutput {
    const key = fromHex(secret);
    if (!key) throw new Error('adyen: the HMAC key must be hex');
    const root = parseJsonObject(Buffer.from(body));
    const parsed = readItems(root);
    if ('reason' in parsed) throw new Error('adyen: the body must hold notificationItems[].NotificationRequestItem');
    for (const item of parsed.items) {
      const data = isObject(item.additionalData) ? item.additionalData : {};
      data.hmacSignature = hmac('sha256', key, adyenSigningFields(item).join(':')).toString('base64');
      item.additionalData = data;
    }
    return { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(root)) };
  },
};
