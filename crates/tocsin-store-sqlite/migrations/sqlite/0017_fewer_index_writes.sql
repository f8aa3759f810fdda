-- Fewer index writes per alert: every alert that joins an incident writes an alert row and a
-- timeline event, and each index on those tables is one more B-tree insert and one more page in
-- the commit's WAL frames.
-- `alerts_by_incident` is a prefix of `alerts_by_incident_status` (and of
-- `alerts_by_incident_last_seen`): every lookup by incident is served as well without it.
DROP INDEX alerts_by_incident;
-- The incident-and-kind index served one read, an incident's checklist ticks; a partial index
-- over the ticks alone serves it and is written only when someone ticks a step.
DROP INDEX timeline_by_incident_kind;
CREATE INDEX timeline_ticks ON timeline_events (incident_id, seq) WHERE kind = 'checklist_ticked';
