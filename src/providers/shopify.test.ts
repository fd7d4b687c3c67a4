import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { shopify as provider } from './shopify.ts';
import { DIGEST, NOW, OPTS, T, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

// Shopify ships no Node verifier of its own in our dev dependencies; the known answer is computed with plain
// node:crypto exactly as Shopify's docs describe (base64 HMAC-SHA256 of the raw body with the client secret).
const secret = 'shpss_client_secret';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
// Shopify's ids exceed 2^53: the body is the provider's text, never a re-serialised number.
const body = '{"id":820982911946154508,"email":"jon@example.com"}';

describe('shopify provider', () => {
  it('produces the documented base64 HMAC-SHA256 of the raw body', () => {
    const { headers } = provider.sign({ body, secret, timestamp: T, topic: 'orders/create', webhookId: 'b54557e4' });
    expect(headers['x-shopify-hmac-sha256']).toBe(createHmac('sha256', secret).update(body).digest('base64'));
    expect(headers['x-shopify-triggered-at']).toBe('2023-11-14T22:13:20.000Z');
    const result = verifyWith(provider, request(headers, body), secrets, NOW, OPTS);
    expect(result).toEqual({ ok: true, secretLabel: '#0', events: [{ key: 'b54557e4', type: 'orders/create', createdAt: T, contentDigest: DIGEST }] });
  });

  it('keys by webhook id, then event id, then body hash', () => {
    const { headers } = provider.sign({ body, secret, timestamp: T });
    const { 'x-shopify-webhook-id': _w, ...noWebhookId } = headers;
    expect(verifyWith(provider, request({ ...noWebhookId, 'x-shopify-event-id': 'ev_9' }, body), secrets, NOW, OPTS)).toMatchObject({
      events: [{ key: 'ev_9' }],
    });
    expect(verifyWith(provider, request(noWebhookId, body), secrets, NOW, OPTS)).toMatchObject({ events: [{ key: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it('verifies any bytes (Shopify can send XML) and rejects tampering and a wrong secret', () => {
    const xml = '<?xml version="1.0"?><order><id>1</id></order>';
    const signed = provider.sign({ body: xml, secret, timestamp: T });
    expect(verifyWith(provider, request(signed.headers, xml), secrets, NOW, OPTS)).toMatchObject({ ok: true });
    expect(verifyWith(provider, request(signed.headers, `${xml} `), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(signed.headers, xml), [{ value: 'x', label: '#0' }], NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: T }), secret, 'shpss_new');
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of ['abc', '!!!!', 'a'.repeat(44), Buffer.alloc(20).toString('base64')]) {
      expect(verifyWith(provider, request({ 'x-shopify-hmac-sha256': h }, body), secrets, NOW, OPTS)).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
      });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-shopify-hmac-sha256': v, 'x-shopify-triggered-at': v, 'x-shopify-topic': v }), secrets);
  });
});
