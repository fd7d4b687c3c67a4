-- schedule_step: scheduled attempts made since the schedule (re)started; a bulk retry restarts it at 0 while
-- attempt_count keeps counting every attempt, and a manual replay leaves it alone.
ALTER TABLE deliveries ADD COLUMN schedule_step INTEGER NOT NULL DEFAULT 0;
-- What a manual replay interrupted, restored when the replay attempt fails (outcome 'restore').
ALTER TABLE deliveries ADD COLUMN replay_prev_status TEXT;
ALTER TABLE deliveries ADD COLUMN replay_prev_next_attempt_at INTEGER;
-- max_in_flight counts live leases per destination; only leased rows are in this index.
CREATE INDEX deliveries_leased ON deliveries (destination, lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX deliveries_by_created ON deliveries (created_at DESC, seq DESC);
CREATE INDEX attempts_by_started ON attempts (started_at);
