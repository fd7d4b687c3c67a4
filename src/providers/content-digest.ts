/**
 * The content digest of one verified event (VerifiedEvent.contentDigest): SHA-256 hex over exactly the bytes
 * the signature covers, the event type and, for an item of a batch, the item's signed key. Ingest stores it
 * under a unique constraint per source, so a captured request sent again with a fresh unsigned id header is
 * still a replay. Each field is length-prefixed, so no two different (content, type, key) triples hash the
 * same bytes: two events can share a digest only if their signed content, type and item key are all equal.
 */
import { hashPartsHex } from '../digest.ts';

const VERSION = 'filab-content-digest-v1\n';

/** `signed`: the parts whose concatenation the signature covers, in order (e.g. [`${t}.`, rawBody]). */
export function contentDigest(signed: readonly (string | Buffer)[], type: string, itemKey?: string): string {
  let signedBytes = 0;
  for (const part of signed) signedBytes += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  const parts: (string | Buffer)[] = [VERSION, `${signedBytes}:`, ...signed, `\n${Buffer.byteLength(type)}:`, type];
  if (itemKey !== undefined) parts.push(`\n${Buffer.byteLength(itemKey)}:`, itemKey);
  return hashPartsHex('sha256', parts);
}
