-- Bounded check history (issue 14): smaller rows, fewer of them. Each monitor gets an integer
-- key; raw results and aggregates are WITHOUT ROWID tables keyed by (monitor key, time), with no
-- second index (roll-up and pruning seek each monitor's key range); per-minute aggregates become
-- five-minute ones. Everything kept before is kept in the new shape; the housekeeping job then
-- prunes it to the new retention (docs/operations.md, "History and retention").

-- Monitors: the same columns, plus `key`, the integer the history tables refer to. Monitors are
-- deactivated, never deleted, so a key is never reused.
CREATE TABLE monitors_keyed (
    key             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    active          INTEGER NOT NULL DEFAULT 1,
    status          TEXT NOT NULL,
    since           INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    last_check_at   INTEGER,
    last_latency_ms INTEGER,
    last_error      TEXT,
    next_check_at   INTEGER NOT NULL,
    claimed_until   INTEGER,
    run_started_at  INTEGER,
    first_check_at  INTEGER,
    claimed_by      TEXT
);
INSERT INTO monitors_keyed (id, active, status, since, failures, failing_since, last_check_at,
                            last_latency_ms, last_error, next_check_at, claimed_until,
                            run_started_at, first_check_at, claimed_by)
    SELECT id, active, status, since, failures, failing_since, last_check_at, last_latency_ms,
           last_error, next_check_at, claimed_until, run_started_at, first_check_at, claimed_by
    FROM monitors ORDER BY id;
-- Results of an id with no monitor row (never written by tocsin: every checked monitor was
-- registered first) keep a key of their own, inactive, rather than being lost.
INSERT INTO monitors_keyed (id, active, status, next_check_at)
    SELECT DISTINCT monitor_id, 0, 'pending', 0 FROM check_results
    WHERE monitor_id NOT IN (SELECT id FROM monitors_keyed);
INSERT INTO monitors_keyed (id, active, status, next_check_at)
    SELECT DISTINCT monitor_id, 0, 'pending', 0 FROM check_rollups
    WHERE monitor_id NOT IN (SELECT id FROM monitors_keyed);
DROP TABLE monitors;
ALTER TABLE monitors_keyed RENAME TO monitors;
CREATE INDEX monitors_by_due ON monitors (active, next_check_at);

-- Raw results: about 25 bytes a row instead of 87 (the text id, the rowid and two indexes gone).
-- `n` tells apart two results of one monitor in the same millisecond (0, then 1, 2 …).
CREATE TABLE check_results_keyed (
    monitor    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    status     INTEGER,
    latency_ms INTEGER NOT NULL,
    error      TEXT,
    PRIMARY KEY (monitor, at, n)
) WITHOUT ROWID;
INSERT INTO check_results_keyed (monitor, at, n, ok, status, latency_ms, error)
    SELECT m.key, c.at, row_number() OVER (PARTITION BY c.monitor_id, c.at ORDER BY c.seq) - 1,
           c.ok, c.status, c.latency_ms, c.error
    FROM check_results c JOIN monitors m ON m.id = c.monitor_id
    ORDER BY m.key, c.at, c.seq;
DROP TABLE check_results;
ALTER TABLE check_results_keyed RENAME TO check_results;

-- Aggregates: `span` is the width in minutes (5, 60, 1440), UTC-aligned. The old per-minute
-- rows fold exactly into five-minute ones (five whole minutes each).
CREATE TABLE check_rollups_keyed (
    monitor     INTEGER NOT NULL,
    span        INTEGER NOT NULL CHECK (span IN (5, 60, 1440)),
    start       INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    failures    INTEGER NOT NULL,
    latency_sum INTEGER NOT NULL,
    latency_max INTEGER NOT NULL,
    PRIMARY KEY (monitor, span, start)
) WITHOUT ROWID;
INSERT INTO check_rollups_keyed (monitor, span, start, checks, failures, latency_sum, latency_max)
    SELECT m.key, 5, r.start - (r.start % 300000) AS bucket, sum(r.checks), sum(r.failures),
           sum(r.latency_sum), max(r.latency_max)
    FROM check_rollups r JOIN monitors m ON m.id = r.monitor_id
    WHERE r.span = 'minute'
    GROUP BY m.key, bucket
    ORDER BY m.key, bucket;
INSERT INTO check_rollups_keyed (monitor, span, start, checks, failures, latency_sum, latency_max)
    SELECT m.key, CASE r.span WHEN 'hour' THEN 60 ELSE 1440 END, r.start, r.checks, r.failures,
           r.latency_sum, r.latency_max
    FROM check_rollups r JOIN monitors m ON m.id = r.monitor_id
    WHERE r.span IN ('hour', 'day')
    ORDER BY m.key, r.span, r.start;
DROP TABLE check_rollups;
ALTER TABLE check_rollups_keyed RENAME TO check_rollups;
