-- Event key prefixes are read through the unique (source, event_key) index every insert maintains anyway, one
-- range per source, instead of a key index of their own: event keys arrive in random order, so each insert wrote a
-- random page of that index to the WAL (and the checkpoint wrote it again), a sixth of ingest's page writes.
-- event_sources lists the sources that have events, for a key search that names no source (reader-events.ts); the
-- writer adds a batch's sources as it inserts them (events.ts). A source stays listed after its events are gone:
-- its range is then empty.
CREATE TABLE event_sources (source TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO event_sources (source) SELECT DISTINCT source FROM events;
DROP INDEX events_live_by_key;
