/**
 * Tamper-evident audit chain, one per source. Each stored event gets an entry, and each retention run a
 * checkpoint entry naming the events it pruned:
 *   content_hash = SHA-256 of the event's covered columns (version 2, below) or of a checkpoint's event ids
 *   entry_hash   = SHA-256 over (previous entry_hash of the source, content_hash), with the version mixed in
 * Entries are sealed in receipt order: by SQLite in the insert transaction, by PostgreSQL shortly after insert
 * (off the ingest hot path, so concurrent ingest processes never queue on a chain head). Both compute the same
 * hashes, from the same functions here.
 *
 * Version 2 (every entry sealed since 0.3) covers every column that never changes legitimately: source, event
 * key, event type, provider created at, received at, secret label, content digest, payload digest, headers
 * digest. Not `status`: it moves with every delivery attempt. An event whose row is gone (or was made a dedupe
 * tombstone) must be named by a later retention checkpoint, or verification fails naming the event.
 * Version 1 (older entries) covers source, event key, received at, headers and payload, and a missing row is
 * taken as pruned (then nothing could tell a deletion from pruning). The version is part of the entry hash, so
 * turning a version-2 entry into a version-1 one to dodge the stricter rules breaks the chain at that entry.
 */
import { hashHex, hashPartsHex } from '../digest.ts';

export const GENESIS = '0'.repeat(64);
/** The version every newly sealed entry gets. */
export const HASH_VERSION = 2;
/** A checkpoint names at most this many events (a prune of more writes several). */
export const CHECKPOINT_MAX_EVENTS = 500;

/** An event's columns as stored (headers as the exact JSON text stored). */
export interface EventColumns {
  source: string;
  eventKey: string;
  eventType: string;
  providerCreatedAt: number | null;
  receivedAt: number;
  secretLabel: string | null;
  contentDigest: string | null;
  headersJson: string;
}

/** An event as stored now, payload included. */
export interface AuditContent extends EventColumns {
  payload: Buffer;
}

/**
 * Version 2 content hash: SHA-256 over
 *   field("filab.audit.event.v2") field(source) field(event key) field(event type) opt(provider created at)
 *   field(received at) opt(secret label) opt(content digest) field(payload sha256 hex) field(headers sha256 hex)
 * where field(v) = `<UTF-8 byte length of v>:<v>`, opt(v) = `-` when null else field(v) (a field starts with a
 * digit, so `-` is unambiguous), integers in decimal, headers digest = SHA-256 hex of the stored headers JSON text.
 * Ingest computes it from the payload's SHA-256 it has anyway; verification hashes the stored payload.
 */
export function eventContentHash(event: EventColumns, payloadSha256Hex: string): string {
  const text =
    EVENT_V2_TAG +
    field(event.source) +
    field(event.eventKey) +
    field(event.eventType) +
    optional(event.providerCreatedAt === null ? null : String(event.providerCreatedAt)) +
    field(String(event.receivedAt)) +
    optional(event.secretLabel) +
    optional(event.contentDigest) +
    field(payloadSha256Hex) +
    field(hashHex('sha256', event.headersJson));
  return hashHex('sha256', text);
}

/**
 * A retention checkpoint's content hash: SHA-256 over
 *   field("filab.audit.checkpoint.v2") field(source) field(count) field(id)... with the ids sorted (UTF-16 order).
 */
export function checkpointContentHash(source: string, prunedIds: readonly string[]): string {
  const ids = [...prunedIds].sort();
  let text = field('filab.audit.checkpoint.v2') + field(source) + field(String(ids.length));
  for (const id of ids) text += field(id);
  return hashHex('sha256', text);
}

/** Version 1 (entries sealed before 0.3): length-prefixed fields, headers sorted by name, then the payload digest. */
export function legacyContentHash(
  content: Pick<EventColumns, 'source' | 'eventKey' | 'receivedAt'> & { headers: Record<string, string> },
  payloadSha256Hex: string,
): string {
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

const EVENT_V2_TAG = field('filab.audit.event.v2');

function optional(value: string | null): string {
  return value === null ? '-' : field(value);
}

/** Version 1: SHA-256(`<previous>:<content>`); version 2: SHA-256(`v2:<previous>:<content>`). */
export function entryHash(previous: string, content: string, version: number = HASH_VERSION): string {
  return hashHex('sha256', version === 1 ? `${previous}:${content}` : `v${version}:${previous}:${content}`);
}

export interface AuditEntry {
  seq: number;
  source: string;
  /** The event's id, or for a checkpoint its own id (`chk_<position>_<source>`). */
  eventId: string;
  kind: 'event' | 'checkpoint';
  hashVersion: number;
  contentHash: string;
  prevHash: string;
  entryHash: string;
  /** The event as stored now; null when its row is gone or is a dedupe tombstone. */
  event: AuditContent | null;
  /** Position of the retention checkpoint that names this event as pruned, or null. */
  prunedBy: number | null;
  /** A checkpoint's pruned event ids (empty for an event entry). */
  pruned: string[];
}

export type ChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: { seq: number; eventId: string; reason: string } };

/** Why an entry does not hold, or null when it does (its link to the one before is checked by the caller). */
function entryProblem(entry: AuditEntry): string | null {
  if (entry.kind === 'checkpoint') {
    if (entry.hashVersion < 2) return 'a retention checkpoint with an old hash version';
    if (checkpointContentHash(entry.source, entry.pruned) !== entry.contentHash) return 'retention checkpoint names other events than were sealed';
  } else if (entry.event) {
    const payloadSha = hashHex('sha256', entry.event.payload);
    const content =
      entry.hashVersion === 1
        ? legacyContentHash({ ...entry.event, headers: JSON.parse(entry.event.headersJson) as Record<string, string> }, payloadSha)
        : eventContentHash(entry.event, payloadSha);
    if (content !== entry.contentHash) return 'stored event content differs from what was sealed';
  } else if (entry.hashVersion >= 2 && (entry.prunedBy === null || entry.prunedBy <= entry.seq)) {
    return 'event row is missing and no retention checkpoint names it (deleted outside retention)';
  }
  if (entryHash(entry.prevHash, entry.contentHash, entry.hashVersion) !== entry.entryHash) return 'entry hash does not match its contents';
  return null;
}

/**
 * Walk one source's entries in order; report the first broken link. `previous` continues an earlier walk.
 * A pruned event's prunedBy is read through the checkpoint's own list (the store joins it), and that checkpoint,
 * later in the chain, is verified over exactly that list: a forged "pruned" mark breaks the checkpoint.
 */
export function verifyEntries(entries: Iterable<AuditEntry>, previous = GENESIS, counted = 0): ChainVerdict {
  let head = previous;
  let count = counted;
  for (const entry of entries) {
    const reason =
      entry.prevHash !== head ? 'previous hash does not match the entry before it (an entry was removed, inserted or reordered)' : entryProblem(entry);
    if (reason) return { ok: false, entries: count, brokenAt: { seq: entry.seq, eventId: entry.eventId, reason } };
    head = entry.entryHash;
    count++;
  }
  return { ok: true, entries: count, head };
}
