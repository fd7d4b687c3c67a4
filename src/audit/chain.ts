/**
 * Tamper-evident audit chain, one per source. Each stored event gets an entry:
 *   content_hash = SHA-256 over (source, event key, received_at, stored headers, SHA-256 of the raw payload)
 *   entry_hash   = SHA-256 over (previous entry_hash of the source, content_hash)
 * Entries are sealed in receipt order: by SQLite in the insert transaction, by PostgreSQL shortly after insert
 * (off the ingest hot path, so concurrent ingest processes never queue on a chain head). Entries outlive pruned
 * events: a pruned event's entry keeps its content_hash as a checkpoint, so the chain still verifies.
 * Changing one stored byte of an event, or removing/reordering an entry, breaks the chain at that point.
 */
import { hashHex, hashPartsHex } from '../digest.ts';

export const GENESIS = '0'.repeat(64);

export interface AuditContent {
  source: string;
  eventKey: string;
  receivedAt: number;
  headers: Record<string, string>;
  payload: Buffer;
}

/** Canonical, unambiguous encoding: length-prefixed fields, headers sorted by name. */
export function contentHash(content: AuditContent): string {
  return contentHashWithDigest(content, hashHex('sha256', content.payload));
}

/**
 * The same hash from the payload's SHA-256 as stored (hex), which ingest computes once anyway: sealing in the insert
 * transaction then neither re-reads nor re-hashes payloads. Verification always hashes the stored payload.
 * The text fields go to the hash as one string (the same bytes as field by field, far fewer calls).
 */
export function contentHashWithDigest(content: Omit<AuditContent, 'payload'>, payloadSha256Hex: string): string {
  const payloadDigest = Buffer.from(payloadSha256Hex, 'hex');
  const names = Object.keys(content.headers).sort();
  let text = field(content.source) + field(content.eventKey) + field(String(content.receivedAt)) + field(String(names.length));
  for (const name of names) text += field(name) + field(content.headers[name]!);
  return hashPartsHex('sha256', [text, `${payloadDigest.length}:`, payloadDigest]);
}

/** One length-prefixed field: `<UTF-8 byte length>:<value>`. */
function field(value: string): string {
  return `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

export function entryHash(previous: string, content: string): string {
  return hashHex('sha256', `${previous}:${content}`);
}

export interface AuditEntry {
  seq: number;
  eventId: string;
  contentHash: string;
  prevHash: string;
  entryHash: string;
  /** The event as stored now, or null when it was pruned (its contentHash then stands as a checkpoint). */
  event: AuditContent | null;
}

export type ChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: { seq: number; eventId: string; reason: string } };

/** Walk one source's entries in order; report the first broken link. `previous` continues an earlier walk. */
export function verifyEntries(entries: Iterable<AuditEntry>, previous = GENESIS, counted = 0): ChainVerdict {
  let head = previous;
  let count = counted;
  for (const entry of entries) {
    const broken = (reason: string): ChainVerdict => ({ ok: false, entries: count, brokenAt: { seq: entry.seq, eventId: entry.eventId, reason } });
    if (entry.prevHash !== head) return broken('previous hash does not match the entry before it (an entry was removed, inserted or reordered)');
    if (entry.event && contentHash(entry.event) !== entry.contentHash) return broken('stored event content differs from what was sealed');
    if (entryHash(entry.prevHash, entry.contentHash) !== entry.entryHash) return broken('entry hash does not match its contents');
    head = entry.entryHash;
    count++;
  }
  return { ok: true, entries: count, head };
}
