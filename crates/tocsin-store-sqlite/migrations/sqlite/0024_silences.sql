-- Routing and noise: silences, and what holds an incident's pages back.
--
-- A silence's matchers are kept as the JSON object they were written as (label → value or
-- `~regex`), compiled when read. Expiring a silence moves `ends_at` to that moment, so the row
-- stays as a record of what was silenced and when.
--
-- `incidents.held_by` names what held an incident's pages back when it opened (`silence:<id>`
-- or `incident:<id>`, for a SEV-1 on the same component), `NULL` when it paged as usual;
-- `route_escalation` is the escalation policy a label route chose at opening.

CREATE TABLE silences (
  id TEXT PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL
);
CREATE INDEX silences_ends_at ON silences (ends_at);

ALTER TABLE incidents ADD COLUMN held_by TEXT;
ALTER TABLE incidents ADD COLUMN route_escalation TEXT;
