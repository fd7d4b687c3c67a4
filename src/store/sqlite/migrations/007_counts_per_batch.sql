-- New events and deliveries are counted once per insert batch by the writer (events.ts), not by a trigger per
-- row: a trigger program ran for every inserted row, and for ingest that was a third of the writer's work.
-- The update and delete triggers stay: status changes and retention touch rows one at a time anyway.
DROP TRIGGER event_counts_insert;
DROP TRIGGER delivery_counts_insert;
