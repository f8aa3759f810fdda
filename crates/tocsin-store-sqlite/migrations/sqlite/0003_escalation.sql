-- On-call and escalation: the ladder's position on each incident, one page per
-- (incident, step, round, contact, method), and schedule overrides.

ALTER TABLE incidents ADD COLUMN escalation TEXT;
ALTER TABLE incidents ADD COLUMN escalation_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalation_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalation_due_at INTEGER;
ALTER TABLE incidents ADD COLUMN escalation_ladder INTEGER NOT NULL DEFAULT 0;

-- NULL for channel notices (each is its own row); set for pages to people, so a page is
-- written at most once however often its decision is retried.
ALTER TABLE deliveries ADD COLUMN idempotency_key TEXT;
CREATE INDEX deliveries_by_recipient ON deliveries (recipient, channel, sent_at) WHERE recipient IS NOT NULL;
CREATE UNIQUE INDEX deliveries_by_idempotency_key ON deliveries (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE overrides (
    id          TEXT PRIMARY KEY,
    schedule    TEXT NOT NULL,
    contact     TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX overrides_by_time ON overrides (schedule, ends_at);

-- Deciding on a signal reads only its own alerts and counts the incident's other firing ones;
-- grouping looks for an alert seen lately. Both stay fast in an incident holding a storm.
CREATE INDEX alerts_by_incident_status ON alerts (incident_id, status, dedup_key);
CREATE INDEX alerts_by_incident_last_seen ON alerts (incident_id, last_seen);
