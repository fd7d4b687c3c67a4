/**
 * Verification cost on the same 2 KB signed Stripe event, ours against the official library, in two pairs:
 * - verify + parse: our verify (signature, timestamp, event id/type/created read from the JSON) against
 *   stripe.webhooks.constructEvent (signature, timestamp, JSON.parse): the comparison;
 * - signature only: our signature check against stripe.webhooks.signature.verifyHeader.
 * The contenders run in alternating short blocks and each figure is the median over blocks, so a noisy
 * neighbour slows both sides of a pair alike instead of whichever happened to run second.
 */
import Stripe from 'stripe';
import { checkStripeSignature, stripe } from '../src/providers/stripe.ts';
import { eventBody, SECRET } from './load.ts';

export interface VerifyFigures {
  oursNs: number;
  stripeNs: number;
  speedup: number;
  signatureOnly: { oursNs: number; stripeNs: number; speedup: number };
}

function blockNs(iterations: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ns/op of each contender over `blocks` alternating blocks (after a warm-up of each). */
function race(blocks: number, perBlock: number, a: () => void, b: () => void): { a: number; b: number } {
  blockNs(2000, a);
  blockNs(2000, b);
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < blocks; i++) {
    as.push(blockNs(perBlock, a));
    bs.push(blockNs(perBlock, b));
  }
  return { a: median(as), b: median(bs) };
}

export function benchVerify(iterations = 50_000): VerifyFigures {
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(eventBody('evt_verify_bench', now));
  const header = stripe.sign({ body, secret: SECRET, timestamp: now }).headers['stripe-signature']!;
  const request = { headers: { 'stripe-signature': header }, rawBody: body, url: 'http://127.0.0.1/webhooks/provider' };
  const secrets = [{ value: SECRET, label: '#0' }];
  const verifier = stripe.configure({ secrets, toleranceSeconds: 300 });
  const official = new Stripe('sk_test_bench');
  const blocks = 25;
  const perBlock = Math.max(1, Math.floor(iterations / blocks));

  const full = race(
    blocks,
    perBlock,
    () => {
      if (!verifier.verify(request, Date.now()).ok) throw new Error('ours failed to verify');
    },
    () => void official.webhooks.constructEvent(body, header, SECRET),
  );
  // What verify does before it reads the JSON: parse the header, HMAC, compare in constant time.
  const signature = race(
    blocks,
    perBlock,
    () => {
      if ('reason' in checkStripeSignature(header, body, secrets, Date.now())) throw new Error('ours failed to verify');
    },
    () => void official.webhooks.signature!.verifyHeader(body, header, SECRET),
  );
  return {
    oursNs: full.a,
    stripeNs: full.b,
    speedup: full.b / full.a,
    signatureOnly: { oursNs: signature.a, stripeNs: signature.b, speedup: signature.b / signature.a },
  };
}
