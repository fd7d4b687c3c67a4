/**
 * The audit chain as both backends read it: the same query text (placeholders aside) and the same row mapping,
 * so an entry reads the same whichever backend sealed it. An entry comes with its event as stored now (null once
 * the row is gone or is a dedupe tombstone), the checkpoint that names it as pruned (only through a real checkpoint
 * entry), and for a checkpoint the event ids it names (filled in by withCheckpointLists).
 */
import type { AuditEntry, EventColumns } from '../audit/chain.ts';
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

/** Event ids by source, in the order given. */
export function groupBySource(rows: readonly { id: string; source: string }[]): Map<string, string[]> {
  const bySource = new Map<string, string[]>();
  for (const row of rows) (bySource.get(row.source) ?? bySource.set(row.source, []).get(row.source)!).push(row.id);
  return bySource;
}
