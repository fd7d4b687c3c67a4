-- Operator reads (admin API, /events, dashboard) served by indexes, so none sorts or scans the events table.
-- Listing indexes hold live events only (tombstones are never listed) in listing order, one per filter that can
-- lead; the other filter columns are included, so the planner can check a combination without visiting rows.
DROP INDEX events_by_received;
DROP INDEX events_by_type;
DROP INDEX events_by_status;
CREATE INDEX events_live_by_received ON events (received_at DESC, seq DESC) INCLUDE (source, event_type, status) WHERE pruned_at IS NULL;
CREATE INDEX events_live_by_source ON events (source, received_at DESC, seq DESC) INCLUDE (event_type, status) WHERE pruned_at IS NULL;
-- Source and type together: a type of one source filtered by another finds nothing at once.
CREATE INDEX events_live_by_source_type ON events (source, event_type, received_at DESC, seq DESC) INCLUDE (status) WHERE pruned_at IS NULL;
CREATE INDEX events_live_by_type ON events (event_type, received_at DESC, seq DESC) INCLUDE (source, status) WHERE pruned_at IS NULL;
-- Also serves retention (delivered, live, received before a time).
CREATE INDEX events_live_by_status ON events (status, received_at DESC, seq DESC) INCLUDE (source, event_type) WHERE pruned_at IS NULL;
-- Event key prefixes, as a range of keys in code point order (the C collation), whatever the database's collation.
CREATE INDEX events_live_by_key ON events ((event_key COLLATE "C")) WHERE pruned_at IS NULL;
-- Delivery listings (dead-letter view) by status, destination or both, newest first; the old (status, destination)
-- index is a prefix of the new one.
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_by_status_destination ON deliveries (status, destination, created_at DESC, seq DESC);
CREATE INDEX deliveries_by_status_created ON deliveries (status, created_at DESC, seq DESC);
CREATE INDEX deliveries_by_destination ON deliveries (destination, created_at DESC, seq DESC);
-- Counts by status for stats and the health view, kept by statement triggers in the transaction that changes rows:
-- counting index entries takes time that grows with the tables; reading these does not.
-- Each server process (backend) adds to rows of its own, so concurrent writers never wait on a shared counter row
-- (nor deadlock on two); a read sums a few rows per process that ever wrote.
CREATE TABLE event_counts (status text NOT NULL, backend int NOT NULL, n bigint NOT NULL, PRIMARY KEY (status, backend));
CREATE TABLE delivery_counts (destination text NOT NULL, status text NOT NULL, backend int NOT NULL, n bigint NOT NULL,
  PRIMARY KEY (destination, status, backend));
INSERT INTO event_counts SELECT status, 0, count(*) FROM events WHERE pruned_at IS NULL GROUP BY status;
INSERT INTO delivery_counts SELECT destination, status, 0, count(*) FROM deliveries GROUP BY destination, status;

-- Tombstones are not events: only live rows count. An UPDATE counts its old rows out and its new rows in.
CREATE FUNCTION count_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO event_counts AS c SELECT status, pg_backend_pid(), count(*) FROM new_rows WHERE pruned_at IS NULL GROUP BY status ORDER BY status
      ON CONFLICT (status, backend) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO event_counts AS c SELECT status, pg_backend_pid(), -count(*) FROM old_rows WHERE pruned_at IS NULL GROUP BY status ORDER BY status
      ON CONFLICT (status, backend) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO event_counts AS c
      SELECT status, pg_backend_pid(), sum(d) FROM (
        SELECT status, 1 AS d FROM new_rows WHERE pruned_at IS NULL UNION ALL SELECT status, -1 FROM old_rows WHERE pruned_at IS NULL) changed
      GROUP BY status HAVING sum(d) <> 0 ORDER BY status
      ON CONFLICT (status, backend) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER event_counts_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_events();
CREATE TRIGGER event_counts_update AFTER UPDATE ON events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_events();
CREATE TRIGGER event_counts_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_events();

CREATE FUNCTION count_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO delivery_counts AS c SELECT destination, status, pg_backend_pid(), count(*) FROM new_rows GROUP BY destination, status
      ORDER BY destination, status ON CONFLICT (destination, status, backend) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO delivery_counts AS c SELECT destination, status, pg_backend_pid(), -count(*) FROM old_rows GROUP BY destination, status
      ORDER BY destination, status ON CONFLICT (destination, status, backend) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO delivery_counts AS c
      SELECT destination, status, pg_backend_pid(), sum(d) FROM (
        SELECT destination, status, 1 AS d FROM new_rows UNION ALL SELECT destination, status, -1 FROM old_rows) changed
      GROUP BY destination, status HAVING sum(d) <> 0 ORDER BY destination, status
      ON CONFLICT (destination, status, backend) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deliveries();
CREATE TRIGGER delivery_counts_update AFTER UPDATE ON deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deliveries();
CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deliveries();
-- TRUNCATE removes rows without row or statement DELETE triggers: it empties the counts with them.
CREATE FUNCTION clear_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'events' THEN DELETE FROM event_counts; ELSE DELETE FROM delivery_counts; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER event_counts_truncate AFTER TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION clear_counts();
CREATE TRIGGER delivery_counts_truncate AFTER TRUNCATE ON deliveries FOR EACH STATEMENT EXECUTE FUNCTION clear_counts();
