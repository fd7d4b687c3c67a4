/** Build and sign Stripe test events with our own sign() (itself cross-checked against the stripe library). */
import { randomUUID } from 'node:crypto';
import { stripe } from '../../src/providers/stripe.ts';

export const SECRET = 'whsec_test_3f9a1c2b7d';

export function stripeEvent(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'pi_123', amount: 2000, currency: 'usd' } },
    ...overrides,
  });
}

export function signedStripe(body: string | Buffer, secret = SECRET, timestamp = Math.floor(Date.now() / 1000)) {
  return stripe.sign({ body, secret, timestamp });
}

/** POST a signed Stripe event; returns status, parsed JSON body (or text) and headers. */
export async function postStripe(url: string, body: string | Buffer, options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const signed = signedStripe(body, options.secret, options.timestamp);
  const response = await fetch(`${url}/webhooks/provider`, {
    method: 'POST',
    headers: { ...signed.headers, ...options.headers },
    body: new Uint8Array(signed.body),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, json: json as Record<string, unknown> | null, text, headers: response.headers };
}

/**
 * POST a signed event to a server that is being stopped or killed. The timeout is for the client: now and then
 * Node's fetch leaves a request whose connection was refused mid-shutdown pending forever, with no socket left
 * open to the server (checked with `ss`). Such a request never reached the server, like any other refused one.
 */
export function postWhileStopping(url: string, signed: { headers: Record<string, string>; body: Buffer }): Promise<Response> {
  return fetch(url, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body), signal: AbortSignal.timeout(10_000) });
}
