/** Verification cost on the same 2 KB signed Stripe event: ours vs stripe.webhooks.constructEvent (both parse JSON). */
import Stripe from 'stripe';
import { stripe } from '../src/providers/stripe.ts';
import { eventBody, SECRET } from './load.ts';

export interface VerifyFigures {
  oursNs: number;
  stripeNs: number;
  speedup: number;
}

function timeNs(iterations: number, fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

export function benchVerify(iterations = 50_000): VerifyFigures {
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(eventBody('evt_verify_bench', now));
  const header = stripe.sign({ body, secret: SECRET, timestamp: now }).headers['stripe-signature']!;
  const request = { headers: { 'stripe-signature': header }, rawBody: body, url: 'http://127.0.0.1/webhooks/provider' };
  const secrets = [{ value: SECRET, label: '#0' }];
  const official = new Stripe('sk_test_bench');
  const ours = timeNs(iterations, () => {
    if (!stripe.verify(request, secrets, Date.now(), { toleranceSeconds: 300 }).ok) throw new Error('ours failed to verify');
  });
  const theirs = timeNs(iterations, () => {
    official.webhooks.constructEvent(body, header, SECRET);
  });
  return { oursNs: ours, stripeNs: theirs, speedup: theirs / ours };
}
