-- The weekly review digest (`postmortem.review`): its durable schedule and each digest sent.

-- One row while `postmortem.review` is configured: when the next digest is due. Advancing it and
-- inserting the digest it starts is one transaction, so a restart neither skips nor doubles one.
CREATE TABLE review_schedule (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    rule    TEXT NOT NULL,
    due_at  INTEGER NOT NULL
);

-- One row per period. `result` is NULL until the send was tried (`sent` or the error); a digest
-- left unsent by a crash is claimed again once its lease (`claimed_until`) ends.
CREATE TABLE review_digests (
    id            TEXT PRIMARY KEY,
    due_at        INTEGER NOT NULL UNIQUE,
    channel       TEXT NOT NULL,
    text          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    claimed_until INTEGER,
    sent_at       INTEGER,
    result        TEXT
);
CREATE INDEX review_digests_unsent ON review_digests (created_at) WHERE result IS NULL;
