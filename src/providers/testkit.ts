/**
 * Test-only helpers shared by the provider tests: the checks every scheme must pass (rotation, expiry,
 * never-throws property) written once so each test file keeps to what is specific to its provider.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import type { Provider, SecretRef, SignedOutput, SignedRequest, VerifyResult } from './types.ts';

export const NOW = 1_700_000_000_000;
export const T = NOW / 1000;
/** A source's tolerance and its provider options, as the tests write them. */
export type VerifyOptions = { toleranceSeconds: number } & Record<string, unknown>;
export const OPTS: VerifyOptions = { toleranceSeconds: 300 };

/** Configure the provider for one source (as startup does) and verify one request with it. */
export function verifyWith(provider: Provider, req: SignedRequest, secrets: readonly SecretRef[], nowMs: number, options: VerifyOptions = OPTS): VerifyResult {
  const { toleranceSeconds, ...rest } = options;
  return provider.configure({ secrets, toleranceSeconds, options: rest }).verify(req, nowMs);
}
/** Any content digest (content-digest.test.ts and test/providers/content-digest.test.ts pin what it covers). */
export const DIGEST = expect.stringMatching(/^[0-9a-f]{64}$/);

export function request(headers: Record<string, string>, raw: string | Buffer, url = 'http://127.0.0.1/webhooks/test'): SignedRequest {
  return { headers, rawBody: Buffer.from(raw), url };
}

/** Old and new secrets both verify while both are live; the old one stops at its expiresAt. */
export function expectRotation(
  provider: Provider,
  signWith: (secret: string) => SignedOutput,
  oldSecret: string,
  newSecret: string,
  options: VerifyOptions = OPTS,
  url?: string,
): void {
  const rotated: SecretRef[] = [
    { value: newSecret, label: 'new' },
    { value: oldSecret, label: 'old', expiresAt: NOW + 1000 },
  ];
  const old = signWith(oldSecret);
  expect(verifyWith(provider, request(old.headers, old.body, url), rotated, NOW, options)).toMatchObject({ ok: true, secretLabel: 'old' });
  expect(verifyWith(provider, request(old.headers, old.body, url), rotated, NOW + 1001, options)).toMatchObject({ ok: false, reason: 'invalid_signature' });
  const fresh = signWith(newSecret);
  expect(verifyWith(provider, request(fresh.headers, fresh.body, url), rotated, NOW, options)).toMatchObject({ ok: true, secretLabel: 'new' });
}

/** Arbitrary header text (any UTF-16 units) and arbitrary body bytes: verify never throws and never accepts. */
export function expectNeverVerifies(
  provider: Provider,
  headersFor: (value: string) => Record<string, string>,
  secrets: readonly SecretRef[],
  options: VerifyOptions = OPTS,
  parse?: (value: string) => unknown,
): void {
  const { toleranceSeconds, ...rest } = options;
  const verifier = provider.configure({ secrets, toleranceSeconds, options: rest });
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 64 }), (value, raw) => {
      parse?.(value);
      const result = verifier.verify(request(headersFor(value), Buffer.from(raw)), NOW);
      expect(result.ok).toBe(false);
    }),
    { numRuns: 1000 },
  );
}
