import { describe, expect, it } from 'vitest';
import Razorpay from 'razorpay';
import { razorpay as provider } from './razorpay.ts';
import { DIGEST, NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

const secret = 'razorpay_webhook_secret';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const body = JSON.stringify({ entity: 'event', event: 'payment.captured', created_at: 1567674606, payload: {} });

describe('razorpay provider', () => {
  it('agrees with Razorpay.validateWebhookSignature both ways', () => {
    const ours = provider.sign({ body, secret, timestamp: 0, eventId: 'Ev_1' });
    expect(Razorpay.validateWebhookSignature(body, ours.headers['x-razorpay-signature']!, secret)).toBe(true);
    const result = verifyWith(provider, request(ours.headers, body), secrets, NOW, OPTS);
    expect(result).toEqual({ ok: true, secretLabel: '#0', events: [{ key: 'Ev_1', type: 'payment.captured', createdAt: 1567674606, contentDigest: DIGEST }] });
    expect(Razorpay.validateWebhookSignature(`${body} `, ours.headers['x-razorpay-signature']!, secret)).toBe(false);
  });

  it('rejects a tampered body and a wrong secret; requires a JSON body with an event', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(verifyWith(provider, request(headers, body.replace('captured', 'failed')), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(headers, body), [{ value: 'x', label: '#0' }], NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    for (const raw of ['not json', '[]', '{"event":""}', '{"entity":"event"}']) {
      const signed = provider.sign({ body: raw, secret, timestamp: 0 });
      expect(verifyWith(provider, request(signed.headers, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('falls back to a body hash key without an event id header', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    const { 'x-razorpay-event-id': _e, ...rest } = headers;
    expect(verifyWith(provider, request(rest, body), secrets, NOW, OPTS)).toMatchObject({ events: [{ key: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: 0 }), secret, 'new_secret');
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of ['abc', 'g'.repeat(64), 'a'.repeat(65)]) {
      expect(verifyWith(provider, request({ 'x-razorpay-signature': h }, body), secrets, NOW, OPTS)).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
      });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-razorpay-signature': v, 'x-razorpay-event-id': v }), secrets);
  });
});
