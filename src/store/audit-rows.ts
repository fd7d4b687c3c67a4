/**
 * The audit chain as both backends read it: the same query text (placeholders aside) and the same row mapping,
 * so an entry reads the same whichever backend sealed it. An entry comes with its event as stored now (null once
 * the row is gone or is a dedupe tombstone), the checkpoint that names it as pruned (only through a real checkpoint
 * entry), and for a checkpoint the event ids it names (filled in by withCheckpointLists). Appending is shared too:
 * linkToChains computes the entries, the backends only read heads and write rows.
 */
import { CHECKPOINT_MAX_EVENTS, entryHash, GENESIS, HASH_VERSION, type AuditEntry, type EventColumns } from '../audit/chain.ts';
import type { Row } from './rows.ts';

/** The entries of source $1 after position $2, at most $3; `param(n)` writes the backend's placeholder n. */
export function auditEntriesSql(param: (n: 1 | 2 | 3) => string): string {
  return `SELECT a.position, a.event_id, a.kind, a.hash_version, a.content_hash, a.prev_hash, a.entry_hash,
      e.id AS live_id, e.pruned_at, e.source AS event_source, e.event_key, e.event_type, e.provider_created_at, e.received_at,
      e.secret_label, e.content_digest, e.headers, e.payload, c.position AS pruned_by
    FROM audit_entries a
    LEFT JOIN events e ON e.id = a.event_id
    LEFT JOIN audit_pruned p ON p.event_id = a.event_id
    LEFT JOIN audit_entries c ON c.source = p.source AND c.position = p.position AND c.kind = 'checkpoint'
    WHERE a.source = ${param(1)} AND a.position > ${param(2)} ORDER BY a.position LIMIT ${param(3)}`;
}

/** The pruned ids of source $1's checkpoints in positions ($2, $3]. */
export function checkpointListsSql(param: (n: 1 | 2 | 3) => string): string {
  return `SELECT position, event_id FROM audit_pruned WHERE source = ${param(1)} AND position > ${param(2)} AND position <= ${param(3)}`;
}

/** An events row's audit-covered columns (headers as the stored text). */
export function toEventColumns(r: Row): EventColumns {
  return {
    source: r.source as string,
    eventKey: r.event_key as string,
    eventType: r.event_type as string,
    providerCreatedAt: r.provider_created_at as number | null,
    receivedAt: r.received_at as number,
    secretLabel: r.secret_label as string | null,
    contentDigest: r.content_digest as string | null,
    headersJson: r.headers as string,
  };
}

export function toAuditEntry(source: string, r: Row): AuditEntry {
  const live = r.live_id !== null && r.live_id !== undefined && r.pruned_at === null;
  return {
    seq: Number(r.position),
    source,
    eventId: r.event_id as string,
    kind: r.kind === 'checkpoint' ? 'checkpoint' : 'event',
    hashVersion: Number(r.hash_version),
    contentHash: r.content_hash as string,
    prevHash: r.prev_hash as string,
    entryHash: r.entry_hash as string,
    event: live ? { ...toEventColumns({ ...r, source: r.event_source }), payload: r.payload as Buffer } : null,
    prunedBy: r.pruned_by === null || r.pruned_by === undefined ? null : Number(r.pruned_by),
    pruned: [],
  };
}

/** Gives each checkpoint of a page its event ids, from the rows of checkpointListsSql over the page's positions. */
export function withCheckpointLists(entries: AuditEntry[], lists: { position: unknown; event_id: string }[]): AuditEntry[] {
  const byPosition = new Map<number, string[]>();
  for (const r of lists) {
    const position = Number(r.position);
    const ids = byPosition.get(position) ?? byPosition.set(position, []).get(position)!;
    ids.push(r.event_id);
  }
  for (const entry of entries) if (entry.kind === 'checkpoint') entry.pruned = byPosition.get(entry.seq) ?? [];
  return entries;
}

/** A checkpoint entry's own id: unique across sources, never an event id (those are `msg_...`). */
export function checkpointId(source: string, position: number): string {
  return `chk_${position}_${source}`;
}

/** Pruned events by source, in the order given, cut into checkpoint-sized lists: one checkpoint entry each. */
export function checkpointChunks(rows: readonly { id: string; source: string }[]): { source: string; ids: string[] }[] {
  const bySource = new Map<string, string[]>();
  for (const row of rows) (bySource.get(row.source) ?? bySource.set(row.source, []).get(row.source)!).push(row.id);
  const chunks: { source: string; ids: string[] }[] = [];
  for (const [source, ids] of bySource) {
    for (let at = 0; at < ids.length; at += CHECKPOINT_MAX_EVENTS) chunks.push({ source, ids: ids.slice(at, at + CHECKPOINT_MAX_EVENTS) });
  }
  return chunks;
}

/** One entry to append: an event or a retention checkpoint, with its content hash (see src/audit/chain.ts). */
export interface ChainItem {
  eventId: string;
  source: string;
  contentHash: string;
  kind?: 'event' | 'checkpoint';
  /** Hash version of contentHash (entries queued by older versions); default the current one. */
  version?: number;
}

/** An entry ready to store: its position after its source's head, and the link hashes. */
export interface ChainLink {
  source: string;
  eventId: string;
  contentHash: string;
  kind: 'event' | 'checkpoint';
  version: number;
  position: number;
  prevHash: string;
  entryHash: string;
}

/**
 * Link items onto their sources' chains, in order: each after the previous item of its source, the first after the
 * head `headOf` reads from the database (once per source; call inside the appenders' lock, which serialises them
 * across connections and processes). A checkpoint's id names its position.
 */
export function linkToChains(items: readonly ChainItem[], headOf: (source: string) => { position: number; hash: string } | undefined): ChainLink[] {
  const heads = new Map<string, { position: number; hash: string }>();
  return items.map((item) => {
    const current = heads.get(item.source) ?? headOf(item.source) ?? { position: 0, hash: GENESIS };
    const version = item.version ?? HASH_VERSION;
    const next = { position: current.position + 1, hash: entryHash(current.hash, item.contentHash, version) };
    heads.set(item.source, next);
    const kind = item.kind ?? 'event';
    const eventId = kind === 'checkpoint' ? checkpointId(item.source, next.position) : item.eventId;
    return {
      source: item.source,
      eventId,
      contentHash: item.contentHash,
      kind,
      version,
      position: next.position,
      prevHash: current.hash,
      entryHash: next.hash,
    };
  });
}
