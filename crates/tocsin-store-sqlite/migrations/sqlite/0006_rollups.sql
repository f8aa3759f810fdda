-- Outage intervals, check aggregates and raw-check retention (the scheduler and uptime rollups).

-- When each monitor was first checked: uptime counts only the time it was watched.
ALTER TABLE monitors ADD COLUMN first_check_at INTEGER;
UPDATE monitors SET first_check_at = (SELECT min(at) FROM check_results c WHERE c.monitor_id = monitors.id);

-- One row per outage: down from its first failed check until the check that found it up again
-- (NULL while down). Written with the monitor state in the same transaction.
CREATE TABLE outages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id TEXT NOT NULL,
    down_from  INTEGER NOT NULL,
    down_until INTEGER
);
CREATE UNIQUE INDEX outages_open ON outages (monitor_id) WHERE down_until IS NULL;
CREATE INDEX outages_by_monitor ON outages (monitor_id, down_from);
INSERT INTO outages (monitor_id, down_from)
    SELECT id, coalesce(since, last_check_at, 0) FROM monitors WHERE status = 'down';

-- Checks per monitor per minute, hour and day (UTC), folded in from the raw results once per
-- minute; raw results are then kept only `engine.keep_raw_checks`.
CREATE TABLE check_rollups (
    monitor_id  TEXT NOT NULL,
    span        TEXT NOT NULL CHECK (span IN ('minute', 'hour', 'day')),
    start       INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    failures    INTEGER NOT NULL,
    latency_sum INTEGER NOT NULL,
    latency_max INTEGER NOT NULL,
    PRIMARY KEY (monitor_id, span, start)
) WITHOUT ROWID;
CREATE INDEX check_rollups_by_start ON check_rollups (span, start);

-- Roll-up and pruning walk the raw results by time.
CREATE INDEX check_results_by_at ON check_results (at);
