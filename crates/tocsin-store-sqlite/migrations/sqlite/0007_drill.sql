-- The monthly drill: its durable schedule, each run's report (one row per checked item), and the
-- dates contacts confirmed their numbers through a drill's link.

-- One row while `[drill]` is configured: when the next scheduled drill is due. Advancing it and
-- inserting the drill it starts is one transaction, so a restart neither skips nor doubles a run.
CREATE TABLE drill_schedule (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    expr    TEXT NOT NULL,
    due_at  INTEGER NOT NULL
);

CREATE TABLE drills (
    id            TEXT PRIMARY KEY,
    trigger       TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    confirm_by    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    finished_at   INTEGER,
    incident_id   TEXT,
    report_sent   TEXT,
    claimed_until INTEGER
);
CREATE INDEX drills_by_time ON drills (started_at);
CREATE INDEX drills_to_close ON drills (confirm_by) WHERE finished_at IS NULL;

CREATE TABLE drill_items (
    drill_id     TEXT NOT NULL REFERENCES drills (id),
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    nonce        TEXT UNIQUE,
    confirmed_at INTEGER,
    PRIMARY KEY (drill_id, seq)
);

CREATE TABLE contact_verifications (
    contact     TEXT PRIMARY KEY,
    verified_on TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
