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
