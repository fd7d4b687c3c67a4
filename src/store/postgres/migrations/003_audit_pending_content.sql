-- Ingest computes each event's audit content hash (it has every input at hand) and queues it with the event, so
-- the sealer no longer joins back to events, parses headers or hashes anything but the chain itself: that join
-- and hashing had cost about 40% of PostgreSQL ingest throughput. Rows queued before this migration have NULL
-- here and are sealed the old way.
ALTER TABLE audit_pending ADD COLUMN source TEXT, ADD COLUMN content_hash TEXT;
