/** Audit chain sealing and retention on SQLite (see src/audit/chain.ts for the hashes). */
import { contentHashWithDigest, entryHash, GENESIS } from '../../audit/chain.ts';
import { toAuditEntry } from '../rows.ts';
import type { Store } from '../types.ts';
import { guarded } from './errors.ts';
import type { SqliteDb } from './open.ts';

interface UnsealedRow {
  id: string;
  source: string;
  event_key: string;
  received_at: number;
  headers: string;
  payload_sha256: string;
}

/** One entry to append: the event and its content hash (see src/audit/chain.ts). */
export interface ChainItem {
  eventId: string;
  source: string;
  contentHash: string;
}

/**
 * Appends entries to their sources' chains; call inside a write transaction (which serialises appenders
 * across connections and processes). Used by the insert transaction, which seals each new event as it stores
 * it, and by sealAudit for events queued in audit_pending by earlier versions.
 */
export function makeChainAppender(db: SqliteDb): (items: readonly ChainItem[], now: number) => void {
  const head = db.prepare<[string], { position: number; entry_hash: string }>(
    'SELECT position, entry_hash FROM audit_entries WHERE source = ? ORDER BY position DESC LIMIT 1',
  );
  const append = db.prepare(
    'INSERT INTO audit_entries (source, position, event_id, content_hash, prev_hash, entry_hash, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return (items, now) => {
    const heads = new Map<string, { position: number; hash: string }>();
    for (const item of items) {
      let current = heads.get(item.source);
      if (!current) {
        const h = head.get(item.source);
        current = h ? { position: h.position, hash: h.entry_hash } : { position: 0, hash: GENESIS };
      }
      const next = { position: current.position + 1, hash: entryHash(current.hash, item.contentHash) };
      append.run(item.source, next.position, item.eventId, item.contentHash, current.hash, next.hash, now);
      heads.set(item.source, next);
    }
  };
}

export function makeSqliteAudit(db: SqliteDb): Pick<Store, 'sealAudit' | 'auditSources' | 'listAuditEntries' | 'pruneDelivered'> {
  const unsealed = db.prepare<[number], UnsealedRow & { pending_seq: number }>(
    `SELECT p.seq AS pending_seq, e.id, e.source, e.event_key, e.received_at, e.headers, e.payload_sha256
     FROM audit_pending p JOIN events e ON e.id = p.event_id ORDER BY p.seq LIMIT ?`,
  );
  const unpend = db.prepare('DELETE FROM audit_pending WHERE seq = ?');
  const appendToChains = makeChainAppender(db);
  // Events inserted since 0.1 are sealed by their insert transaction; this drains what older versions queued.
  const seal = db.transaction((limit: number, now: number) => {
    const rows = unsealed.all(limit);
    const items = rows.map((row) => ({
      eventId: row.id,
      source: row.source,
      contentHash: contentHashWithDigest(
        { source: row.source, eventKey: row.event_key, receivedAt: row.received_at, headers: JSON.parse(row.headers) as Record<string, string> },
        row.payload_sha256,
      ),
    }));
    appendToChains(items, now);
    for (const row of rows) unpend.run(row.pending_seq);
    return rows.length;
  });

  const entries = db.prepare<[string, number, number], Record<string, unknown>>(
    `SELECT a.position, a.event_id, a.content_hash, a.prev_hash, a.entry_hash, e.event_key, e.received_at, e.headers, e.payload
     FROM audit_entries a LEFT JOIN events e ON e.id = a.event_id
     WHERE a.source = ? AND a.position > ? ORDER BY a.position LIMIT ?`,
  );
  const prune = db.prepare(
    `DELETE FROM events WHERE status = 'delivered' AND received_at < @before AND (@source IS NULL OR source = @source)
     AND EXISTS (SELECT 1 FROM audit_entries a WHERE a.event_id = events.id)`,
  );

  return {
    sealAudit: (limit, now) => guarded(() => seal.immediate(limit, now)),
    auditSources: () => guarded(() => db.prepare('SELECT DISTINCT source FROM audit_entries ORDER BY source').pluck().all() as string[]),
    listAuditEntries: (source, afterPosition, limit) => guarded(() => entries.all(source, afterPosition, limit).map((r) => toAuditEntry(source, r))),
    pruneDelivered: (before, source) => guarded(() => prune.run({ before, source: source ?? null }).changes),
  };
}
