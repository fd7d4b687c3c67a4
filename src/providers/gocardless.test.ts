import { describe, expect, it } from 'vitest';
import { parse as gcParse, verifySignature as gcVerify } from 'gocardless-nodejs';
import { gocardless as provider } from './gocardless.ts';
import { NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

const secret = 'ElnDZRvi7Bmu4xSqrLkz1oaVSMhE2Gw2Rc0CbyeG';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const items = [
  { id: 'EV123', created_at: '2014-08-04T12:00:00.000Z', action: 'cancelled', resource_type: 'mandates', links: { mandate: 'MD123' } },
  { id: 'EV456', created_at: '2014-08-04T12:00:00.000Z', action: 'failed', resource_type: 'payments', links: { payment: 'PM456' } },
];
const body = JSON.stringify({ events: items, meta: { webhook_id: 'WB123' } });

describe('gocardless provider', () => {
  it('agrees with gocardless-nodejs parse/verifySignature both ways and returns one event per item', () => {
    const ours = provider.sign({ body, secret, timestamp: 0 });
    const sig = ours.headers['webhook-signature']!;
    expect(gcParse(body, secret, sig)).toHaveLength(2);
    expect(() => gcVerify(`${body} `, secret, sig)).toThrow();
    const result = verifyWith(provider, request(ours.headers, body), secrets, NOW, OPTS);
    expect(result).toMatchObject({
      ok: true,
      secretLabel: '#0',
      events: [
        { key: 'EV123', type: 'mandates.cancelled', createdAt: 1407153600 },
        { key: 'EV456', type: 'payments.failed', createdAt: 1407153600 },
      ],
    });
    if (result.ok) expect(JSON.parse(result.events[1]!.payload!.toString())).toEqual(items[1]);
  });

  it('verifies an empty batch with no events and rejects malformed items', () => {
    const empty = '{"events":[]}';
    const signed = provider.sign({ body: empty, secret, timestamp: 0 });
    expect(verifyWith(provider, request(signed.headers, empty), secrets, NOW, OPTS)).toEqual({ ok: true, secretLabel: '#0', events: [] });
    for (const raw of ['{}', '{"events":{}}', '{"events":[1]}', '{"events":[{"id":"EV1","action":"created"}]}', 'nope']) {
      const s = provider.sign({ body: raw, secret, timestamp: 0 });
      expect(verifyWith(provider, request(s.headers, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('rejects a tampered body and a wrong secret', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(verifyWith(provider, request(headers, body.replace('EV456', 'EV457')), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(headers, body), [{ value: 'x', label: '#0' }], NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: 0 }), secret, 'new_secret');
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(provider, request({ 'webhook-signature': 'v1,abc' }, body), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'webhook-signature': v }), secrets);
  });
});
