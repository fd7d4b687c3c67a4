-- Tamper-evident audit chain (src/audit/chain.ts): one chain per source, positions in sealing order.
-- Entries are never deleted, also when retention prunes their events (content_hash is then the checkpoint).
CREATE TABLE audit_entries (
  source TEXT NOT NULL,
  position INTEGER NOT NULL,
  event_id TEXT NOT NULL UNIQUE,
  content_hash TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL,
  sealed_at INTEGER NOT NULL,
  PRIMARY KEY (source, position)
);
