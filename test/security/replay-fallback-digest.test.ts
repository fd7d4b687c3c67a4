/** The content digest ingest uses when a provider gives none: it includes the key, so it never merges two events. */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { fallbackContentDigest } from '../../src/ingest/handle-webhook.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

it('is SHA-256 over length-prefixed (tag, key, type, payload sha256), and differs whenever one of them does', () => {
  const payload = sha('{"a":1}');
  expect(fallbackContentDigest('evt_1', 'charge.succeeded', payload)).toBe(sha(`17:filab.fallback.v15:evt_116:charge.succeeded64:${payload}`));
  const digests = new Set([
    fallbackContentDigest('evt_1', 'charge.succeeded', payload),
    fallbackContentDigest('evt_2', 'charge.succeeded', payload),
    fallbackContentDigest('evt_1', 'charge.failed', payload),
    fallbackContentDigest('evt_1', 'charge.succeeded', sha('{"a":2}')),
    // Field boundaries: moving a character from the key into the type is another digest.
    fallbackContentDigest('evt_1c', 'harge.succeeded', payload),
  ]);
  expect(digests.size).toBe(5);
});
