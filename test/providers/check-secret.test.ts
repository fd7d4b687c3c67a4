/**
 * Startup secret checks (Provider.checkSecret) agree with what the scheme can really verify: a key the check
 * accepts signs and verifies, a key it refuses never could. Config-level messages: test/config/load-config.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProvider, providerNames } from '../../src/providers/index.ts';
import { encodeEd25519KeyPair } from '../../src/providers/standard-webhooks.ts';
import { NOW, OPTS, T, request, verifyWith } from '../../src/providers/testkit.ts';

const adyenBody = JSON.stringify({ notificationItems: [{ NotificationRequestItem: { pspReference: 'P1', eventCode: 'AUTHORISATION', success: 'true' } }] });

/** Whether `secret` can sign a request that verifies with `secret` (sign refuses keys it cannot use). */
function roundTrips(name: string, secret: string, body: string): boolean {
  const provider = getProvider(name)!;
  let signed: ReturnType<typeof provider.sign>;
  try {
    signed = provider.sign({ body, secret, timestamp: T });
  } catch {
    return false;
  }
  return verifyWith(provider, request(signed.headers, signed.body), [{ value: secret, label: '#0' }], NOW, OPTS).ok;
}

describe('Provider.checkSecret', () => {
  it('refuses what each scheme with a key format cannot decode, with a message that does not repeat it', () => {
    const refused: [string, string][] = [
      ['adyen', 'XYZ0'],
      ['adyen', 'ABC'],
      ['standard-webhooks', 'whsec_***'],
      ['standard-webhooks', 'whsec_'],
      ['standard-webhooks', 'whsk_c2hvcnQ='],
      ['standard-webhooks', 'not base64!'],
      ['stripe', 'sk_test_123'],
      ['stripe', 'whsec_'],
    ];
    for (const [name, secret] of refused) {
      const problem = getProvider(name)!.checkSecret!(secret);
      expect(problem, `${name} ${secret}`).toEqual(expect.any(String));
      expect(problem).not.toContain(secret.replace(/^(whsec_|whsk_)/, '') || '\u0000');
    }
  });

  it('accepts every key form the schemes document', () => {
    const { secretKey, publicKey } = encodeEd25519KeyPair(generateKeyPairSync('ed25519').privateKey);
    for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'c2VjcmV0', secretKey, publicKey])
      expect(getProvider('standard-webhooks')!.checkSecret!(secret)).toBeNull();
    expect(getProvider('adyen')!.checkSecret!('44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056')).toBeNull();
    expect(getProvider('stripe')!.checkSecret!('whsec_abc')).toBeNull();
  });

  it('schemes that use the secret text as it is take any text (no checkSecret)', () => {
    const free = providerNames.filter((name) => !getProvider(name)!.checkSecret);
    expect(free.sort()).toEqual(['generic-hmac', 'github', 'gocardless', 'lemonsqueezy', 'paddle', 'razorpay', 'shopify', 'slack', 'square', 'twilio']);
  });

  it('accepts exactly the keys that can sign and verify (adyen, standard-webhooks; property)', () => {
    const text = fc.string({ unit: fc.constantFrom('A', 'b', '0', '9', 'f', 'F', 'g', '+', '/', '=', '-', ' ', '*'), maxLength: 48 });
    const secret = fc.oneof(
      text,
      text.map((t) => `whsec_${t}`),
      text.map((t) => `whsk_${t}`),
      fc.uint8Array({ minLength: 0, maxLength: 66 }).map((b) => `whsk_${Buffer.from(b).toString('base64')}`),
    );
    fc.assert(
      fc.property(secret, (value) => {
        fc.pre(value.length > 0);
        expect(getProvider('adyen')!.checkSecret!(value) === null, `adyen ${value}`).toBe(roundTrips('adyen', value, adyenBody));
        expect(getProvider('standard-webhooks')!.checkSecret!(value) === null, `standard-webhooks ${value}`).toBe(
          roundTrips('standard-webhooks', value, '{"type":"x"}'),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
