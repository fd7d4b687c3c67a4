-- Status changes of events and deliveries are counted by the writes that make them (counts.ts), not by triggers:
-- an UPDATE that fires a trigger journals every page it touches first. The delete triggers stay (retention).
DROP TRIGGER event_counts_update;
DROP TRIGGER delivery_counts_update;
