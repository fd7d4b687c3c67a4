/** Audit chain sealing and retention on PostgreSQL (see src/audit/chain.ts for the hashes). */
import { contentHashWithDigest, entryHash, GENESIS } from '../../audit/chain.ts';
import { toAuditEntry } from '../rows.ts';
import type { Store } from '../types.ts';
import type { Db, Query } from './pool.ts';

/**
 * Each listed source's last entry, by one backward step on the primary key. (The DISTINCT ON it replaces read
 * and sorted every entry of the source, 38 ms at 26k entries and on every round: sealing slowed as chains grew.)
 */
export const CHAIN_HEADS = `SELECT s.source, h.position, h.entry_hash FROM unnest($1::text[]) AS s (source)
  CROSS JOIN LATERAL (SELECT position, entry_hash FROM audit_entries a WHERE a.source = s.source ORDER BY position DESC LIMIT 1) h`;

// Its statements are prepared once per connection: the sealer runs them every few milliseconds under load.
async function seal(q: Query, limit: number, now: number): Promise<number> {
  // One sealer at a time across processes: each appends after the head it reads.
  await q("SELECT pg_advisory_xact_lock(hashtext('filab:audit'))", [], 'filab_audit_lock');
  // Ingest queued each event with its content hash; only rows queued by older versions need the event itself.
  const { rows } = await q<{ pending_seq: number; id: string; source: string | null; content_hash: string | null }>(
    'SELECT seq AS pending_seq, event_id AS id, source, content_hash FROM audit_pending ORDER BY seq LIMIT $1',
    [limit],
    'filab_audit_pending',
  );
  const legacy = rows.filter((r) => r.content_hash === null || r.source === null);
  if (legacy.length) {
    const events = await q<{ id: string; source: string; event_key: string; received_at: number; headers: string; payload_sha256: string }>(
      'SELECT id, source, event_key, received_at, headers, payload_sha256 FROM events WHERE id = ANY($1::text[])',
      [legacy.map((r) => r.id)],
    );
    const byId = new Map(events.rows.map((e) => [e.id, e]));
    for (const row of legacy) {
      const e = byId.get(row.id)!;
      row.source = e.source;
      row.content_hash = contentHashWithDigest(
        { source: e.source, eventKey: e.event_key, receivedAt: e.received_at, headers: JSON.parse(e.headers) as Record<string, string> },
        e.payload_sha256,
      );
    }
  }
  if (!rows.length) return 0;
  const heads = new Map<string, { position: number; hash: string }>();
  const sources = [...new Set(rows.map((r) => r.source!))];
  const found = await q<{ source: string; position: number; entry_hash: string }>(CHAIN_HEADS, [sources], 'filab_chain_heads');
  for (const h of found.rows) heads.set(h.source, { position: h.position, hash: h.entry_hash });
  const entries = rows.map((row) => {
    const source = row.source!;
    const current = heads.get(source) ?? { position: 0, hash: GENESIS };
    const next = { position: current.position + 1, hash: entryHash(current.hash, row.content_hash!) };
    heads.set(source, next);
    return { source, position: next.position, eventId: row.id, content: row.content_hash!, prev: current.hash, hash: next.hash };
  });
  await q(
    `INSERT INTO audit_entries (source, position, event_id, content_hash, prev_hash, entry_hash, sealed_at)
     SELECT source, position, event_id, content_hash, prev_hash, entry_hash, $7
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t (source, position, event_id, content_hash, prev_hash, entry_hash)`,
    [entries.map((e) => e.source), entries.map((e) => e.position), entries.map((e) => e.eventId), entries.map((e) => e.content), entries.map((e) => e.prev), entries.map((e) => e.hash), now],
    'filab_audit_append',
  );
  await q('DELETE FROM audit_pending WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.pending_seq)], 'filab_audit_unpend');
  return rows.length;
}

export function makePostgresAudit(db: Db): Pick<Store, 'sealAudit' | 'auditSources' | 'listAuditEntries' | 'pruneDelivered'> {
  return {
    sealAudit: (limit, now) => db.tx((q) => seal(q, limit, now)),
    auditSources: async () => (await db.query<{ source: string }>('SELECT DISTINCT source FROM audit_entries ORDER BY source')).rows.map((r) => r.source),
    listAuditEntries: async (source, afterPosition, limit) => {
      const { rows } = await db.query(
        `SELECT a.position, a.event_id, a.content_hash, a.prev_hash, a.entry_hash, e.event_key, e.received_at, e.headers, e.payload
         FROM audit_entries a LEFT JOIN events e ON e.id = a.event_id
         WHERE a.source = $1 AND a.position > $2 ORDER BY a.position LIMIT $3`,
        [source, afterPosition, limit],
      );
      return rows.map((r) => toAuditEntry(source, r));
    },
    pruneDelivered: async (before, source) => {
      const result = await db.query(
        `DELETE FROM events WHERE status = 'delivered' AND received_at < $1 AND ($2::text IS NULL OR source = $2)
         AND EXISTS (SELECT 1 FROM audit_entries a WHERE a.event_id = events.id)`,
        [before, source ?? null],
      );
      return result.rowCount ?? 0;
    },
  };
}
