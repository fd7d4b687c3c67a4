import { describe, expect, it } from 'vitest';
import { Paddle } from '@paddle/paddle-node-sdk';
import { paddle as provider, parsePaddleSignature } from './paddle.ts';
import { DIGEST, NOW, OPTS, T, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

const secret = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const body = JSON.stringify({
  event_id: 'evt_01h8bzakzx3hm2fmen703n5q45',
  event_type: 'transaction.completed',
  occurred_at: '2023-08-21T11:57:47.390028Z',
  notification_id: 'ntf_01h8bzam1z32agrxjwhjgqk8w6',
  data: {},
});

describe('paddle provider', () => {
  it('agrees with the official SDK (webhooks.isSignatureValid) both ways', async () => {
    // The SDK checks against the real clock (5 s window), so this exchange uses the real time.
    const realT = Math.floor(Date.now() / 1000);
    const sdk = new Paddle('pdl_sdbx_apikey_01gtgztp8f4kek3yd4g1wrksa3_q6TGTJyvoIz7LDtXT65bX7_AQO');
    const ours = provider.sign({ body, secret, timestamp: realT });
    expect(await sdk.webhooks.isSignatureValid(body, secret, ours.headers['paddle-signature']!)).toBe(true);
    // The SDK exposes no signer, so the reverse direction checks that its verifier rejects what we reject.
    expect(await sdk.webhooks.isSignatureValid(`${body} `, secret, ours.headers['paddle-signature']!)).toBe(false);
    expect(verifyWith(provider, request(ours.headers, body), secrets, realT * 1000, OPTS)).toEqual({
      ok: true,
      secretLabel: '#0',
      signedAt: realT,
      events: [{ key: 'evt_01h8bzakzx3hm2fmen703n5q45', type: 'transaction.completed', createdAt: 1692619067, contentDigest: DIGEST }],
    });
  });

  it('matches any of several h1 values and tolerates whitespace', () => {
    const good = provider.sign({ body, secret, timestamp: T }).headers['paddle-signature']!.split('h1=')[1]!;
    const header = ` ts = ${T} ; h1=${'0'.repeat(64)} ; h2=zz; h1 = ${good} `;
    expect(verifyWith(provider, request({ 'paddle-signature': header }, body), secrets, NOW, OPTS)).toMatchObject({ ok: true });
  });

  it('rejects a tampered body, a wrong secret, stale and future timestamps', () => {
    const { headers } = provider.sign({ body, secret, timestamp: T });
    expect(verifyWith(provider, request(headers, body.replace('completed', 'paid')), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(headers, body), [{ value: 'x', label: '#0' }], NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(headers, body), secrets, NOW + 301_000, OPTS)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(provider, request(headers, body), secrets, NOW - 301_000, OPTS)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: T }), secret, 'pdl_ntfset_new');
  });

  it('tells missing, malformed and payload failures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of [`ts=${T}`, `h1=${'a'.repeat(64)}`, `ts=${T};ts=${T + 1};h1=${'a'.repeat(64)}`, `ts=-1;h1=${'a'.repeat(64)}`]) {
      expect(verifyWith(provider, request({ 'paddle-signature': h }, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    }
    for (const raw of ['nope', '{"event_id":"evt_1"}', '{"event_type":"x"}', '[]']) {
      const signed = provider.sign({ body: raw, secret, timestamp: T });
      expect(verifyWith(provider, request(signed.headers, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'paddle-signature': v }), secrets, OPTS, parsePaddleSignature);
  });
});
