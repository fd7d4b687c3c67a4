import { describe, expect, it, vi } from 'vitest';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { genericHmac as provider } from './generic-hmac.ts';
import { genericHmacOptions } from './generic-hmac-options.ts';
import { slack } from './slack.ts';
import { ProviderOptionsError } from './configure.ts';
import { DIGEST, NOW, OPTS, T, expectNeverVerifies, expectRotation, request, verifyWith } from './testkit.ts';
import type { SecretRef } from './types.ts';

const secret = 'generic-secret';
const secrets: SecretRef[] = [{ value: secret, label: '#0' }];
const body = JSON.stringify({ id: 'evt_42', kind: 'payment.settled', n: 7 });

const githubLike = { header: 'X-Hub-Signature-256', prefix: 'sha256=', event_key: { header: 'X-GitHub-Delivery' }, event_type: { header: 'x-github-event' } };
const slackLike = { header: 'x-slack-signature', prefix: 'v0=', signed_content: 'v0:{timestamp}:{body}', timestamp_header: 'X-Slack-Request-Timestamp' };
const pointers = { header: 'x-sig', encoding: 'base64', algorithm: 'sha512', event_key: { json_pointer: '/id' }, event_type: { json_pointer: '/kind' } };

function opts(options: object) {
  return { ...OPTS, ...provider.optionsSchema!.parse(options) };
}

describe('generic-hmac provider', () => {
  it('configured like GitHub, reproduces the GitHub docs vector and accepts @octokit/webhooks-methods signatures', async () => {
    const signed = provider.sign({ body: 'Hello, World!', secret: "It's a Secret to Everybody", timestamp: 0, ...githubLike, eventKey: 'd1' });
    expect(signed.headers['x-hub-signature-256']).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const headers = { 'x-hub-signature-256': await octokitSign(secret, body), 'x-github-delivery': 'd-1', 'x-github-event': 'push' };
    expect(verifyWith(provider, request(headers, body), secrets, NOW, opts(githubLike))).toEqual({
      ok: true,
      secretLabel: '#0',
      events: [{ key: 'd-1', type: 'push', createdAt: null, contentDigest: DIGEST }],
    });
  });

  it('configured like Slack, verifies what the slack provider signs, with tolerance both ways', () => {
    const o = opts(slackLike);
    const { headers } = slack.sign({ body, secret, timestamp: T });
    expect(verifyWith(provider, request(headers, body), secrets, NOW, o)).toMatchObject({ ok: true, signedAt: T, events: [{ createdAt: T, type: 'unknown' }] });
    expect(verifyWith(provider, request(headers, body), secrets, NOW + 301_000, o)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(provider, request(headers, body), secrets, NOW - 301_000, o)).toMatchObject({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyWith(provider, request({ ...headers, 'x-slack-request-timestamp': String(T + 1) }, body), secrets, NOW, o)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
    const { 'x-slack-request-timestamp': _t, ...noTs } = headers;
    expect(verifyWith(provider, request(noTs, body), secrets, NOW, o)).toMatchObject({ ok: false, reason: 'malformed_signature' });
  });

  it('reads key and type by JSON pointer with sha512/base64; a missing key is an invalid payload', () => {
    const o = opts(pointers);
    const signed = provider.sign({ body, secret, timestamp: 0, ...pointers });
    expect(signed.headers['x-sig']).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(verifyWith(provider, request(signed.headers, body), secrets, NOW, o)).toMatchObject({
      ok: true,
      events: [{ key: 'evt_42', type: 'payment.settled' }],
    });
    const numeric = provider.sign({ body: '{"id":12}', secret, timestamp: 0, ...pointers });
    expect(verifyWith(provider, request(numeric.headers, '{"id":12}'), secrets, NOW, o)).toMatchObject({ ok: true, events: [{ key: '12', type: 'unknown' }] });
    for (const raw of ['{"kind":"x"}', 'not json', '{"id":""}']) {
      const s = provider.sign({ body: raw, secret, timestamp: 0, ...pointers });
      expect(verifyWith(provider, request(s.headers, raw), secrets, NOW, o)).toMatchObject({ ok: false, reason: 'invalid_payload' });
    }
  });

  it('defaults: sha256 hex of the body, body-hash key, type unknown', () => {
    const o = opts({ header: 'x-signature' });
    const signed = provider.sign({ body, secret, timestamp: 0, header: 'x-signature' });
    expect(verifyWith(provider, request(signed.headers, body), secrets, NOW, o)).toMatchObject({
      ok: true,
      events: [{ key: expect.stringMatching(/^[0-9a-f]{64}$/), type: 'unknown', createdAt: null }],
    });
    expect(verifyWith(provider, request(signed.headers, `${body} `), secrets, NOW, o)).toMatchObject({ ok: false, reason: 'invalid_signature' });
    expect(verifyWith(provider, request(signed.headers, body), [{ value: 'x', label: '#0' }], NOW, o)).toMatchObject({
      ok: false,
      reason: 'invalid_signature',
    });
  });

  it('parses its options once, in configure: verifying requests runs no schema', () => {
    const verifier = provider.configure({ secrets, toleranceSeconds: 300, options: slackLike });
    const safeParse = vi.spyOn(genericHmacOptions, 'safeParse');
    const parse = vi.spyOn(genericHmacOptions, 'parse');
    try {
      const signed = slack.sign({ body, secret, timestamp: T });
      for (let i = 0; i < 3; i++) expect(verifier.verify(request(signed.headers, body), NOW)).toMatchObject({ ok: true });
      expect(safeParse.mock.calls.length + parse.mock.calls.length).toBe(0);
    } finally {
      safeParse.mockRestore();
      parse.mockRestore();
    }
  });

  it('validates its options, and configure refuses bad ones (naming the option) before any request', () => {
    const schema = provider.optionsSchema!;
    for (const bad of [
      {},
      { header: 'bad header' },
      { header: 'x', algorithm: 'md5' },
      { header: 'x', signed_content: '{timestamp}.{body}' },
      { header: 'x', signed_content: 'no body' },
      { header: 'x', signed_content: '{id}.{body}', timestamp_header: 't' },
      { header: 'x', event_key: { header: 'a', json_pointer: '/a' } },
      { header: 'x', event_key: { json_pointer: 'id' } },
    ]) {
      expect(schema.safeParse(bad).success).toBe(false);
    }
    expect(schema.parse({ header: 'X-Sig' })).toMatchObject({ header: 'x-sig', algorithm: 'sha256', encoding: 'hex', prefix: '', signed_content: 'body' });
    expect(() => provider.configure({ secrets, toleranceSeconds: 300, options: { header: 'bad header' } })).toThrow(/header: must be an HTTP header name/);
    expect(() => provider.configure({ secrets, toleranceSeconds: 300, options: { header: 'x', signed_content: 'no body' } })).toThrow(ProviderOptionsError);
  });

  it('accepts any configured secret during rotation and refuses an expired one', () => {
    expectRotation(provider, (s) => provider.sign({ body, secret: s, timestamp: T, ...slackLike }), secret, 'new-secret', opts(slackLike));
  });

  it('tells missing and malformed signatures apart', () => {
    const o = opts(githubLike);
    expect(verifyWith(provider, request({}, body), secrets, NOW, o)).toMatchObject({ ok: false, reason: 'missing_signature' });
    for (const h of ['sha1=abc', `sha256=${'z'.repeat(64)}`, 'a'.repeat(64)]) {
      expect(verifyWith(provider, request({ 'x-hub-signature-256': h }, body), secrets, NOW, o)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    }
  });

  it('never throws and never verifies on arbitrary headers (property)', () => {
    expectNeverVerifies(provider, (v) => ({ 'x-slack-signature': v, 'x-slack-request-timestamp': String(T) }), secrets, opts(slackLike));
    expectNeverVerifies(provider, (v) => ({ 'x-sig': v }), secrets, opts(pointers));
  });
});
