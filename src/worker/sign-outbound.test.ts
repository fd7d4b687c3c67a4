import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { standardWebhooksSignature } from './sign-outbound.ts';

describe('outbound Standard Webhooks signature', () => {
  it('matches the specification example vector', () => {
    // From the Standard Webhooks specification (and the standardwebhooks library's own tests).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = Buffer.from('{"test": 2432232314}');
    expect(standardWebhooksSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies with the official standardwebhooks library', () => {
    const secret = `whsec_${Buffer.from('a-32-byte-key-for-outbound-tests').toString('base64')}`;
    const body = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'charge.succeeded' }));
    const now = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'msg_abc', 'webhook-timestamp': String(now), 'webhook-signature': standardWebhooksSignature(secret, 'msg_abc', now, body) };
    expect(new Webhook(secret).verify(body.toString(), headers)).toEqual({ id: 'evt_1', type: 'charge.succeeded' });
    expect(() => new Webhook(secret).verify(`${body.toString()} `, headers)).toThrow();
  });
});
