-- Operator reads (admin API, /events, dashboard) served by indexes, so none sorts or scans the events table.
-- Listing indexes hold live events only (tombstones are never listed) in listing order, one per filter that can
-- lead; the other filter columns follow, so a combination of filters is checked in the index without reading rows.
-- pruned_at (always NULL there) closes each one: SQLite still checks the partial index's condition on every entry,
-- and with the column in the index it does so without reading the row (counts then read the index only).
DROP INDEX events_by_received;
DROP INDEX events_by_type;
DROP INDEX events_by_status;
CREATE INDEX events_live_by_received ON events (received_at DESC, seq DESC, source, event_type, status, pruned_at) WHERE pruned_at IS NULL;
CREATE INDEX events_live_by_source ON events (source, received_at DESC, seq DESC, event_type, status, pruned_at) WHERE pruned_at IS NULL;
-- Source and type together: a type of one source filtered by another finds nothing at once.
CREATE INDEX events_live_by_source_type ON events (source, event_type, received_at DESC, seq DESC, status, pruned_at) WHERE pruned_at IS NULL;
CREATE INDEX events_live_by_type ON events (event_type, received_at DESC, seq DESC, source, status, pruned_at) WHERE pruned_at IS NULL;
-- Also serves retention (delivered, live, received before a time).
CREATE INDEX events_live_by_status ON events (status, received_at DESC, seq DESC, source, event_type, pruned_at) WHERE pruned_at IS NULL;
-- Event key prefixes, as a range of keys.
CREATE INDEX events_live_by_key ON events (event_key, pruned_at) WHERE pruned_at IS NULL;
-- Delivery listings (dead-letter view) by status, destination or both, newest first; the old (status, destination)
-- index is a prefix of the new one.
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_by_status_destination ON deliveries (status, destination, created_at DESC, seq DESC);
CREATE INDEX deliveries_by_status_created ON deliveries (status, created_at DESC, seq DESC);
CREATE INDEX deliveries_by_destination ON deliveries (destination, created_at DESC, seq DESC);
-- Counts by status for stats and the health view, kept by triggers in the transaction that changes a row: counting
-- index entries takes time that grows with the tables; reading these does not.
CREATE TABLE event_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE delivery_counts (destination TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (destination, status)) WITHOUT ROWID;
INSERT INTO event_counts (status, n) SELECT status, count(*) FROM events WHERE pruned_at IS NULL GROUP BY status;
INSERT INTO delivery_counts (destination, status, n) SELECT destination, status, count(*) FROM deliveries GROUP BY destination, status;
-- Tombstones are not events: only live rows count.
CREATE TRIGGER event_counts_insert AFTER INSERT ON events WHEN NEW.pruned_at IS NULL BEGIN
  INSERT INTO event_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_counts_update AFTER UPDATE OF status, pruned_at ON events
  WHEN OLD.status IS NOT NEW.status OR (OLD.pruned_at IS NULL) <> (NEW.pruned_at IS NULL) BEGIN
  UPDATE event_counts SET n = n - 1 WHERE status = OLD.status AND OLD.pruned_at IS NULL;
  INSERT INTO event_counts (status, n) SELECT NEW.status, 1 WHERE NEW.pruned_at IS NULL ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER event_counts_delete AFTER DELETE ON events WHEN OLD.pruned_at IS NULL BEGIN
  UPDATE event_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries BEGIN
  INSERT INTO delivery_counts (destination, status, n) VALUES (NEW.destination, NEW.status, 1)
    ON CONFLICT (destination, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER delivery_counts_update AFTER UPDATE OF status ON deliveries WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE delivery_counts SET n = n - 1 WHERE destination = OLD.destination AND status = OLD.status;
  INSERT INTO delivery_counts (destination, status, n) VALUES (NEW.destination, NEW.status, 1)
    ON CONFLICT (destination, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN
  UPDATE delivery_counts SET n = n - 1 WHERE destination = OLD.destination AND status = OLD.status;
END;
