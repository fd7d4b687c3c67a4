import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { lemonsqueezy as provider } from './lemonsqueezy.ts';
import { DIGEST, NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

// No official Lemon Squeezy verifier is installed; the known answer is the documented hex HMAC-SHA256 of the
// raw body, computed independently with plain node:crypto.
const secret = 'lemon_signing_secret';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const body = JSON.stringify({ meta: { event_name: 'order_created' }, data: { id: '1', type: 'orders' } });

describe('lemonsqueezy provider', () => {
  it('signs the raw body as documented; key is the body hash; type from the header', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(headers['x-signature']).toBe(createHmac('sha256', secret).update(body).digest('hex'));
    expect(headers['x-event-name']).toBe('order_created');
    const result = verifyWith(provider, request({ ...headers, 'x-event-name': 'subscription_created' }, body), secrets, NOW, OPTS);
    expect(result).toEqual({
      ok: true,
      secretLabel: '#0',
      events: [{ key: createHash('sha256').update(body).digest('hex'), type: 'subscription_created', createdAt: null, contentDigest: DIGEST }],
    });
  });

  it('takes the type from meta.event_name without the header, else unknown', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(verifyWith(provider, request({ 'x-signature': headers['x-signature']! }, body), secrets, NOW, OPTS)).toMatchObject({
      events: [{ type: 'order_created' }],
    });
    const other = provider.sign({ body: '{}', secret, timestamp: 0 });
    expect(verifyWith(provider, request(other.headers, '{}'), secrets, NOW, OPTS)).toMatchObject({ events: [{ type: 'unknown' }] });
  });

  it('rejects a tampered body and a wrong secret', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(verifyWith(provider, request(headers, body.replace('"1"', '"2"')), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(headers, body), [{ value: 'x', label: '#0' }], NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: 0 }), secret, 'new_secret');
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({ 'x-signature': ' ' }, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(provider, request({ 'x-signature': 'sha256=abc' }, body), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-signature': v, 'x-event-name': v }), secrets);
  });
});
