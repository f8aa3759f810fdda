-- Post-mortems: one per incident that required one. The file in `postmortem.dir` is the source
-- of truth for the text; this row keeps where it is, when it is due and whether it is done.
-- The row commits with the resolution; the file is written afterwards by a worker that claims
-- unwritten rows with a lease (`written_at` IS NULL), like the outbox.
CREATE TABLE postmortems (
    incident_id   TEXT PRIMARY KEY REFERENCES incidents (id),
    -- A plain file name inside `postmortem.dir` (sanitized by the core; unique here).
    file          TEXT NOT NULL UNIQUE,
    due_at        INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    created_at    INTEGER NOT NULL,
    written_at    INTEGER,
    claimed_until INTEGER
);

CREATE INDEX postmortems_unwritten ON postmortems (incident_id) WHERE written_at IS NULL;
