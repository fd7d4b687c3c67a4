-- Events waiting to be sealed into the audit chain. The insert statement adds a row per new event and the
-- sealer removes it, so finding unsealed events never scans the whole events table.
CREATE TABLE audit_pending (
  seq BIGINT PRIMARY KEY,
  event_id TEXT NOT NULL
);
INSERT INTO audit_pending (seq, event_id)
  SELECT e.seq, e.id FROM events e WHERE NOT EXISTS (SELECT 1 FROM audit_entries a WHERE a.event_id = e.id);
