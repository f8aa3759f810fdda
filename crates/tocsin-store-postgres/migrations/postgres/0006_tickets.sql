-- Tickets (`[tickets]`): the same columns as SQLite's 0022_tickets.sql, so `tocsin store copy`
-- moves them unchanged. An incident's own ticket, opened instead of paging, and one per
-- post-mortem action item; the row is written with the decision that asks for it, together
-- with the outbox delivery that opens it (the delivery's id is the ticket's).
CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    -- The action item's text when it was opened; NULL for the incident's own ticket.
    item        TEXT,
    title       TEXT NOT NULL,
    number      BIGINT,
    url         TEXT,
    state       TEXT NOT NULL CHECK (state IN ('requested', 'open', 'closed')),
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);
CREATE INDEX tickets_by_incident ON tickets (incident_id, created_at);
CREATE INDEX tickets_by_number ON tickets (number);
