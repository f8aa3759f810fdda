-- Tickets (`[tickets]`): an incident's own ticket, opened instead of paging, and one per
-- post-mortem action item. The row is written with the decision that asks for it (state
-- `requested`), together with the outbox delivery that opens it (the delivery's id is the
-- ticket's); the tracker's number and page are written when it answers, the state when the
-- tracker says it was closed or reopened.
CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    -- The action item's text when it was opened; NULL for the incident's own ticket.
    item        TEXT,
    title       TEXT NOT NULL,
    number      INTEGER,
    url         TEXT,
    state       TEXT NOT NULL CHECK (state IN ('requested', 'open', 'closed')),
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER
);
CREATE INDEX tickets_by_incident ON tickets (incident_id, created_at);
CREATE INDEX tickets_by_number ON tickets (number);
