import { describe, expect, it } from 'vitest';
import { WebhooksHelper } from 'square';
import { square as provider } from './square.ts';
import { DIGEST, NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

// The test vector of Square's own SDK tests (WebhooksHelper), reproduced here and by the SDK below.
const url = 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9';
const secret = 'Ibxx_5AKakO-3qeNVR61Dw';
const body =
  '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}';
const expected = 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const opts = { ...OPTS, notification_url: url };

describe('square provider', () => {
  it('matches the SDK test vector and verifies it', () => {
    expect(provider.sign({ body, secret, timestamp: 0, url }).headers['x-square-hmacsha256-signature']).toBe(expected);
    expect(verifyWith(provider, request({ 'x-square-hmacsha256-signature': expected }, body), secrets, NOW, opts)).toEqual({
      ok: true,
      secretLabel: '#0',
      events: [{ key: 'ac3ac95b-f97d-458c-a6e6-18981597e05f', type: 'webhooks.test_notification', createdAt: 1657744259, contentDigest: DIGEST }],
    });
  });

  it('agrees with WebhooksHelper.verifySignature both ways', async () => {
    const other = JSON.stringify({ event_id: 'e1', type: 'payment.updated', created_at: '2024-01-01T00:00:00Z' });
    const ours = provider.sign({ body: other, secret, timestamp: 0, notification_url: url });
    const sig = ours.headers['x-square-hmacsha256-signature']!;
    expect(await WebhooksHelper.verifySignature({ requestBody: other, signatureHeader: sig, signatureKey: secret, notificationUrl: url })).toBe(true);
    expect(await WebhooksHelper.verifySignature({ requestBody: other, signatureHeader: sig, signatureKey: secret, notificationUrl: `${url}/x` })).toBe(false);
    expect(verifyWith(provider, request(ours.headers, other), secrets, NOW, opts)).toMatchObject({ ok: true, events: [{ key: 'e1', createdAt: 1704067200 }] });
  });

  it('validates its options: notification_url is a required URL', () => {
    expect(provider.optionsSchema!.safeParse({ notification_url: url }).success).toBe(true);
    expect(provider.optionsSchema!.safeParse({}).success).toBe(false);
    expect(provider.optionsSchema!.safeParse({ notification_url: 'not a url' }).success).toBe(false);
    // configure() refuses it at startup, naming the option: no verifier exists without the URL.
    expect(() => provider.configure({ secrets, toleranceSeconds: 300 })).toThrow(/notification_url/);
  });

  it('rejects a tampered body, another URL and a wrong secret; requires event_id and type', () => {
    const h = { 'x-square-hmacsha256-signature': expected };
    expect(verifyWith(provider, request(h, body.replace('MLEF', 'XLEF')), secrets, NOW, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(h, body), secrets, NOW, { ...opts, notification_url: `${url}?a=1` })).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(h, body), [{ value: 'x', label: '#0' }], NOW, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    for (const raw of ['nope', '{"type":"x"}', '{"event_id":"e"}']) {
      const signed = provider.sign({ body: raw, secret, timestamp: 0, url });
      expect(verifyWith(provider, request(signed.headers, raw), secrets, NOW, opts)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: 0, url }), secret, 'new_key', opts);
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, opts)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(provider, request({ 'x-square-hmacsha256-signature': 'abc' }, body), secrets, NOW, opts)).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-square-hmacsha256-signature': v }), secrets, opts);
  });
});
