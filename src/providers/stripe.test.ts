import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Stripe from 'stripe';
import { stripe, parseStripeSignature } from './stripe.ts';
import type { SecretRef } from './types.ts';
import { verifyWith } from './testkit.ts';

const secret = 'whsec_test_secret';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const now = 1_700_000_000_000;
const t = now / 1000;
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', created: t, data: { object: {} } });
const opts = { toleranceSeconds: 300 };

function request(headers: Record<string, string>, raw: string | Buffer = body) {
  return { headers, rawBody: Buffer.from(raw), url: 'http://127.0.0.1/webhooks/provider' };
}

describe('stripe provider', () => {
  it('accepts a signature made by the official stripe library, and stripe accepts ours', () => {
    const official = new Stripe('sk_test_x');
    const header = official.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
    const result = verifyWith(stripe, request({ 'stripe-signature': header }), secrets, now, opts);
    expect(result).toMatchObject({ ok: true, secretLabel: '#0', events: [{ key: 'evt_1', type: 'charge.succeeded', createdAt: t }] });

    const ours = stripe.sign({ body, secret, timestamp: Math.floor(Date.now() / 1000) });
    const event = official.webhooks.constructEvent(ours.body, ours.headers['stripe-signature']!, secret);
    expect(event.id).toBe('evt_1');
  });

  it('rejects a tampered body, a wrong secret, stale and future timestamps', () => {
    const { headers } = stripe.sign({ body, secret, timestamp: t });
    expect(verifyWith(stripe, request(headers, body.replace('evt_1', 'evt_2')), secrets, now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(stripe, request(headers), [{ value: 'whsec_other', label: '#0' }], now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(stripe, request(headers), secrets, now + 301_000, opts)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(stripe, request(headers), secrets, now - 301_000, opts)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(stripe, request(headers), secrets, now + 300_000, opts)).toMatchObject({ ok: true });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    const rotated: SecretRef[] = [
      { value: 'whsec_new', label: 'new' },
      { value: secret, label: 'old', expiresAt: now + 1000 },
    ];
    const { headers } = stripe.sign({ body, secret, timestamp: t });
    expect(verifyWith(stripe, request(headers), rotated, now, opts)).toMatchObject({ ok: true, secretLabel: 'old' });
    expect(verifyWith(stripe, request(headers), rotated, now + 1001, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    const fresh = stripe.sign({ body, secret: 'whsec_new', timestamp: t });
    expect(verifyWith(stripe, request(fresh.headers), rotated, now, opts)).toMatchObject({ ok: true, secretLabel: 'new' });
  });

  it('matches any of several v1 values and tolerates whitespace and other schemes', () => {
    const good = stripe.sign({ body, secret, timestamp: t }).headers['stripe-signature']!.split('v1=')[1]!;
    const header = ` t = ${t} , v0=abc, v1=${'0'.repeat(64)},  v1 = ${good} `;
    expect(verifyWith(stripe, request({ 'stripe-signature': header }), secrets, now, opts)).toMatchObject({ ok: true });
  });

  it('refuses a v1 signature written in upper-case hex, as the official library does', () => {
    const official = new Stripe('sk_test_x');
    const ours = stripe.sign({ body, secret, timestamp: t }).headers['stripe-signature']!;
    const upper = ours.replace(/v1=([0-9a-f]{64})/, (_, hex: string) => `v1=${hex.toUpperCase()}`);
    expect(upper).not.toBe(ours);
    expect(() => official.webhooks.constructEvent(body, upper, secret, 300, undefined, t)).toThrow(/No signatures found matching/);
    expect(official.webhooks.constructEvent(body, ours, secret, 300, undefined, t).id).toBe('evt_1');
    expect(verifyWith(stripe, request({ 'stripe-signature': upper }), secrets, now, opts)).toEqual({
      ok: false,
      reason: 'invalid_signature',
      detail: 'Invalid signature',
      header: 'Stripe-Signature',
    });
    // One upper-case letter is enough to refuse; beside the correct lower-case v1 it changes nothing.
    const hex = ours.split('v1=')[1]!;
    const letter = hex.search(/[a-f]/);
    const mixed = `t=${t},v1=${hex.slice(0, letter)}${hex[letter]!.toUpperCase()}${hex.slice(letter + 1)}`;
    expect(() => official.webhooks.constructEvent(body, mixed, secret, 300, undefined, t)).toThrow(/No signatures found matching/);
    expect(verifyWith(stripe, request({ 'stripe-signature': mixed }), secrets, now, opts)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(official.webhooks.constructEvent(body, `${upper},v1=${hex}`, secret, 300, undefined, t).id).toBe('evt_1');
    expect(verifyWith(stripe, request({ 'stripe-signature': `${upper},v1=${hex}` }), secrets, now, opts)).toMatchObject({ ok: true });
  });

  it("answers with the seed's exact texts whatever the source", () => {
    const seed = { ok: false, detail: 'Invalid signature', header: 'Stripe-Signature' };
    expect(verifyWith(stripe, request({}), secrets, now, opts)).toEqual({
      ok: false,
      reason: 'missing_signature',
      detail: 'Missing encoded Stripe-Signature header',
      header: 'Stripe-Signature',
    });
    expect(verifyWith(stripe, request({ 'stripe-signature': 'v1=abc' }), secrets, now, opts)).toEqual({ ...seed, reason: 'malformed_signature' });
    const { headers } = stripe.sign({ body, secret, timestamp: t });
    expect(verifyWith(stripe, request(headers), secrets, now + 301_000, opts)).toEqual({ ...seed, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(stripe, request(headers, `${body} `), secrets, now, opts)).toEqual({ ...seed, reason: 'invalid_signature' });
  });

  it('tells missing, malformed and schema failures apart', () => {
    expect(verifyWith(stripe, request({}), secrets, now, opts)).toMatchObject({ ok: false, reason: 'missing_signature' });
    expect(verifyWith(stripe, request({ 'stripe-signature': '  ' }), secrets, now, opts)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of [`t=${t}`, 'v1=abc', `t=-${t},v1=${'a'.repeat(64)}`, `t=1e9,v1=${'a'.repeat(64)}`, `t=${t},v1=é${'a'.repeat(63)}`]) {
      expect(verifyWith(stripe, request({ 'stripe-signature': h }), secrets, now, opts).ok).toBe(false);
    }
    const bad = [
      'not json',
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      JSON.stringify({ id: 'evt_1', type: 'x', created: '123' }),
      JSON.stringify({ id: '', type: 'x', created: 1 }),
      JSON.stringify({ id: 'evt_1', type: 'x', created: 1e30 }),
      JSON.stringify({ id: 'evt_1', type: 'x', created: 1, data: [] }),
      JSON.stringify([1, 2]),
    ];
    for (const raw of bad) {
      const signed = stripe.sign({ body: raw, secret, timestamp: t });
      expect(verifyWith(stripe, request(signed.headers, signed.body), secrets, now, opts)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('parses exactly as the plain split/trim reference does, on headers made of the pieces that matter (property)', () => {
    const piece = fc.constantFrom(
      't',
      'v1',
      'v0',
      'T',
      '=',
      ',',
      ' ',
      '\t',
      '\u00a0',
      '\ufeff',
      '1700000000',
      '17',
      'x',
      'é',
      'a'.repeat(64),
      'A'.repeat(64),
      `${'a'.repeat(63)}g`,
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const header = pieces.join('');
        expect(parseStripeSignature(header)).toEqual(referenceParse(header));
      }),
      { numRuns: 5000 },
    );
    for (const header of [
      `t=${t},v1=${'a'.repeat(64)}`,
      ` t = ${t} ,v1 = ${'B'.repeat(64)}, v1=${'c'.repeat(64)},`,
      `t=1,t=2,v1=${'a'.repeat(64)}`,
      `t=1,t=1`,
      ',,=,',
      '',
    ]) {
      expect(parseStripeSignature(header)).toEqual(referenceParse(header));
    }
  });

  it('reads headers in the form Stripe sends, and near misses of it, exactly as the reference does (property)', () => {
    const digits = fc.string({ unit: fc.constantFrom('0', '1', '7', '9', 'x', ' '), minLength: 0, maxLength: 17 });
    const hex = fc.string({ unit: fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', ' '), minLength: 62, maxLength: 66 });
    const suffix = fc.constantFrom('', ',', ` ,v1=${'b'.repeat(64)}`, ',v0=00');
    fc.assert(
      fc.property(digits, fc.constantFrom(',v1=', ', v1=', ',v0=', ',V1='), hex, suffix, (ts, scheme, sig, rest) => {
        const header = `t=${ts}${scheme}${sig}${rest}`;
        expect(parseStripeSignature(header)).toEqual(referenceParse(header));
      }),
      { numRuns: 5000 },
    );
    expect(parseStripeSignature(`t=0001700000000,v1=${'a'.repeat(64)}`)).toEqual({ timestamp: 1_700_000_000, v1: ['a'.repeat(64)] });
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 64 }), (header, raw) => {
        parseStripeSignature(header);
        const result = verifyWith(stripe, request({ 'stripe-signature': header }, Buffer.from(raw)), secrets, now, opts);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The straightforward parser the single-pass one must equal: split at commas, first `=`, trim. */
function referenceParse(header: string) {
  let timestamp: number | null = null;
  let seen = false;
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      const parsed = /^\d{1,15}$/.test(value) ? Number(value) : null;
      timestamp = seen && parsed !== timestamp ? null : parsed;
      seen = true;
    } else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) {
      v1.push(value);
    }
  }
  return { timestamp, v1 };
}
