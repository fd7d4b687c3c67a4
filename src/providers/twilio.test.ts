import { describe, expect, it } from 'vitest';
import twilioSdk from 'twilio';
import { formSigningSuffix, twilio as provider, twilioAlgorithm } from './twilio.ts';
import { NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

// The example of Twilio's security docs and twilio-node's own tests.
const token = '12345';
const docUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const docParams = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
const docBody = new URLSearchParams(docParams).toString();
const docSignature = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
const secrets: SecretRef[] = [{ value: token, label: '#0' }];

describe('twilio provider', () => {
  it('matches the documented vector for a form body', () => {
    expect(provider.sign({ body: docBody, secret: token, timestamp: 0, url: docUrl }).headers['x-twilio-signature']).toBe(docSignature);
    const result = verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, docUrl), secrets, NOW, OPTS);
    expect(result).toMatchObject({ ok: true, secretLabel: '#0', events: [{ type: 'call', key: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: null }] });
  });

  it('agrees with twilio.validateRequest and getExpectedTwilioSignature both ways', () => {
    const params = { MessageSid: 'SM1', Body: 'hello world', To: ['+1', '+2', '+1'] };
    const body = 'MessageSid=SM1&Body=hello+world&To=%2B2&To=%2B1&To=%2B1';
    const ours = provider.sign({ body, secret: token, timestamp: 0, url: docUrl });
    expect(twilioSdk.getExpectedTwilioSignature(token, docUrl, params)).toBe(ours.headers['x-twilio-signature']);
    expect(twilioSdk.validateRequest(token, ours.headers['x-twilio-signature']!, docUrl, params)).toBe(true);
    const theirs = twilioSdk.getExpectedTwilioSignature(token, docUrl, docParams);
    expect(
      verifyWith(provider, request({ 'x-twilio-signature': theirs, 'i-twilio-idempotency-token': 'idem-1' }, docBody, docUrl), secrets, NOW, OPTS),
    ).toMatchObject({
      ok: true,
      events: [{ key: 'idem-1', type: 'call' }],
    });
    expect(verifyWith(provider, request(ours.headers, body, docUrl), secrets, NOW, OPTS)).toMatchObject({ ok: true, events: [{ type: 'message' }] });
  });

  it('verifies JSON bodies through bodySHA256, like validateRequestWithBody', () => {
    const json = JSON.stringify({ type: 'com.twilio.messaging.message.delivered', data: {} });
    const ours = provider.sign({ body: json, secret: token, timestamp: 0, url: 'https://example.com/hook?x=1' });
    expect(ours.url).toMatch(/^https:\/\/example\.com\/hook\?x=1&bodySHA256=[0-9a-f]{64}$/);
    expect(twilioSdk.validateRequestWithBody(token, ours.headers['x-twilio-signature']!, ours.url!, json)).toBe(true);
    expect(verifyWith(provider, request(ours.headers, json, ours.url), secrets, NOW, OPTS)).toMatchObject({
      ok: true,
      events: [{ type: 'com.twilio.messaging.message.delivered' }],
    });
    // The signature covers the URL only, so the hash is what protects the body.
    expect(verifyWith(provider, request(ours.headers, `${json} `, ours.url), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const url = 'https://example.com/hook?bodySHA256=0a1b';
    const theirs = twilioSdk.getExpectedTwilioSignature(token, url, {});
    expect(verifyWith(provider, request({ 'x-twilio-signature': theirs }, json, url), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('tries the URL with and without the default port, as the official library does', () => {
    expect(
      verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, 'https://mycompany.com:443/myapp.php?foo=1&bar=2'), secrets, NOW, OPTS),
    ).toMatchObject({ ok: true });
    const signedWithPort = provider.sign({ body: docBody, secret: token, timestamp: 0, url: 'https://mycompany.com:443/myapp.php?foo=1&bar=2' });
    expect(verifyWith(provider, request(signedWithPort.headers, docBody, docUrl), secrets, NOW, OPTS)).toMatchObject({ ok: true });
    expect(twilioSdk.validateRequest(token, signedWithPort.headers['x-twilio-signature']!, docUrl, docParams)).toBe(true);
    // The library drops any port (not only the default one); we follow it, and a different host still fails.
    const odd = 'https://mycompany.com:8443/myapp.php?foo=1&bar=2';
    expect(twilioSdk.validateRequest(token, docSignature, odd, docParams)).toBe(true);
    expect(verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, odd), secrets, NOW, OPTS)).toMatchObject({ ok: true });
    expect(
      verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, 'https://evil.com/myapp.php?foo=1&bar=2'), secrets, NOW, OPTS),
    ).toMatchObject({ ok: false });
    // Percent-encoding differences: the official library also tries the WHATWG-normalised URL.
    const quoted = "https://mycompany.com/my app.php?q=it's";
    const sig = twilioSdk.getExpectedTwilioSignature(token, new URL(quoted).toString(), docParams);
    expect(twilioSdk.validateRequest(token, sig, quoted, docParams)).toBe(true);
    expect(verifyWith(provider, request({ 'x-twilio-signature': sig }, docBody, quoted), secrets, NOW, OPTS)).toMatchObject({ ok: true });
  });

  it('uses public_url behind a proxy, keeping the request query string', () => {
    const opts = { ...OPTS, public_url: 'https://mycompany.com/myapp.php' };
    expect(provider.optionsSchema!.safeParse({ public_url: 'https://mycompany.com/myapp.php' }).success).toBe(true);
    expect(provider.optionsSchema!.safeParse({}).success).toBe(true);
    expect(provider.optionsSchema!.safeParse({ public_url: 'nope' }).success).toBe(false);
    const seen = 'http://10.0.0.5:3000/webhooks/twilio?foo=1&bar=2';
    expect(verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, seen), secrets, NOW, opts)).toMatchObject({ ok: true });
    expect(verifyWith(provider, request({ 'x-twilio-signature': docSignature }, docBody, seen), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('honours the HMAC_SHA256 signature settings header', () => {
    const ours = provider.sign({ body: docBody, secret: token, timestamp: 0, url: docUrl, algorithm: 'HMAC_SHA256' });
    expect(ours.headers['x-twilio-signature']).toBe(twilioSdk.getExpectedTwilioSignature(token, docUrl, docParams, 'HMAC_SHA256'));
    expect(verifyWith(provider, request(ours.headers, docBody, docUrl), secrets, NOW, OPTS)).toMatchObject({ ok: true });
    expect(twilioAlgorithm('key=k1,algorithm=HMAC_SHA512')).toBeNull();
    expect(twilioAlgorithm(undefined)).toBe('sha1');
  });

  it('rejects a tampered body and a wrong token', () => {
    const h = { 'x-twilio-signature': docSignature };
    expect(verifyWith(provider, request(h, docBody.replace('1234', '9999'), docUrl), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyWith(provider, request(h, `${docBody}&Extra=1`, docUrl), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(h, docBody, docUrl), [{ value: '54321', label: '#0' }], NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('accepts any configured token during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body: docBody, secret: s, timestamp: 0, url: docUrl }), token, 'new-token', OPTS, docUrl);
  });

  it('tells missing, malformed and payload failures apart', () => {
    expect(verifyWith(provider, request({}, docBody, docUrl), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(provider, request({ 'x-twilio-signature': 'abc' }, docBody, docUrl), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
    expect(
      verifyWith(
        provider,
        request({ 'x-twilio-signature': docSignature, 'x-twilio-webhooks-signature-settings': 'algorithm=MD5' }, docBody, docUrl),
        secrets,
        NOW,
        OPTS,
      ),
    ).toMatchObject({ ok: false, reason: 'malformed_signature' });
    expect(verifyWith(provider, request({ 'x-twilio-signature': docSignature }, Buffer.from([0xff]), docUrl), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_payload',
    });
    expect(formSigningSuffix(new URLSearchParams('b=2&a=1&a=0'))).toBe('a0a1b2');
  });

  it('never throws and never verifies on arbitrary headers, URLs and bodies (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-twilio-signature': v, 'x-twilio-webhooks-signature-settings': v }), secrets);
    expectNeverVerifies(provider, (v) => ({ 'x-twilio-signature': docSignature, 'i-twilio-idempotency-token': v }), secrets, {
      ...OPTS,
      public_url: 'https://x.test/',
    });
  });
});
