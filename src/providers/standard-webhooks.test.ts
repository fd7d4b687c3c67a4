import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { encodeEd25519KeyPair, parseStandardSignatures, standardWebhooks as provider } from './standard-webhooks.ts';
import type { SecretRef } from './types.ts';
import { verifyWith } from './testkit.ts';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const now = 1_700_000_000_000;
const t = now / 1000;
const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1' } });
const opts = { toleranceSeconds: 300 };

function request(headers: Record<string, string>, raw: string | Buffer = body) {
  return { headers, rawBody: Buffer.from(raw), url: 'http://127.0.0.1/webhooks/sw' };
}

describe('standard-webhooks provider', () => {
  it('matches the spec example vector (msg id, timestamp, body and secret from the Standard Webhooks README)', () => {
    const { headers } = provider.sign({
      body: '{"test": 2432232314}',
      secret,
      timestamp: 1614265330,
      msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    });
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('accepts a signature made by the official library, and the library accepts ours', () => {
    const official = new Webhook(secret);
    const realT = Math.floor(Date.now() / 1000);
    const sig = official.sign('msg_1', new Date(realT * 1000), body);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(realT), 'webhook-signature': sig };
    const result = verifyWith(provider, request(headers), secrets, realT * 1000, opts);
    expect(result).toMatchObject({ ok: true, secretLabel: '#0', events: [{ key: 'msg_1', type: 'invoice.paid', createdAt: realT }] });

    const ours = provider.sign({ body, secret, timestamp: realT, msgId: 'msg_2' });
    expect(official.verify(ours.body.toString(), ours.headers)).toEqual(JSON.parse(body));
  });

  it('accepts svix-* headers, a bare base64 key and a non-JSON body (type unknown)', () => {
    const signed = provider.sign({ body: 'plain', secret, timestamp: t, msgId: 'msg_3' });
    const svix = {
      'svix-id': signed.headers['webhook-id']!,
      'svix-timestamp': signed.headers['webhook-timestamp']!,
      'svix-signature': signed.headers['webhook-signature']!,
    };
    const bare: SecretRef[] = [{ value: secret.slice(6), label: 'bare' }];
    expect(verifyWith(provider, request(svix, 'plain'), bare, now, opts)).toMatchObject({ ok: true, secretLabel: 'bare', events: [{ type: 'unknown' }] });
  });

  it('rejects a tampered body, a wrong secret, stale and future timestamps', () => {
    const { headers } = provider.sign({ body, secret, timestamp: t, msgId: 'msg_1' });
    expect(verifyWith(provider, request(headers, body.replace('in_1', 'in_2')), secrets, now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request({ ...headers, 'webhook-id': 'msg_9' }), secrets, now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(headers), [{ value: 'whsec_b3RoZXI=', label: '#0' }], now, opts)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(headers), secrets, now + 301_000, opts)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(provider, request(headers), secrets, now - 301_000, opts)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(provider, request(headers), secrets, now + 300_000, opts)).toMatchObject({ ok: true });
  });

  it('accepts any configured secret during rotation, any listed signature, and refuses an expired secret', () => {
    const rotated: SecretRef[] = [
      { value: 'whsec_bmV3LWtleQ==', label: 'new' },
      { value: secret, label: 'old', expiresAt: now + 1000 },
    ];
    const oldSig = provider.sign({ body, secret, timestamp: t, msgId: 'msg_1' }).headers;
    expect(verifyWith(provider, request(oldSig), rotated, now, opts)).toMatchObject({ ok: true, secretLabel: 'old' });
    expect(verifyWith(provider, request(oldSig), rotated, now + 1001, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const newSig = provider.sign({ body, secret: 'whsec_bmV3LWtleQ==', timestamp: t, msgId: 'msg_1' }).headers;
    const both = { ...newSig, 'webhook-signature': `v1,${'A'.repeat(43)}= v2,xyz ${newSig['webhook-signature']}` };
    expect(verifyWith(provider, request(both), rotated, now, opts)).toMatchObject({ ok: true, secretLabel: 'new' });
  });

  it('signs and verifies v1a (Ed25519) with whsk_/whpk_ keys', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const keys = encodeEd25519KeyPair(privateKey);
    const signed = provider.sign({ body, secret: keys.secretKey, timestamp: t, msgId: 'msg_ed' });
    expect(signed.headers['webhook-signature']).toMatch(/^v1a,/);
    const pub: SecretRef[] = [
      { value: secret, label: 'hmac' },
      { value: keys.publicKey, label: 'ed' },
    ];
    expect(verifyWith(provider, request(signed.headers), pub, now, opts)).toMatchObject({ ok: true, secretLabel: 'ed' });
    expect(verifyWith(provider, request(signed.headers, `${body} `), pub, now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const other = encodeEd25519KeyPair(generateKeyPairSync('ed25519').privateKey);
    expect(verifyWith(provider, request(signed.headers), [{ value: other.publicKey, label: 'x' }], now, opts)).toMatchObject({ ok: false });
    // An HMAC secret never verifies an Ed25519 signature, nor a public key an HMAC one.
    const hmacSigned = provider.sign({ body, secret, timestamp: t, msgId: 'msg_ed' }).headers;
    expect(verifyWith(provider, request(hmacSigned), [{ value: keys.publicKey, label: 'ed' }], now, opts)).toMatchObject({ ok: false });
  });

  it('tells missing and malformed headers apart', () => {
    const { headers } = provider.sign({ body, secret, timestamp: t, msgId: 'msg_1' });
    expect(verifyWith(provider, request({}), secrets, now, opts)).toMatchObject({ ok: false, reason: 'missing_signature' });
    const { 'webhook-id': _id, ...noId } = headers;
    expect(verifyWith(provider, request(noId), secrets, now, opts)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    for (const ts of ['', '-1', '1e9', ' 12a', String(2 ** 60)]) {
      expect(verifyWith(provider, request({ ...headers, 'webhook-timestamp': ts }), secrets, now, opts).ok).toBe(false);
    }
    for (const sig of ['v1', 'v1,', 'v1,!!!', 'v2,abc', `v1,${'é'.repeat(44)}`]) {
      expect(verifyWith(provider, request({ ...headers, 'webhook-signature': sig }), secrets, now, opts)).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
      });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const withEd: SecretRef[] = [...secrets, { value: encodeEd25519KeyPair(privateKey).publicKey, label: 'ed' }];
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 64 }), (sig, ts, raw) => {
        parseStandardSignatures(sig);
        const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': sig };
        expect(verifyWith(provider, request(headers, Buffer.from(raw)), withEd, now, opts).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
