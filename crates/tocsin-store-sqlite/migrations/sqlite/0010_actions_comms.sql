-- Mitigation actions and customer communications.

-- Every run of an `[[action]]`: who asked, when, what ran and how it ended. The audit trail
-- beside the timeline's `action_requested` / `action_succeeded` / `action_failed` events.
CREATE TABLE action_runs (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    action_id    TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    -- What was run, rendered: the argv (JSON array) or "METHOD url".
    what         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    -- The exit status of a command or the HTTP status of a request.
    exit_status  INTEGER,
    output       TEXT,
    finished_at  INTEGER
);
CREATE INDEX action_runs_by_incident ON action_runs (incident_id, requested_at);

-- One customer notice per (incident, customer-facing channel, event), with its text rendered
-- per locale ({"ar": {"subject", "body"}, …}). A draft waits for a person; an approved one has
-- had its mail queued.
CREATE TABLE comms (
    id             TEXT PRIMARY KEY,
    incident_id    TEXT NOT NULL REFERENCES incidents (id),
    channel        TEXT NOT NULL,
    event          TEXT NOT NULL,
    audience       TEXT NOT NULL CHECK (audience IN ('subscribers', 'affected')),
    default_locale TEXT NOT NULL,
    texts          TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'approved')),
    created_at     INTEGER NOT NULL,
    approved_by    TEXT,
    approved_at    INTEGER
);
CREATE INDEX comms_by_incident ON comms (incident_id, created_at);

-- The customers named on an incident (`audience = "affected"`).
CREATE TABLE incident_affected (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    email       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, email)
);

-- The outbox of customer mail: one row per approved notice per recipient.
CREATE TABLE comms_mail (
    id              TEXT PRIMARY KEY,
    comms_id        TEXT NOT NULL REFERENCES comms (id),
    recipient       TEXT NOT NULL,
    locale          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    sent_at         INTEGER,
    UNIQUE (comms_id, recipient)
);
CREATE INDEX comms_mail_by_due ON comms_mail (status, next_attempt_at);
