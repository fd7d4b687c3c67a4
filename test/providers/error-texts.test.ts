/**
 * Every scheme names its own header when the signature is missing or unreadable, so no source can answer with
 * the seed's Stripe text (the table default of missing_signature). Stripe sources keep the seed's texts.
 * One row per scheme of the registry: a new scheme without a row fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { providerNames, getProvider } from '../../src/providers/index.ts';
import { NOW, OPTS, T, request, verifyWith, type VerifyOptions } from '../../src/providers/testkit.ts';
import type { SecretRef } from '../../src/providers/types.ts';

const secrets: SecretRef[] = [{ value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', label: '#0' }];
const json = JSON.stringify({ id: 'evt_1', type: 'x.y', created: T, event: 'x.y', event_id: 'e1', events: [] });
const adyenItem = (additionalData: object) =>
  JSON.stringify({ notificationItems: [{ NotificationRequestItem: { pspReference: 'p', eventCode: 'AUTHORISATION', success: 'true', additionalData } }] });

interface Row {
  options?: Record<string, unknown>;
  /** [headers, expected code, expected detail]; the body is `json` unless given. */
  cases: [Record<string, string>, string, string, string?][];
}

const hex = 'ab'.repeat(32);
const b64 = Buffer.alloc(32, 7).toString('base64');

const ROWS: Record<string, Row> = {
  stripe: {
    cases: [
      [{}, 'missing_signature', 'Missing encoded Stripe-Signature header'],
      [{ 'stripe-signature': 'v1=zz' }, 'malformed_signature', 'Invalid signature'],
    ],
  },
  'standard-webhooks': {
    cases: [
      [{}, 'missing_signature', 'Missing webhook-signature header'],
      [{ 'webhook-signature': 'v1,abc' }, 'malformed_signature', 'Malformed webhook-signature header'],
      [{ 'webhook-signature': `v1,${b64}`, 'webhook-timestamp': String(T) }, 'malformed_signature', 'Missing webhook-id header'],
      [{ 'webhook-signature': `v1,${b64}`, 'webhook-id': 'm1' }, 'malformed_signature', 'Missing webhook-timestamp header'],
      [{ 'webhook-signature': `v1,${b64}`, 'webhook-id': 'm1', 'webhook-timestamp': '1e9' }, 'malformed_signature', 'Malformed webhook-timestamp header'],
      [{ 'svix-signature': `v1,${b64}`, 'svix-id': 'm1' }, 'malformed_signature', 'Missing svix-timestamp header'],
      [{ 'webhook-signature': `v1,${b64}`, 'webhook-id': 'm1', 'webhook-timestamp': String(T - 3600) }, 'invalid_signature', 'Invalid signature'],
    ],
  },
  github: {
    cases: [
      [{}, 'missing_signature', 'Missing X-Hub-Signature-256 header'],
      [{ 'x-hub-signature-256': 'sha1=abc' }, 'malformed_signature', 'Malformed X-Hub-Signature-256 header'],
      [{ 'x-hub-signature-256': `sha256=${hex}` }, 'invalid_signature', 'Invalid signature'],
    ],
  },
  shopify: {
    cases: [
      [{}, 'missing_signature', 'Missing X-Shopify-Hmac-Sha256 header'],
      [{ 'x-shopify-hmac-sha256': 'abc' }, 'malformed_signature', 'Malformed X-Shopify-Hmac-Sha256 header'],
    ],
  },
  razorpay: {
    cases: [
      [{}, 'missing_signature', 'Missing X-Razorpay-Signature header'],
      [{ 'x-razorpay-signature': 'abc' }, 'malformed_signature', 'Malformed X-Razorpay-Signature header'],
    ],
  },
  lemonsqueezy: {
    cases: [
      [{}, 'missing_signature', 'Missing X-Signature header'],
      [{ 'x-signature': 'sha256=abc' }, 'malformed_signature', 'Malformed X-Signature header'],
    ],
  },
  slack: {
    cases: [
      [{ 'x-slack-request-timestamp': String(T) }, 'missing_signature', 'Missing X-Slack-Signature header'],
      [{ 'x-slack-signature': 'v1=abc', 'x-slack-request-timestamp': String(T) }, 'malformed_signature', 'Malformed X-Slack-Signature header'],
      [{ 'x-slack-signature': `v0=${hex}` }, 'malformed_signature', 'Missing X-Slack-Request-Timestamp header'],
      [{ 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': 'soon' }, 'malformed_signature', 'Malformed X-Slack-Request-Timestamp header'],
    ],
  },
  square: {
    options: { notification_url: 'https://example.com/hook' },
    cases: [
      [{}, 'missing_signature', 'Missing X-Square-HmacSha256-Signature header'],
      [{ 'x-square-hmacsha256-signature': 'abc' }, 'malformed_signature', 'Malformed X-Square-HmacSha256-Signature header'],
    ],
  },
  paddle: {
    cases: [
      [{}, 'missing_signature', 'Missing Paddle-Signature header'],
      [{ 'paddle-signature': `h1=${hex}` }, 'malformed_signature', 'Malformed Paddle-Signature header'],
    ],
  },
  gocardless: {
    cases: [
      [{}, 'missing_signature', 'Missing Webhook-Signature header'],
      [{ 'webhook-signature': 'v1,abc' }, 'malformed_signature', 'Malformed Webhook-Signature header'],
    ],
  },
  adyen: {
    cases: [
      [{}, 'missing_signature', 'Missing additionalData.hmacSignature in a notification item', adyenItem({})],
      [{}, 'malformed_signature', 'Malformed additionalData.hmacSignature in a notification item', adyenItem({ hmacSignature: 'abc' })],
      [{}, 'invalid_signature', 'Invalid signature', adyenItem({ hmacSignature: b64 })],
    ],
  },
  twilio: {
    cases: [
      [{}, 'missing_signature', 'Missing X-Twilio-Signature header'],
      [{ 'x-twilio-signature': 'abc' }, 'malformed_signature', 'Malformed X-Twilio-Signature header'],
      [
        { 'x-twilio-signature': 'abc', 'x-twilio-webhooks-signature-settings': 'algorithm=MD5' },
        'malformed_signature',
        'Malformed X-Twilio-Webhooks-Signature-Settings header',
      ],
    ],
  },
  'generic-hmac': {
    options: { header: 'X-Acme-Signature', signed_content: '{timestamp}.{body}', timestamp_header: 'X-Acme-Timestamp' },
    cases: [
      [{}, 'missing_signature', 'Missing x-acme-signature header'],
      [{ 'x-acme-signature': 'zz' }, 'malformed_signature', 'Malformed x-acme-signature header'],
      [{ 'x-acme-signature': hex }, 'malformed_signature', 'Missing x-acme-timestamp header'],
      [{ 'x-acme-signature': hex, 'x-acme-timestamp': '-1' }, 'malformed_signature', 'Malformed x-acme-timestamp header'],
    ],
  },
};

function optionsFor(name: string): VerifyOptions {
  // Validated by configure(), as at startup.
  return { ...OPTS, ...(ROWS[name]?.options ?? {}) };
}

describe('error texts per scheme', () => {
  it('has a row for every scheme of the registry', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...providerNames].sort());
  });

  it.each(providerNames)('%s: every missing or malformed signature says which header (or field), in its own words', (name) => {
    const provider = getProvider(name)!;
    for (const [headers, code, detail, body] of ROWS[name]!.cases) {
      const result = verifyWith(provider, request(headers, body ?? json), secrets, NOW, optionsFor(name));
      expect(result, JSON.stringify(headers)).toMatchObject({ ok: false, reason: code, detail });
      if (!result.ok && name !== 'stripe') expect(result.detail).not.toMatch(/Stripe/);
      if (!result.ok && result.header !== undefined) expect(detail === 'Invalid signature' || detail.includes(result.header)).toBe(true);
    }
  });

  it.each(providerNames)('%s: docs/providers.md has a section with each of these texts', (name) => {
    const doc = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');
    const section = doc.split(/^## /m).find((part) => part.startsWith(`${name}\n`));
    expect(section, `## ${name}`).toBeDefined();
    const text = section!.replace(/\s+/g, ' ');
    for (const [, , detail] of ROWS[name]!.cases) if (detail !== 'Invalid signature' || name === 'stripe') expect(text).toContain(detail);
  });

  it.each(providerNames)('%s: a request with no headers at all is refused with a detail of its own', (name) => {
    const result = verifyWith(getProvider(name)!, request({}, name === 'adyen' ? adyenItem({}) : json), secrets, NOW, optionsFor(name));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.detail).toBe(ROWS[name]!.cases[0]![2]);
  });
});
