-- Replays of signed content under a fresh unsigned id: unique per (source, content digest) as well as per
-- (source, event key), both decided by the insert itself. Rows stored before this have NULL (never a conflict).
ALTER TABLE events ADD COLUMN content_digest text, ADD COLUMN pruned_at bigint;
CREATE UNIQUE INDEX events_by_digest ON events (source, content_digest) WHERE content_digest IS NOT NULL;
-- Dedupe tombstones: retention empties a delivered event's payload and headers, deletes its deliveries and sets
-- pruned_at; the row keeps its keys for retention.dedupe_days, then is deleted. Reads skip rows with pruned_at.
CREATE INDEX events_pruned ON events (pruned_at) WHERE pruned_at IS NOT NULL;
-- Audit chain version 2 (src/audit/chain.ts): entries sealed (or queued by processes) before this stay version 1.
-- kind 'checkpoint': a retention checkpoint, naming the events in audit_pruned that carry its position.
ALTER TABLE audit_entries ADD COLUMN hash_version smallint NOT NULL DEFAULT 1, ADD COLUMN kind text NOT NULL DEFAULT 'event';
ALTER TABLE audit_pending ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;
CREATE TABLE audit_pruned (
  event_id text PRIMARY KEY,
  source text NOT NULL,
  position bigint NOT NULL
);
CREATE INDEX audit_pruned_by_checkpoint ON audit_pruned (source, position);
