#!/usr/bin/env python3
"""Reads what the target saw during one measured window of benches/probes/run.sh and prints one
JSON object: probes that arrived, per-monitor arrival counts, schedule lag, fresh connections.

The target is nginx: its HTTP access log (`$msec $uri $connection $connection_requests $status`)
and its TCP (stream) log (`$msec $server_addr $remote_addr $status`). Monitor i of tocsin asks
for `/m/<i>` or connects to 127.1.<i/200>.<i%200+1>; blackbox_exporter's target i is `/b/<i>` or
127.2.… — so the two never mix, and every arrival names its monitor.

Schedule lag of an arrival at t = how long after the tool's own schedule for that monitor it
reached the target: (t − A_i) mod INTERVAL, where A_i is any scheduled time of monitor i:
  * tocsin: `monitors.next_check_at` from its SQLite database, read after it stopped (each
    monitor is due at next_check_at − k·INTERVAL as long as it never fell a whole interval
    behind, which the arrival counts would show);
  * blackbox_exporter: the scrape driver's own schedule, T0 + i·INTERVAL/N (scrape.py).
A result in the last half interval is read as early (negative). The lag covers everything between
the schedule and the target logging the request: waiting to be picked up, connecting, and for
HTTP the request itself (nginx logs at the end of the request; its `$msec` has 1 ms resolution).
For tocsin it also reads `check_results.at` (when tocsin started the check) for the same window,
which splits the lag into "started late" and "on the wire".
"""
import argparse
import json
import sqlite3
from collections import Counter


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def monitor_of(kind, tool, fields):
    """The monitor index an access-log line is for, or None when it is not this tool's."""
    if kind == "http":
        prefix = "/m/" if tool == "tocsin" else "/b/"
        uri = fields[1]
        return int(uri[len(prefix):]) if uri.startswith(prefix) else None
    octets = fields[1].split(".")
    want = "1" if tool == "tocsin" else "2"
    if len(octets) != 4 or octets[0] != "127" or octets[1] != want:
        return None
    return int(octets[2]) * 200 + int(octets[3]) - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--kind", choices=["http", "tcp"], required=True)
    ap.add_argument("--tool", choices=["tocsin", "blackbox"], required=True)
    ap.add_argument("--from", dest="w0", type=float, required=True)
    ap.add_argument("--to", dest="w1", type=float, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--interval", type=float, required=True)
    ap.add_argument("--db", help="tocsin's SQLite database (anchors and its own check times)")
    ap.add_argument("--driver", help="scrape.py's summary (anchors for blackbox_exporter)")
    a = ap.parse_args()
    interval = a.interval

    anchors = {}
    own_starts = []
    if a.db:
        db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
        for mid, nxt in db.execute("SELECT id, next_check_at FROM monitors WHERE active = 1"):
            if mid.startswith("m") and mid[1:].isdigit():
                anchors[int(mid[1:])] = nxt / 1000.0
        window = (int(a.w0 * 1000), int(a.w1 * 1000))
        try:  # bounded history (migration 0016): results keyed by the monitor's integer key
            rows = db.execute("SELECT m.id, c.at FROM check_results c JOIN monitors m "
                              "ON m.key = c.monitor WHERE c.at >= ? AND c.at < ?",
                              window).fetchall()
        except sqlite3.OperationalError:  # a binary from before it: results name the monitor
            rows = db.execute("SELECT monitor_id, at FROM check_results WHERE at >= ? AND at < ?",
                              window).fetchall()
        for mid, at in rows:
            anchor = anchors.get(int(mid[1:])) if mid[1:].isdigit() else None
            if anchor is not None:
                own_starts.append(lag_of(at / 1000.0, anchor, interval))
    if a.driver:
        drv = json.load(open(a.driver))
        for i in range(a.n):
            anchors[i] = drv["t0"] + i * drv["interval"] / drv["n"]

    per_monitor = Counter()
    lags, statuses = [], Counter()
    fresh = reused = 0
    with open(a.log) as log:
        for line in log:
            fields = line.split()
            if len(fields) < 4:
                continue
            t = float(fields[0])
            if not a.w0 <= t < a.w1:
                continue
            i = monitor_of(a.kind, a.tool, fields)
            if i is None:
                continue
            per_monitor[i] += 1
            statuses[fields[-1]] += 1
            if a.kind == "http":
                if fields[3] == "1":
                    fresh += 1
                else:
                    reused += 1
            if i in anchors:
                lags.append(lag_of(t, anchors[i], interval))

    probes = sum(per_monitor.values())
    counts = [per_monitor.get(i, 0) for i in range(a.n)]
    ms = lambda v: None if v is None else round(v * 1000, 1)
    out = {
        "probes": probes,
        "expected": round(a.n * (a.w1 - a.w0) / interval),
        "monitors_seen": len(per_monitor),
        "per_monitor_min": min(counts) if counts else 0,
        "per_monitor_max": max(counts) if counts else 0,
        "statuses": dict(statuses),
        "lag_ms_p50": ms(pct(lags, 50)),
        "lag_ms_p90": ms(pct(lags, 90)),
        "lag_ms_p99": ms(pct(lags, 99)),
        "lag_ms_max": ms(max(lags)) if lags else None,
        "lag_ms_min": ms(min(lags)) if lags else None,
        "lagged_arrivals": len(lags),
    }
    if a.kind == "http":
        out["fresh_connections"] = fresh
        out["reused_connections"] = reused
    if a.db:
        out["own_checks"] = len(own_starts)
        out["own_start_lag_ms_p50"] = ms(pct(own_starts, 50))
        out["own_start_lag_ms_p99"] = ms(pct(own_starts, 99))
        out["own_start_lag_ms_max"] = ms(max(own_starts)) if own_starts else None
    print(json.dumps(out))


def lag_of(t, anchor, interval):
    lag = (t - anchor) % interval
    return lag - interval if lag > interval / 2 else lag


if __name__ == "__main__":
    main()
