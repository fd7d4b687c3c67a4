/** Small request-reading helpers shared by provider schemes. */
import { sha256Hex } from './crypto.ts';
import type { SignedRequest } from './types.ts';

/**
 * A header's value, or null when absent or blank: a blank signature header is a missing one. `name` may be
 * written as the provider documents it (`X-Hub-Signature-256`): request header names arrive lower-cased.
 */
export function header(req: SignedRequest, name: string): string | null {
  const value = req.headers[name.toLowerCase()];
  return value === undefined || value.trim() === '' ? null : value;
}

/** A header usable as an event key or type: trimmed, 1..255 characters, else null. */
export function headerToken(req: SignedRequest, name: string): string | null {
  const value = req.headers[name]?.trim();
  return value && value.length <= 255 ? value : null;
}

/** The event key of providers that send no event id: identical retries collapse, distinct bodies never do. */
export function bodyHashKey(body: Buffer): string {
  return sha256Hex(body);
}
