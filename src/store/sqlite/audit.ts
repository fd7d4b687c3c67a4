/** Audit chain sealing, retention (tombstones and checkpoints) and tombstone expiry on SQLite (hashes: src/audit/chain.ts). */
import { checkpointContentHash, eventContentHash } from '../../audit/chain.ts';
import {
  auditEntriesSql,
  checkpointChunks,
  checkpointListsSql,
  linkToChains,
  toAuditEntry,
  toEventColumns,
  withCheckpointLists,
  type ChainItem,
} from '../audit-rows.ts';
import type { PruneOptions, Store } from '../types.ts';
import { makeStatusCounts } from './counts.ts';
import { guarded } from './errors.ts';
import type { SqliteDb } from './open.ts';

interface UnsealedRow {
  id: string;
  source: string;
  payload_sha256: string;
  [column: string]: unknown;
}

export type { ChainItem };

/**
 * Appends entries (version 2) to their sources' chains and returns the positions they got; call inside a write
 * transaction (which serialises appenders across connections and processes). Used by the insert transaction,
 * which seals each new event as it stores it, by retention for its checkpoints, and by sealAudit for events
 * queued in audit_pending by earlier versions.
 */
export function makeChainAppender(db: SqliteDb): (items: readonly ChainItem[], now: number) => number[] {
  const head = db.prepare<[string], { position: number; entry_hash: string }>(
    'SELECT position, entry_hash FROM audit_entries WHERE source = ? ORDER BY position DESC LIMIT 1',
  );
  const append = db.prepare(
    `INSERT INTO audit_entries (source, position, event_id, content_hash, prev_hash, entry_hash, sealed_at, hash_version, kind)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const headOf = (source: string) => {
    const h = head.get(source);
    return h && { position: h.position, hash: h.entry_hash };
  };
  return (items, now) =>
    linkToChains(items, headOf).map((e) => {
      append.run(e.source, e.position, e.eventId, e.contentHash, e.prevHash, e.entryHash, now, e.version, e.kind);
      return e.position;
    });
}

const placeholder = () => '?';

/** Reading the chains: on the main connection. */
export function makeSqliteAudit(db: SqliteDb): Pick<Store, 'auditSources' | 'listAuditEntries'> {
  const entries = db.prepare<[string, number, number], Record<string, unknown>>(auditEntriesSql(placeholder));
  const lists = db.prepare<[string, number, number], { position: number; event_id: string }>(checkpointListsSql(placeholder));
  const listEntries = (source: string, afterPosition: number, limit: number) => {
    const page = entries.all(source, afterPosition, limit).map((r) => toAuditEntry(source, r));
    if (!page.some((e) => e.kind === 'checkpoint')) return page;
    return withCheckpointLists(page, lists.all(source, afterPosition, page[page.length - 1]!.seq));
  };
  return {
    auditSources: () => guarded(() => db.prepare('SELECT DISTINCT source FROM audit_entries ORDER BY source').pluck().all() as string[]),
    listAuditEntries: (source, afterPosition, limit) => guarded(() => listEntries(source, afterPosition, limit)),
  };
}

/** Sealing, retention and tombstone expiry, as synchronous writes run inside the writer's transaction (writes.ts). */
export function makeSqliteAuditWrites(db: SqliteDb) {
  const unsealed = db.prepare<[number], UnsealedRow & { pending_seq: number }>(
    `SELECT p.seq AS pending_seq, e.id, e.source, e.event_key, e.event_type, e.provider_created_at, e.received_at, e.secret_label,
       e.content_digest, e.headers, e.payload_sha256
     FROM audit_pending p JOIN events e ON e.id = p.event_id ORDER BY p.seq LIMIT ?`,
  );
  const unpend = db.prepare('DELETE FROM audit_pending WHERE seq = ?');
  const appendToChains = makeChainAppender(db);
  // Events inserted since 0.1 are sealed by their insert transaction; this drains what older versions queued.
  const seal = (limit: number, now: number) => {
    const rows = unsealed.all(limit);
    const items = rows.map((row) => ({
      eventId: row.id,
      source: row.source,
      contentHash: eventContentHash(toEventColumns(row), row.payload_sha256),
    }));
    appendToChains(items, now);
    for (const row of rows) unpend.run(row.pending_seq);
    return rows.length;
  };

  const prunable = db.prepare<{ before: number; source: string | null; limit: number }, { id: string; source: string }>(
    `SELECT id, source FROM events WHERE status = 'delivered' AND pruned_at IS NULL AND received_at < @before
     AND (@source IS NULL OR source = @source) AND EXISTS (SELECT 1 FROM audit_entries a WHERE a.event_id = events.id)
     ORDER BY seq LIMIT @limit`,
  );
  const counts = makeStatusCounts(db);
  const tombstone = db.prepare("UPDATE events SET payload = X'', headers = '{}', pruned_at = ? WHERE id = ?");
  // Attempts go with their deliveries (ON DELETE CASCADE).
  const dropDeliveries = db.prepare('DELETE FROM deliveries WHERE event_id = ?');
  const markPruned = db.prepare('INSERT INTO audit_pruned (event_id, source, position) VALUES (?, ?, ?)');
  // The tombstones, their deliveries' deletion and the checkpoints naming them commit together or not at all.
  const prune = (before: number, source: string | null, now: number, limit: number) => {
    const rows = prunable.all({ before, source, limit });
    for (const row of rows) {
      tombstone.run(now, row.id);
      dropDeliveries.run(row.id);
    }
    counts.events('delivered', -rows.length); // tombstones are not events
    const chunks = checkpointChunks(rows);
    const positions = appendToChains(
      chunks.map((c) => ({ eventId: '', source: c.source, contentHash: checkpointContentHash(c.source, c.ids), kind: 'checkpoint' as const })),
      now,
    );
    chunks.forEach((c, i) => {
      for (const id of c.ids) markPruned.run(id, c.source, positions[i]);
    });
    return rows.length;
  };
  const expire = db.prepare(
    'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE pruned_at IS NOT NULL AND pruned_at < ? ORDER BY pruned_at LIMIT ?)',
  );

  return {
    sealAudit: (limit: number, now: number): number => seal(limit, now),
    pruneDelivered: ({ before, source, now, limit }: PruneOptions): number => prune(before, source ?? null, now, limit),
    expireTombstones: (before: number, limit: number): number => expire.run(before, limit).changes,
  };
}
