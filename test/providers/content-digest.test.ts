/**
 * The content digest of every scheme: a captured request sent again with fresh unsigned headers (a new delivery
 * id, idempotency token, ...) has the same digest, so ingest takes it for the replay it is; a different signed
 * body never has the same digest; the items of one batch never share one. A scheme whose event key is signed may
 * give none: then what makes a copy a replay is the key alone, and that is what is compared here.
 */
import { describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/cli/sample-events.ts';
import { getProvider, providerNames } from '../../src/providers/index.ts';
import { NOW, OPTS, T, request, verifyWith, type VerifyOptions } from '../../src/providers/testkit.ts';
import type { SignedOutput, VerifiedEvent } from '../../src/providers/types.ts';

const URL_ = 'https://inbox.example.com/webhooks/test';
const GENERIC = { header: 'x-acme-signature', event_key: { header: 'x-acme-delivery' }, event_type: { json_pointer: '/type' } };

/** Per scheme: its secret, options, and the unsigned headers a replayer may change freely. */
const SCHEMES: Record<string, { secret: string; options?: Record<string, unknown>; unsigned: Record<string, string> }> = {
  stripe: { secret: 'whsec_digest_test', unsigned: {} },
  'standard-webhooks': { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', unsigned: {} },
  github: { secret: 'gh-secret', unsigned: { 'x-github-delivery': 'fresh-delivery-id' } },
  shopify: {
    secret: 'shop-secret',
    unsigned: { 'x-shopify-webhook-id': 'fresh-webhook-id', 'x-shopify-event-id': 'fresh-event', 'x-shopify-triggered-at': '2030-01-01T00:00:00Z' },
  },
  razorpay: { secret: 'rzp-secret', unsigned: { 'x-razorpay-event-id': 'evt_fresh' } },
  lemonsqueezy: { secret: 'ls-secret', unsigned: {} },
  slack: { secret: 'slack-secret', unsigned: { 'x-slack-retry-num': '3' } },
  square: { secret: 'sq-key', options: { notification_url: URL_ }, unsigned: {} },
  paddle: { secret: 'pdl_ntfset_secret', unsigned: {} },
  gocardless: { secret: 'gc-secret', unsigned: {} },
  adyen: { secret: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056', unsigned: {} },
  twilio: { secret: 'twilio-token', unsigned: { 'i-twilio-idempotency-token': 'fresh-token' } },
  'generic-hmac': { secret: 'acme-secret', options: GENERIC, unsigned: { 'x-acme-delivery': 'fresh-delivery' } },
};

function optionsOf(name: string): VerifyOptions {
  // Validated by configure(), as at startup.
  return { ...OPTS, ...(SCHEMES[name]!.options ?? {}) };
}

function signSample(name: string): SignedOutput {
  const sample = sampleEvent(name, T);
  return getProvider(name)!.sign({
    body: sample.body,
    secret: SCHEMES[name]!.secret,
    timestamp: T,
    url: URL_,
    ...SCHEMES[name]!.options,
    ...sample.signInput,
    eventKey: 'first-delivery',
  });
}

function eventsOf(name: string, signed: SignedOutput, extraHeaders: Record<string, string> = {}, url = signed.url ?? URL_): VerifiedEvent[] {
  const result = verifyWith(
    getProvider(name)!,
    request({ ...signed.headers, ...extraHeaders }, signed.body, url),
    [{ value: SCHEMES[name]!.secret, label: '#0' }],
    NOW,
    optionsOf(name),
  );
  expect(result, name).toMatchObject({ ok: true });
  if (!result.ok) return [];
  return result.events.map((e) => ({ ...e, contentDigest: e.contentDigest ?? `signed key: ${e.key}` }));
}

describe('content digest per scheme', () => {
  it('covers every scheme of the registry', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual([...providerNames].sort());
  });

  it.each(providerNames)('%s: the same signed request with fresh unsigned headers has the same digest; another body another one', (name) => {
    const signed = signSample(name);
    const [first] = eventsOf(name, signed);
    expect(first!.contentDigest).toMatch(/^([0-9a-f]{64}|signed key: .+)$/);

    const resent = eventsOf(name, signed, SCHEMES[name]!.unsigned);
    expect(resent[0]!.contentDigest).toBe(first!.contentDigest);
    if (Object.keys(SCHEMES[name]!.unsigned).some((h) => /delivery|webhook-id|event-id|token/.test(h))) expect(resent[0]!.key).not.toBe(first!.key);

    const other = eventsOf(name, signSample(name));
    expect(other[0]!.contentDigest).not.toBe(first!.contentDigest);
  });

  it('stripe leaves the digest to ingest: its key is the signed body id, so the same signed content is the same key', () => {
    const signed = signSample('stripe');
    const result = verifyWith(getProvider('stripe')!, request(signed.headers, signed.body), [{ value: SCHEMES.stripe!.secret, label: '#0' }], NOW, OPTS);
    expect(result.ok && result.events[0]!.contentDigest).toBeUndefined();
    expect(result.ok && result.events[0]!.key).toBe(JSON.parse(signed.body.toString()).id);
  });

  it('github, shopify: the type comes from an unsigned header, so a changed type is a different digest (documented limit)', () => {
    const gh = signSample('github');
    expect(eventsOf('github', gh, { 'x-github-event': 'issues' })[0]!.contentDigest).not.toBe(eventsOf('github', gh)[0]!.contentDigest);
    const shop = signSample('shopify');
    expect(eventsOf('shopify', shop, { 'x-shopify-topic': 'orders/paid' })[0]!.contentDigest).not.toBe(eventsOf('shopify', shop)[0]!.contentDigest);
  });

  it('twilio: the URL spelled with its default port is the same signed URL, the same digest', () => {
    const signed = signSample('twilio');
    const withPort = signed.url!.replace('inbox.example.com/', 'inbox.example.com:443/');
    expect(eventsOf('twilio', signed, {}, withPort)[0]!.contentDigest).toBe(eventsOf('twilio', signed)[0]!.contentDigest);
  });

  it('adyen: fields outside the item signature (eventDate, reason) do not change the digest', () => {
    const signed = signSample('adyen');
    const body = JSON.parse(signed.body.toString());
    body.notificationItems[0].NotificationRequestItem.eventDate = '2031-01-01T00:00:00+00:00';
    body.notificationItems[0].NotificationRequestItem.reason = 'replayed';
    const edited = { ...signed, body: Buffer.from(JSON.stringify(body)) };
    expect(eventsOf('adyen', edited)[0]!.contentDigest).toBe(eventsOf('adyen', signed)[0]!.contentDigest);
  });

  it('gocardless, adyen: the items of one batch never share a digest, even with the same type', () => {
    const items = [0, 1, 2].map((i) => ({ id: `EVSAME${i}`, created_at: '2024-01-01T00:00:00Z', resource_type: 'payments', action: 'confirmed', links: {} }));
    const gc = getProvider('gocardless')!.sign({ body: JSON.stringify({ events: items }), secret: SCHEMES.gocardless!.secret, timestamp: T });
    const gcDigests = eventsOf('gocardless', gc).map((e) => e.contentDigest);
    expect(new Set(gcDigests).size).toBe(3);

    const item = (psp: string) => ({
      NotificationRequestItem: {
        pspReference: psp,
        merchantAccountCode: 'M',
        amount: { value: 1, currency: 'EUR' },
        eventCode: 'AUTHORISATION',
        success: 'true',
      },
    });
    const ad = getProvider('adyen')!.sign({
      body: JSON.stringify({ notificationItems: [item('A1'), item('A2')] }),
      secret: SCHEMES.adyen!.secret,
      timestamp: T,
    });
    const adDigests = eventsOf('adyen', ad).map((e) => e.contentDigest);
    expect(new Set(adDigests).size).toBe(2);
  });
});
