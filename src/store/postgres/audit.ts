/** Audit chain sealing, retention (tombstones and checkpoints) and tombstone expiry on PostgreSQL (hashes: src/audit/chain.ts). */
import { checkpointContentHash, eventContentHash, HASH_VERSION } from '../../audit/chain.ts';
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
import type { Db, Query } from './pool.ts';

/**
 * Each listed source's last entry, by one backward step on the primary key. (The DISTINCT ON it replaces read
 * and sorted every entry of the source, 38 ms at 26k entries and on every round: sealing slowed as chains grew.)
 */
export const CHAIN_HEADS = `SELECT s.source, h.position, h.entry_hash FROM unnest($1::text[]) AS s (source)
  CROSS JOIN LATERAL (SELECT position, entry_hash FROM audit_entries a WHERE a.source = s.source ORDER BY position DESC LIMIT 1) h`;

// Its statements are prepared once per connection: the sealer runs them every few milliseconds under load.
/**
 * Appends entries to their sources' chains; returns the positions they got. Call inside a transaction that holds
 * the audit lock (lockChains): the sealer and retention both append, one at a time across processes.
 */
async function appendToChains(q: Query, items: ChainItem[], now: number): Promise<number[]> {
  const heads = new Map<string, { position: number; hash: string }>();
  const found = await q<{ source: string; position: number; entry_hash: string }>(CHAIN_HEADS, [[...new Set(items.map((i) => i.source))]], 'filab_chain_heads');
  for (const h of found.rows) heads.set(h.source, { position: h.position, hash: h.entry_hash });
  const entries = linkToChains(items, (source) => heads.get(source));
  await q(
    `INSERT INTO audit_entries (source, position, event_id, content_hash, prev_hash, entry_hash, hash_version, kind, sealed_at)
     SELECT source, position, event_id, content_hash, prev_hash, entry_hash, hash_version, kind, $9
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[])
       AS t (source, position, event_id, content_hash, prev_hash, entry_hash, hash_version, kind)`,
    [
      entries.map((e) => e.source),
      entries.map((e) => e.position),
      entries.map((e) => e.eventId),
      entries.map((e) => e.contentHash),
      entries.map((e) => e.prevHash),
      entries.map((e) => e.entryHash),
      entries.map((e) => e.version),
      entries.map((e) => e.kind),
      now,
    ],
    'filab_audit_append',
  );
  return entries.map((e) => e.position);
}

/** One appender at a time across processes: each appends after the head it reads. */
const lockChains = (q: Query) => q("SELECT pg_advisory_xact_lock(hashtext('filab:audit'))", [], 'filab_audit_lock');

async function seal(q: Query, limit: number, now: number): Promise<number> {
  await lockChains(q);
  // Ingest queued each event with its content hash; only rows queued by older versions need the event itself.
  const { rows } = await q<{ pending_seq: number; id: string; source: string | null; content_hash: string | null; hash_version: number }>(
    'SELECT seq AS pending_seq, event_id AS id, source, content_hash, hash_version FROM audit_pending ORDER BY seq LIMIT $1',
    [limit],
    'filab_audit_pending',
  );
  const legacy = rows.filter((r) => r.content_hash === null || r.source === null);
  if (legacy.length) {
    const events = await q<Record<string, unknown>>(
      `SELECT id, source, event_key, event_type, provider_created_at, received_at, secret_label, content_digest, headers, payload_sha256
       FROM events WHERE id = ANY($1::text[])`,
      [legacy.map((r) => r.id)],
    );
    const byId = new Map(events.rows.map((e) => [e.id as string, e]));
    for (const row of legacy) {
      const e = byId.get(row.id)!;
      row.source = e.source as string;
      row.hash_version = HASH_VERSION;
      row.content_hash = eventContentHash(toEventColumns(e), e.payload_sha256 as string);
    }
  }
  if (!rows.length) return 0;
  await appendToChains(
    q,
    rows.map((row) => ({ source: row.source!, eventId: row.id, contentHash: row.content_hash!, version: row.hash_version, kind: 'event' })),
    now,
  );
  await q('DELETE FROM audit_pending WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.pending_seq)], 'filab_audit_unpend');
  return rows.length;
}

/**
 * Retention in one transaction: lock the prunable rows in id order (completeAttempt locks events in id order too),
 * make them tombstones (the UPDATE re-checks `delivered` on each locked row), delete their deliveries (attempts
 * cascade), and append checkpoints naming them.
 */
async function prune(q: Query, { before, source, now, limit }: PruneOptions): Promise<number> {
  await lockChains(q);
  const { rows } = await q<{ id: string; source: string }>(
    // The pick is a CTE, run once: as an IN subquery, a plan that rescans it (nested loop) skips the rows this
    // statement already updated and picks more, pruning past the limit.
    `WITH picked AS MATERIALIZED (SELECT id FROM events WHERE status = 'delivered' AND pruned_at IS NULL AND received_at < $1
       AND ($2::text IS NULL OR source = $2) AND EXISTS (SELECT 1 FROM audit_entries a WHERE a.event_id = events.id)
       ORDER BY id LIMIT $3 FOR UPDATE)
     UPDATE events SET payload = '', headers = '{}', pruned_at = $4 FROM picked
     WHERE events.id = picked.id AND status = 'delivered' RETURNING events.id, events.source`,
    [before, source ?? null, limit, now],
  );
  if (!rows.length) return 0;
  await q('DELETE FROM deliveries WHERE event_id = ANY($1::text[])', [rows.map((r) => r.id)]);
  const checkpoints = checkpointChunks(rows);
  const positions = await appendToChains(
    q,
    checkpoints.map((c) => ({ source: c.source, eventId: '', contentHash: checkpointContentHash(c.source, c.ids), kind: 'checkpoint' })),
    now,
  );
  const named = checkpoints.flatMap((c, i) => c.ids.map((id) => ({ id, source: c.source, position: positions[i]! })));
  await q('INSERT INTO audit_pruned (event_id, source, position) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])', [
    named.map((n) => n.id),
    named.map((n) => n.source),
    named.map((n) => n.position),
  ]);
  return rows.length;
}

const placeholder = (n: number) => `$${n}`;

export function makePostgresAudit(db: Db): Pick<Store, 'sealAudit' | 'auditSources' | 'listAuditEntries' | 'pruneDelivered' | 'expireTombstones'> {
  return {
    sealAudit: (limit, now) => db.tx((q) => seal(q, limit, now)),
    auditSources: async () => (await db.query<{ source: string }>('SELECT DISTINCT source FROM audit_entries ORDER BY source')).rows.map((r) => r.source),
    listAuditEntries: async (source, afterPosition, limit) => {
      const { rows } = await db.query(auditEntriesSql(placeholder), [source, afterPosition, limit]);
      const page = rows.map((r) => toAuditEntry(source, r));
      if (!page.some((e) => e.kind === 'checkpoint')) return page;
      const lists = await db.query<{ position: number; event_id: string }>(checkpointListsSql(placeholder), [
        source,
        afterPosition,
        page[page.length - 1]!.seq,
      ]);
      return withCheckpointLists(page, lists.rows);
    },
    pruneDelivered: (options) => db.tx((q) => prune(q, options)),
    expireTombstones: async (before, limit) => {
      const result = await db.query(
        'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE pruned_at IS NOT NULL AND pruned_at < $1 ORDER BY pruned_at LIMIT $2)',
        [before, limit],
      );
      return result.rowCount ?? 0;
    },
  };
}
