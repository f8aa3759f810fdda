-- Routing and noise: silences, and what holds an incident's pages back (SQLite's 0024, column
-- for column).

CREATE TABLE silences (
  id TEXT PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL
);
CREATE INDEX silences_ends_at ON silences (ends_at);

ALTER TABLE incidents ADD COLUMN held_by TEXT;
ALTER TABLE incidents ADD COLUMN route_escalation TEXT;
