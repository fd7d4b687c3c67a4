-- The combined schema of the SQLite migrations 001-003, in PostgreSQL types: times are bigint milliseconds,
-- payloads bytea (raw bytes, never re-encoded), headers the exact JSON text we stored (the audit hash reads it).

-- Events: unique per (source, event_key); seq gives receipt order for pagination and per-key ordering.
-- toast_tuple_target: keep typical webhook payloads (a few KB) inline rather than in TOAST.
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  source text NOT NULL,
  event_key text NOT NULL,
  event_type text NOT NULL,
  provider_created_at bigint,
  received_at bigint NOT NULL,
  payload bytea NOT NULL,
  headers text NOT NULL,
  payload_sha256 text NOT NULL,
  secret_label text,
  status text NOT NULL DEFAULT 'received',
  UNIQUE (source, event_key)
) WITH (toast_tuple_target = 4080);
CREATE INDEX events_by_received ON events (received_at DESC, seq DESC);
CREATE INDEX events_by_type ON events (event_type, received_at DESC, seq DESC);
CREATE INDEX events_by_status ON events (status, received_at DESC, seq DESC);

CREATE TABLE deliveries (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  destination text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempt_count integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  manual boolean NOT NULL DEFAULT false,
  ordering_key text,
  lease_owner text,
  lease_expires_at bigint,
  last_error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  -- Scheduled attempts made since the schedule (re)started; a bulk retry restarts it at 0 while attempt_count
  -- keeps counting every attempt, and a manual replay leaves it alone.
  schedule_step integer NOT NULL DEFAULT 0,
  -- What a manual replay interrupted, restored when the replay attempt fails (outcome 'restore').
  replay_prev_status text,
  replay_prev_next_attempt_at bigint
);
-- Claiming scans one destination's due rows in (next_attempt_at, seq) order.
CREATE INDEX deliveries_due ON deliveries (destination, next_attempt_at, seq) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_ordering ON deliveries (destination, ordering_key, seq)
  WHERE ordering_key IS NOT NULL AND status IN ('pending', 'failed');
CREATE INDEX deliveries_by_status ON deliveries (status, destination);
-- max_in_flight counts live leases per destination; only leased rows are in this index.
CREATE INDEX deliveries_leased ON deliveries (destination, lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_by_created ON deliveries (created_at DESC, seq DESC);

CREATE TABLE attempts (
  id text PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt_number integer NOT NULL,
  started_at bigint NOT NULL,
  duration_ms bigint NOT NULL,
  status_code integer,
  error text,
  response_snippet text,
  manual boolean NOT NULL DEFAULT false
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, started_at);
CREATE INDEX attempts_by_started ON attempts (started_at);

CREATE TABLE destination_states (
  name text PRIMARY KEY,
  disabled boolean NOT NULL DEFAULT false,
  disabled_reason text,
  last_success_at bigint,
  last_failure_at bigint,
  failure_streak integer NOT NULL DEFAULT 0
);

-- Tamper-evident audit chain (src/audit/chain.ts): one chain per source, positions in sealing order.
-- Entries are never deleted, also when retention prunes their events (content_hash is then the checkpoint).
CREATE TABLE audit_entries (
  source text NOT NULL,
  position bigint NOT NULL,
  event_id text NOT NULL UNIQUE,
  content_hash text NOT NULL,
  prev_hash text NOT NULL,
  entry_hash text NOT NULL,
  sealed_at bigint NOT NULL,
  PRIMARY KEY (source, position)
);
