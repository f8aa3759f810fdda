-- tocsin's first schema. Times are INTEGER milliseconds since the Unix epoch (UTC), so that due
-- work is found with one indexed comparison.

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'resolved')),
    category        TEXT,
    component       TEXT,
    summary         TEXT,
    runbook         TEXT,
    source          TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    resolved_at     INTEGER,
    respond_by      INTEGER NOT NULL,
    alert_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX incidents_by_state ON incidents (state, id);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    dedup_key   TEXT NOT NULL,
    source      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    summary     TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    resolved_at INTEGER,
    count       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_by_key ON alerts (dedup_key, first_seen);
CREATE INDEX alerts_by_incident ON alerts (incident_id);

CREATE TABLE timeline_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX timeline_by_incident ON timeline_events (incident_id, seq);

-- Every accepted signal, as received: the record that a 2xx meant "on disk".
CREATE TABLE signals (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    source      TEXT NOT NULL,
    dedup_key   TEXT NOT NULL,
    status      TEXT NOT NULL,
    body        TEXT NOT NULL
);

-- Durable timers; `claimed_until` is the lease of the worker firing it.
CREATE TABLE timers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    incident_id   TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    claimed_until INTEGER
);
CREATE INDEX timers_by_due ON timers (due_at);
CREATE INDEX timers_by_incident ON timers (incident_id, kind);

-- The outbox: one row per message per channel; its id is the idempotency key sent along.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    incident_id     TEXT,
    channel         TEXT NOT NULL,
    recipient       TEXT,
    notice          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX deliveries_by_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id, created_at);

CREATE TABLE delivery_attempts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    at          INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, seq);

-- One row per configured monitor: its state and when it is next due (claimed with a lease).
CREATE TABLE monitors (
    id              TEXT PRIMARY KEY,
    active          INTEGER NOT NULL DEFAULT 1,
    status          TEXT NOT NULL,
    since           INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    last_check_at   INTEGER,
    last_latency_ms INTEGER,
    last_error      TEXT,
    next_check_at   INTEGER NOT NULL,
    claimed_until   INTEGER
);
CREATE INDEX monitors_by_due ON monitors (active, next_check_at);

CREATE TABLE check_results (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id TEXT NOT NULL,
    at         INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    status     INTEGER,
    latency_ms INTEGER NOT NULL,
    error      TEXT
);
CREATE INDEX check_results_by_monitor ON check_results (monitor_id, at);

-- Acknowledge links work once: their nonce lands here in the acknowledging transaction.
CREATE TABLE used_tokens (
    nonce   TEXT PRIMARY KEY,
    used_at INTEGER NOT NULL
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
