/**
 * GoCardless: `Webhook-Signature: <hex HMAC-SHA256 of the raw body>` keyed by the endpoint secret.
 * The body batches events: `{"events":[...]}`; each item becomes its own event with its own bytes as payload,
 * key = item `id`, type = `${resource_type}.${action}`, createdAt = item `created_at`. An empty batch verifies
 * and stores nothing. No timestamp is signed: dedup by the signed event id is the replay defence; each item's content
 * digest covers the whole signed body, its type and its id.
 */
import { contentDigest } from './content-digest.ts';
import { findMatchingSecret, hmac, parseHexDigest } from './crypto.ts';
import { epochSeconds, isObject, nonEmptyString, parseJsonObject } from './json.ts';
import { header } from './request.ts';
import { invalidSignature, malformedHeader, missingHeader } from './rejections.ts';
import { configureWith } from './configure.ts';
import type { Provider, SignInput, SignedOutput, VerifiedEvent, VerifyResult } from './types.ts';

/** One VerifiedEvent per item, or null when the batch or any item is not the documented shape. */
function readEvents(raw: Buffer): VerifiedEvent[] | null {
  const items = parseJsonObject(raw)?.events;
  if (!Array.isArray(items)) return null;
  const events: VerifiedEvent[] = [];
  for (const item of items as unknown[]) {
    if (!isObject(item)) return null;
    const id = nonEmptyString(item.id);
    const resource = nonEmptyString(item.resource_type, 100);
    const action = nonEmptyString(item.action, 100);
    if (!id || !resource || !action) return null;
    const type = `${resource}.${action}`;
    events.push({
      key: id,
      type,
      createdAt: epochSeconds(item.created_at),
      payload: Buffer.from(JSON.stringify(item)),
      contentDigest: contentDigest([raw], type, id),
    });
  }
  return events;
}

const SIGNATURE = 'Webhook-Signature';

export const gocardless: Provider = {
  name: 'gocardless',

  configure: configureWith('gocardless', null, (req, nowMs, { secrets }): VerifyResult => {
    const value = header(req, SIGNATURE);
    if (value === null) return missingHeader(SIGNATURE);
    const digest = parseHexDigest(value, 32);
    if (!digest) return malformedHeader(SIGNATURE);
    const label = findMatchingSecret(secrets, nowMs, (s) => hmac('sha256', s.value, req.rawBody), [digest]);
    if (label === null) return invalidSignature(SIGNATURE);
    const events = readEvents(req.rawBody);
    if (!events) return { ok: false, reason: 'invalid_payload' };
    return { ok: true, secretLabel: label, events };
  }),

  sign({ body, secret }: SignInput): SignedOutput {
    const bytes = Buffer.from(body);
    return { headers: { 'webhook-signature': hmac('sha256', secret, bytes).toString('hex'), 'content-type': 'application/json' }, body: bytes };
  },
};
