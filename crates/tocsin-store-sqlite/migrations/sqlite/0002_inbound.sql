-- Inbound signals: the change log (deploys, merges, pushes), delivery ids already processed
-- (GitHub and Standard Webhooks redeliveries), and heartbeat runs in progress.

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    external_id  TEXT,
    summary      TEXT NOT NULL,
    service      TEXT,
    environment  TEXT,
    commit_sha   TEXT,
    branch       TEXT,
    author       TEXT,
    status       TEXT,
    url          TEXT,
    occurred_at  INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    details      TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX changes_by_time ON changes (kind, occurred_at);
CREATE INDEX changes_by_external_id ON changes (source, external_id);

CREATE TABLE seen_deliveries (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX seen_deliveries_by_time ON seen_deliveries (seen_at);

ALTER TABLE monitors ADD COLUMN run_started_at INTEGER;

CREATE INDEX incidents_open_by_group ON incidents (source, category, component) WHERE state != 'resolved';
