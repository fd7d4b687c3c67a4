-- Events: unique per (source, event_key); seq gives receipt order for pagination and per-key ordering.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  event_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  provider_created_at INTEGER,
  received_at INTEGER NOT NULL,
  payload BLOB NOT NULL,
  headers TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  secret_label TEXT,
  status TEXT NOT NULL DEFAULT 'received',
  UNIQUE (source, event_key)
);
CREATE INDEX events_by_received ON events (received_at DESC, seq DESC);
CREATE INDEX events_by_type ON events (event_type, received_at DESC, seq DESC);
CREATE INDEX events_by_status ON events (status, received_at DESC, seq DESC);

CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  destination TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  manual INTEGER NOT NULL DEFAULT 0,
  ordering_key TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_ordering ON deliveries (destination, ordering_key, seq)
  WHERE ordering_key IS NOT NULL AND status IN ('pending', 'failed');
CREATE INDEX deliveries_by_status ON deliveries (status, destination);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt_number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_snippet TEXT,
  manual INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, started_at);

CREATE TABLE destination_states (
  name TEXT PRIMARY KEY,
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  failure_streak INTEGER NOT NULL DEFAULT 0
);
