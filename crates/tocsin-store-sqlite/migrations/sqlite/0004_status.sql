-- The public status page: its subscribers, their tokens, the mail sent to them, and how far
-- public updates have been handed to that mail.

-- One row per address; unsubscribing keeps the row (with `unsubscribed_at`) so a later
-- subscribe starts a fresh double opt-in instead of reviving the old consent.
CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    locale          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    unsubscribed_at INTEGER,
    -- When the last confirmation was asked for: a public form must not become a way to flood
    -- someone's inbox.
    confirm_sent_at INTEGER
);

-- Links in subscriber mail: `selector` finds the row, and only the SHA-256 of the secret half
-- is kept, compared in constant time. A database leak gives no working link.
CREATE TABLE subscriber_tokens (
    selector      TEXT PRIMARY KEY,
    verifier_hash TEXT NOT NULL,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('confirm', 'unsubscribe')),
    created_at    INTEGER NOT NULL
);

-- The subscribers' outbox: claimed with a lease like deliveries; its id is the Message-ID.
CREATE TABLE subscriber_mail (
    id              TEXT PRIMARY KEY,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id),
    kind            TEXT NOT NULL CHECK (kind IN ('confirm', 'update')),
    event_seq       INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX subscriber_mail_by_due ON subscriber_mail (status, next_attempt_at);
CREATE UNIQUE INDEX subscriber_mail_once ON subscriber_mail (subscriber_id, event_seq)
    WHERE event_seq IS NOT NULL;

-- The last timeline event already handed to subscriber mail. It starts at the current end of
-- the timeline: updates posted before subscriptions existed are never mailed.
CREATE TABLE status_mail_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO status_mail_cursor (id, last_seq) SELECT 1, COALESCE(max(seq), 0) FROM timeline_events;

-- The page reads the last 90 days of incidents and their public updates.
CREATE INDEX incidents_by_opened_at ON incidents (opened_at);
CREATE INDEX incidents_by_resolved_at ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX timeline_updates ON timeline_events (incident_id, seq) WHERE kind = 'update';
