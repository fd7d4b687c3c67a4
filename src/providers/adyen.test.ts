import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmacValidator as HmacValidator } from '@adyen/api-library';
import { adyen as provider, adyenSigningFields } from './adyen.ts';
import { NOW, OPTS, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

// Known answer from Adyen's own library tests (PHP HmacSignatureTest): key, item and expected signature.
const key = 'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00';
const docItem = {
  pspReference: '7914073381342284',
  merchantAccountCode: 'TestMerchant',
  merchantReference: 'TestPayment-1407325143704',
  amount: { value: 1130, currency: 'EUR' },
  eventCode: 'AUTHORISATION',
  success: 'true',
  eventDate: '2019-06-28T18:03:50+01:00',
};
const docSignature = 'Ny9gS2veKo5E4w8/OL6xz1/wvT/hYkAXy1xNc/QvO4I=';
const secrets: SecretRef[] = [{ value: key, label: '#0' }];

function notification(...items: object[]): string {
  return JSON.stringify({ live: 'false', notificationItems: items.map((i) => ({ NotificationRequestItem: i })) });
}

const refund = { ...docItem, pspReference: '8814073381342285', originalReference: '7914073381342284', eventCode: 'REFUND', success: 'false' };

describe('adyen provider', () => {
  it('matches the library test vector and answers [accepted]', () => {
    const raw = notification({ ...docItem, additionalData: { hmacSignature: docSignature } });
    expect(verifyWith(provider, request({}, raw), secrets, NOW, OPTS)).toMatchObject({
      ok: true,
      secretLabel: '#0',
      reply: { status: 200, contentType: 'text/plain', body: '[accepted]' },
      events: [{ key: '7914073381342284:AUTHORISATION:true', type: 'AUTHORISATION', createdAt: 1561741430 }],
    });
    expect(adyenSigningFields(docItem).join(':')).toBe('7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true');
  });

  it('agrees with @adyen/api-library HmacValidator both ways, one event per item', () => {
    const validator = new HmacValidator();
    const theirs = validator.calculateHmac(refund as never, key);
    const raw = notification({ ...docItem, additionalData: { hmacSignature: docSignature } }, { ...refund, additionalData: { hmacSignature: theirs } });
    const result = verifyWith(provider, request({}, raw), secrets, NOW, OPTS);
    expect(result).toMatchObject({ ok: true, events: [{ type: 'AUTHORISATION' }, { key: '8814073381342285:REFUND:false', type: 'REFUND' }] });
    if (result.ok) expect(JSON.parse(result.events[1]!.payload!.toString()).NotificationRequestItem.pspReference).toBe('8814073381342285');

    const ours = JSON.parse(provider.sign({ body: notification(docItem, refund), secret: key, timestamp: 0 }).body.toString());
    for (const wrapper of ours.notificationItems) expect(validator.validateHMAC(wrapper.NotificationRequestItem, key)).toBe(true);
  });

  it('also accepts the escaped signing string of the Ruby library when a field holds : or \\', () => {
    const item = { ...docItem, merchantReference: 'order:42\\b' };
    const signed = JSON.parse(provider.sign({ body: notification(item), secret: key, timestamp: 0 }).body.toString());
    expect(verifyWith(provider, request({}, JSON.stringify(signed)), secrets, NOW, OPTS)).toMatchObject({ ok: true });
    const escaped = '7914073381342284::TestMerchant:order\\:42\\\\b:1130:EUR:AUTHORISATION:true';
    const sig = createHmac('sha256', Buffer.from(key, 'hex')).update(escaped).digest('base64');
    expect(verifyWith(provider, request({}, notification({ ...item, additionalData: { hmacSignature: sig } })), secrets, NOW, OPTS)).toMatchObject({
      ok: true,
    });
  });

  it('refuses the batch when any item fails, and a wrong key', () => {
    const raw = notification({ ...docItem, additionalData: { hmacSignature: docSignature } }, { ...refund, additionalData: { hmacSignature: docSignature } });
    expect(verifyWith(provider, request({}, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const tampered = notification({ ...docItem, amount: { value: 1, currency: 'EUR' }, additionalData: { hmacSignature: docSignature } });
    expect(verifyWith(provider, request({}, tampered), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const good = notification({ ...docItem, additionalData: { hmacSignature: docSignature } });
    expect(
      verifyWith(
        provider,
        request({}, good),
        [
          { value: '00'.repeat(32), label: '#0' },
          { value: 'not-hex', label: '#1' },
        ],
        NOW,
        OPTS,
      ),
    ).toMatchObject({ ok: false, reason: 'invalid_signature' });
  });

  it('accepts any configured key during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body: notification(docItem), secret: s, timestamp: 0 }), key, 'AB'.repeat(32));
  });

  it('tells payload, missing and malformed signatures apart', () => {
    for (const raw of ['nope', '{}', '{"notificationItems":[]}', '{"notificationItems":[{}]}', '{"notificationItems":[1]}']) {
      expect(verifyWith(provider, request({}, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
    expect(verifyWith(provider, request({}, notification(docItem)), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(provider, request({}, notification({ ...docItem, additionalData: { hmacSignature: 'abc' } })), secrets, NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'malformed_signature',
    });
    const noPsp = provider.sign({ body: notification({ eventCode: 'X' }), secret: key, timestamp: 0 }).body;
    expect(verifyWith(provider, request({}, noPsp), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('never throws and never verifies on arbitrary signatures and bodies (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 64 }), (sig, raw) => {
        expect(verifyWith(provider, request({}, notification({ ...docItem, additionalData: { hmacSignature: sig } })), secrets, NOW, OPTS).ok).toBe(false);
        expect(verifyWith(provider, request({}, Buffer.from(raw)), secrets, NOW, OPTS).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
