import { describe, expect, it } from 'vitest';
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods';
import { github as provider, parseGithubSignature } from './github.ts';
import { NOW, OPTS, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

const secret = "It's a Secret to Everybody";
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const body = JSON.stringify({ action: 'opened', number: 1 });
const base = { 'x-github-event': 'pull_request', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };

describe('github provider', () => {
  it('matches the vector in GitHub docs ("Validating webhook deliveries")', () => {
    const { headers } = provider.sign({ body: 'Hello, World!', secret, timestamp: 0 });
    expect(headers['x-hub-signature-256']).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('accepts a signature from @octokit/webhooks-methods, and octokit accepts ours', async () => {
    const sig = await octokitSign(secret, body);
    const result = verifyWith(provider, request({ ...base, 'x-hub-signature-256': sig }, body), secrets, NOW, OPTS);
    expect(result).toMatchObject({ ok: true, secretLabel: '#0', events: [{ key: base['x-github-delivery'], type: 'pull_request', createdAt: null }] });
    const ours = provider.sign({ body, secret, timestamp: 0 });
    expect(await octokitVerify(secret, ours.body.toString(), ours.headers['x-hub-signature-256']!)).toBe(true);
  });

  it('rejects a tampered body and a wrong secret', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    expect(verifyWith(provider, request(headers, body.replace('1', '2')), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(headers, body), [{ value: 'other', label: '#0' }], NOW, OPTS)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('answers a verified ping with pong and stores nothing; an unsigned ping is refused', () => {
    const { headers, body: raw } = provider.sign({ body: '{"zen":"Keep it simple."}', secret, timestamp: 0, event: 'ping' });
    expect(verifyWith(provider, request(headers, raw), secrets, NOW, OPTS)).toEqual({
      ok: true,
      secretLabel: '#0',
      events: [],
      reply: { status: 200, contentType: 'application/json', body: '{"status":"pong"}' },
    });
    expect(verifyWith(provider, request({ 'x-github-event': 'ping' }, raw), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
  });

  it('falls back to a body hash key without a delivery header', () => {
    const { headers } = provider.sign({ body, secret, timestamp: 0 });
    const { 'x-github-delivery': _d, ...rest } = headers;
    const result = verifyWith(provider, request(rest, body), secrets, NOW, OPTS);
    expect(result).toMatchObject({ ok: true, events: [{ key: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: 0 }), secret, 'new-secret');
  });

  it('tells missing and malformed signatures apart', () => {
    expect(verifyWith(provider, request({}, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of ['sha1=abc', `sha256=${'z'.repeat(64)}`, `sha256=${'a'.repeat(63)}`, 'sha256=', `${'a'.repeat(64)}`]) {
      expect(verifyWith(provider, request({ 'x-hub-signature-256': h }, body), secrets, NOW, OPTS)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ ...base, 'x-hub-signature-256': v, 'x-github-event': v }), secrets, OPTS, parseGithubSignature);
  });
});
