-- Incident roles, merging and snoozing (docs/incidents.md).
--
-- `roles` holds who is commander, communications lead and scribe as JSON
-- (`{"commander": {"id", "name", "kind"}, …}`; `{}` while nobody holds one). `merged_into` names
-- the incident a merged one ended in (its alerts moved there; both timelines are kept).
-- `snoozed_until` is when an acknowledged incident's snooze ends (epoch milliseconds).

ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN merged_into TEXT;
ALTER TABLE incidents ADD COLUMN snoozed_until INTEGER;
