#!/usr/bin/env python3
"""Renders the results of benches/probes/run.sh (one JSON object per line, one per kind × tool)
as the markdown section appended to BENCHMARKS.md: the method, the side-by-side table, the goals
with pass/MISS, and the details behind them. The notes that explain a miss are written by a person
underneath."""
import argparse
import json
import subprocess
import time

ap = argparse.ArgumentParser()
for flag in ("--results", "--bin", "--source", "--monitors", "--interval", "--warmup",
             "--duration", "--keepalive", "--clk-tck", "--nginx", "--blackbox"):
    ap.add_argument(flag, required=True)
ap.add_argument("--label", default="")
a = ap.parse_args()
rows = [json.loads(line) for line in open(a.results) if line.strip()]
N = int(a.monitors)
INTERVAL = int(a.interval)
RSS_GOAL_MIB = 64 + 2 * N / 1024  # 64 MB + 2 KB per monitor (MiB, KiB)
LAG_GOAL_MS = 100
CPU_GOAL = 1 / 5  # of blackbox_exporter's CPU per probe


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"


def row(kind, tool):
    return next((r for r in rows if r.get("kind") == kind and r.get("tool") == tool), None)


def measured(r):
    return r is not None and "skipped" not in r and r.get("probes", 0) > 0


def cpu_us(r):
    return (r["user_s"] + r["sys_s"]) * 1e6 / r["probes"]


def cpu_cell(r):
    n = r["probes"]
    return f"{cpu_us(r):.1f} ({r['user_s'] * 1e6 / n:.1f} user + {r['sys_s'] * 1e6 / n:.1f} sys)"


def mib(kib):
    return f"{kib / 1024:.1f}"


def num(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f}"


def verdict(ok):
    return "**pass**" if ok else "**MISS**"


NAMES = {"tocsin": "tocsin", "blackbox": "blackbox_exporter"}
KIND_NAMES = {"http": "HTTP", "tcp": "TCP"}
kinds = [k for k in ("http", "tcp") if any(r.get("kind") == k for r in rows)]

cpu_model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1") or "?"
out = []
w = out.append
w("")
w(f"## Probes: {N:,} monitors every {INTERVAL} s, tocsin vs blackbox_exporter — run of "
  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
w("")
if a.label:
    w(f"**{a.label}.**")
    w("")
w("### Method")
w("")
w(f"- **Machine:** {sh('nproc')} CPUs ({cpu_model}), Linux {sh('uname -r')}; memory:")
w("")
w("  ```")
for line in sh("free -h").splitlines():
    w("  " + line)
w("  ```")
version = sh(f"'{a.bin}' --version") or "tocsin ?"
w(f"- **Versions:** {version} ({a.source}; SQLite bundled); {a.blackbox}; "
  f"nginx {a.nginx} (Debian); {sh('python3 --version')} (scrape driver, analysis).")
w(f"- **Command:** `MONITORS={N} DURATION={a.duration} benches/probes/run.sh` (builds "
  "`cargo build --release -p tocsin`, installs `nginx`, `libnginx-mod-stream` and "
  "`prometheus-blackbox-exporter` with apt-get when missing, then everything below). "
  "One measurement = one tool and one probe kind in a fresh process (tocsin: a fresh SQLite "
  f"file), started, left {a.warmup} s to warm up (one interval: every monitor has been probed once), "
  f"then measured for a window of {a.duration} s, then stopped. The tools take turns (tocsin HTTP, "
  "blackbox_exporter HTTP, tocsin TCP, blackbox_exporter TCP) against the same nginx, so neither "
  "slows the other. Before each measurement the script waits until no cargo/rustc/chromium/"
  "`scripts/test`/other `tocsin serve` runs and the CPUs are ≥ 85 % idle; a window during which "
  "other processes used more than 15 % of a CPU is repeated (2 attempts, the least disturbed kept).")
w(f"- **Target:** one nginx (`worker_processes 1`) on loopback. HTTP: every path answers `200 ok`; "
  "its access log records `$msec $uri $connection $connection_requests $status` (buffered, "
  "flushed every second). tocsin's monitor *i* asks for `/m/<i>`, blackbox_exporter's target *i* "
  "for `/b/<i>`, so arrivals per monitor and per tool can be read from the log. TCP: nginx's "
  "stream module listens on the port on every address and closes each connection at once; "
  "tocsin's monitor *i* connects to its own loopback address `127.1.<i/200>.<i%200+1>`, "
  "blackbox_exporter's to `127.2.…`, and the stream log records `$msec $server_addr`. "
  + ("HTTP keep-alive is on (nginx default): a tool may reuse a connection, and the table says how "
     "many probes came on a fresh one." if a.keepalive == "1" else
     "HTTP keep-alive is off (`keepalive_timeout 0`): nginx closes every connection after its "
     "answer, so every probe is a new connection."))
w(f"- **tocsin:** `tocsin --log-format json serve --config <generated> --listen 127.0.0.1:0 "
  f"--database sqlite://<tmp>/t.db`, defaults otherwise (SQLite WAL, `synchronous=FULL`). The "
  f"config (passes `tocsin check`) has {N:,} monitors `m0`… of `type = \"http\"` (`url = "
  f"\"http://127.0.0.1:<port>/m/<i>\"`) or `type = \"tcp\"` (`host = \"127.1.x.y:<port>\"`), "
  f"`interval = \"{INTERVAL}s\"`, `timeout = \"10s\"`, a severity with no `notify` (pages nobody; "
  "nothing goes down anyway). tocsin spreads the monitors over the interval itself (a stable "
  "per-monitor offset).")
w(f"- **blackbox_exporter:** `prometheus-blackbox-exporter --config.file=<generated> "
  f"--web.listen-address=127.0.0.1:<port> --log.level=warn`, modules `http_2xx` (prober http) and "
  "`tcp_connect` (prober tcp), `timeout: 10s`, `preferred_ip_protocol: ip4`. It probes when "
  "scraped, so `benches/probes/scrape.py` scrapes it as Prometheus would: "
  f"`GET /probe?module=http_2xx&target=http://127.0.0.1:<port>/b/<i>` (or `module=tcp_connect&"
  f"target=127.2.x.y:<port>`) for each of the {N:,} targets once every {INTERVAL} s, target *i* due "
  f"at T0 + i·{INTERVAL}/{N} s + k·{INTERVAL} s, over keep-alive connections to the exporter, with "
  "the `X-Prometheus-Scrape-Timeout-Seconds: 10` header; an answer counts as a success when it "
  "has `probe_success 1`. (Python asyncio, standard library only; its CPU is harness CPU.)")
w(f"- **Probes measured** = arrivals at nginx in the window for that tool's monitors (expected: "
  f"{N:,} × window ÷ {INTERVAL} s). **CPU per probe** = Δ(utime+stime) of the tool's process from "
  f"`/proc/<pid>/stat` over the window (CLK_TCK = {a.clk_tck}) ÷ probes measured. For "
  "blackbox_exporter that includes answering the scrape (as it does in production); the "
  "driver's and nginx's CPU are not counted. **RSS** = the largest `VmRSS` sampled every 5 s in "
  "the window (peak = `VmHWM` at the end).")
w("- **Schedule lag** of an arrival at *t* = how long after the tool's own schedule for that "
  f"monitor the probe reached nginx: (*t* − *A*ᵢ) mod {INTERVAL} s, *A*ᵢ being any scheduled time "
  "of monitor *i* — for tocsin its `monitors.next_check_at` read from the database after it "
  "stopped (monitor *i* is due at `next_check_at` − k·interval as long as it never fell a whole "
  "interval behind), for blackbox_exporter the driver's schedule. A result in the last half of "
  "the interval would count as early (negative). It covers waiting to be picked up, connecting "
  "and, for HTTP, the request (nginx logs when it answers; `$msec` has 1 ms resolution). For "
  "blackbox_exporter it includes the driver's own lateness, shown separately below, as a "
  "Prometheus server's would be. tocsin's own `check_results.at` (when it started each check) "
  "splits its lag into started-late and on-the-wire.")
w("")
w("### Results")
w("")
w("| kind | tool | monitors | interval | probes measured (expected) | CPU µs per probe | RSS MiB, "
  "max in window (peak) | lag p50 / p99 | fresh connections |")
w("|---|---|---|---|---|---|---|---|---|")
for kind in kinds:
    for tool in ("tocsin", "blackbox"):
        r = row(kind, tool)
        if r is None:
            continue
        if not measured(r):
            why = r.get("skipped", "no probes arrived in the window")
            w(f"| {KIND_NAMES[kind]} | {NAMES[tool]} | {N:,} | {INTERVAL} s | skipped: {why} | | | | |")
            continue
        fresh = "–"
        if kind == "http":
            total = r["fresh_connections"] + r["reused_connections"]
            fresh = f"{100 * r['fresh_connections'] / total:.0f} %" if total else "–"
        else:
            fresh = "100 % (TCP)"
        w(f"| {KIND_NAMES[kind]} | {NAMES[tool]} | {N:,} | {INTERVAL} s | "
          f"{r['probes']:,} ({r['expected']:,}) | {cpu_cell(r)} | {mib(r['rss_kib_max'])} "
          f"({mib(r['hwm_kib'])}) | {num(r['lag_ms_p50'], 1)} ms / {num(r['lag_ms_p99'], 1)} ms | {fresh} |")
w("")
w("**Goals (issue 8)**")
w("")
w("| kind | goal | tocsin | target | |")
w("|---|---|---|---|---|")
for kind in kinds:
    t, b = row(kind, "tocsin"), row(kind, "blackbox")
    if not measured(t):
        w(f"| {KIND_NAMES[kind]} | all | not measured | | |")
        continue
    if measured(b):
        limit = cpu_us(b) * CPU_GOAL
        w(f"| {KIND_NAMES[kind]} | CPU per probe ≤ ⅕ of blackbox_exporter's | {cpu_us(t):.1f} µs "
          f"({cpu_us(t) / cpu_us(b):.2f}× blackbox) | ≤ {limit:.1f} µs | {verdict(cpu_us(t) <= limit)} |")
    w(f"| {KIND_NAMES[kind]} | schedule lag p99 < {LAG_GOAL_MS} ms | {num(t['lag_ms_p99'], 1)} ms | "
      f"< {LAG_GOAL_MS} ms | {verdict(t['lag_ms_p99'] is not None and t['lag_ms_p99'] < LAG_GOAL_MS)} |")
    w(f"| {KIND_NAMES[kind]} | RSS ≤ 64 MiB + 2 KiB per monitor | {mib(t['rss_kib_max'])} MiB "
      f"(peak {mib(t['hwm_kib'])}) | ≤ {RSS_GOAL_MIB:.1f} MiB | {verdict(t['hwm_kib'] / 1024 <= RSS_GOAL_MIB)} |")
    if kind == "http":
        fresh_total = t["fresh_connections"] + t["reused_connections"]
        w(f"| HTTP | each probe on a fresh connection | {t['fresh_connections']:,} of {fresh_total:,} | "
          f"all | {verdict(t['reused_connections'] == 0)} |")
    w(f"| {KIND_NAMES[kind]} | every monitor probed every interval | {t['per_monitor_min']}–"
      f"{t['per_monitor_max']} arrivals per monitor in {t['window_s']:.0f} s, "
      f"{t['monitors_seen']:,} of {N:,} seen | {t['window_s'] / INTERVAL:.0f} ± 1 | "
      f"{verdict(t['monitors_seen'] == N and t['per_monitor_max'] - t['per_monitor_min'] <= 1)} |")
w("")
w("**Details**")
w("")
cols = [(k, t) for k in kinds for t in ("tocsin", "blackbox") if measured(row(k, t))]
if cols:
    w("| | " + " | ".join(f"{KIND_NAMES[k]} {NAMES[t]}" for k, t in cols) + " |")
    w("|---|" + "---|" * len(cols))

    def line(label, fn):
        cells = []
        for k, t in cols:
            try:
                cells.append(fn(row(k, t)))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("–")
        w(f"| {label} | " + " | ".join(cells) + " |")

    line("window; probes/s", lambda r: f"{r['window_s']:.0f} s; {r['probes'] / r['window_s']:.1f}")
    line("answers nginx logged", lambda r: ", ".join(f"{n:,} × {s}" for s, n in sorted(r["statuses"].items())))
    line("lag p50 / p90 / p99 / max", lambda r: f"{num(r['lag_ms_p50'], 1)} / {num(r['lag_ms_p90'], 1)} / "
         f"{num(r['lag_ms_p99'], 1)} / {num(r['lag_ms_max'], 1)} ms")
    line("lag min (negative = early)", lambda r: f"{num(r['lag_ms_min'], 1)} ms")
    line("tocsin's own check start vs schedule p50 / p99 / max",
         lambda r: f"{num(r['own_start_lag_ms_p50'], 1)} / {num(r['own_start_lag_ms_p99'], 1)} / "
                   f"{num(r['own_start_lag_ms_max'], 1)} ms ({r['own_checks']:,} checks)" if "own_checks" in r else "–")
    line("driver: sent late p50 / p99 / max", lambda r: f"{r['driver']['late_ms_p50']:.1f} / "
         f"{r['driver']['late_ms_p99']:.1f} / {r['driver']['late_ms_max']:.1f} ms" if r.get("driver") else "–")
    line("driver: scrape answered p50 / p99", lambda r: f"{r['driver']['answer_ms_p50']:.1f} / "
         f"{r['driver']['answer_ms_p99']:.1f} ms" if r.get("driver") else "–")
    line("driver: scrapes with probe_success 1 / failed / errors (whole run)",
         lambda r: f"{r['driver']['success']:,} / {r['driver']['failed']:,} / {r['driver']['errors']:,}"
         if r.get("driver") else "–")
    line("HTTP connections fresh / reused", lambda r: f"{r['fresh_connections']:,} / {r['reused_connections']:,}")
    line("CPU of the tool, % of one CPU", lambda r: f"{(r['user_s'] + r['sys_s']) / r['window_s'] * 100:.1f} %")
    line("CPU of the harness (nginx, driver) / of other processes",
         lambda r: f"{r['harness_cpu_pct']} % / {r['other_cpu_pct']} % of a CPU")
    line("RSS at start → max in window (peak)", lambda r: f"{mib(r['rss_kib_start'])} → {mib(r['rss_kib_max'])} "
         f"({mib(r['hwm_kib'])}) MiB")
    line("of which anonymous (max) / file-backed (at end)", lambda r: f"{mib(r['rss_anon_kib_max'])} / "
         f"{mib(r['rss_file_kib_end'])} MiB" if "rss_anon_kib_max" in r else "–")
    line("threads", lambda r: str(r["threads"]))
    line("errors the tool logged (ERROR lines)", lambda r: "; ".join(f"{e['count']} × {e['message']}" for e in r["tool_errors"])
         if r.get("tool_errors") else ("none" if r["tool"] == "tocsin" else "–"))
    line("checks in its database for the window vs probes nginx saw", lambda r: f"{r['own_checks']:,} vs {r['probes']:,}"
         + (" — **rows missing**" if r["own_checks"] < 0.98 * r["probes"] else "") if "own_checks" in r else "–")
    line("database after the run (file + WAL)", lambda r: f"{r['db_bytes'] / 1048576:.1f} MiB" if r.get("db_bytes") else "–")
    line("its own lag metrics (`/metrics`)", lambda r: "; ".join(r["metrics_lag"][:4]) if r.get("metrics_lag") else "none exposed")
    line("attempt; CPU idle before", lambda r: f"{r['attempt']}; {r['idle_before_pct']} %")
w("")
diag = next((r for r in rows if r.get("diag")), None)
if diag:
    per_s = lambda x: x / diag["seconds"] if diag["seconds"] else 0
    w(f"**Diagnostic: tocsin, HTTP, a separate fresh run** (after its warm-up: {diag['seconds']:.0f} s of "
      "`perf stat -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync -p <pid>`, then the same "
      "time of `perf record -F 499 -p <pid>`, flat profile; not part of the table's figures): "
      f"{per_s(diag['probes']):.1f} probes/s, {per_s(diag['fsyncs']):.1f} fsync + fdatasync/s, "
      f"{diag['fsyncs'] / diag['probes'] if diag['probes'] else 0:.2f} per probe.")
    w("")
    w("<details><summary>perf: top symbols (share of samples, dso, symbol)</summary>")
    w("")
    w("```")
    w(diag["top"].rstrip())
    w("```")
    w("</details>")
    w("")
w("**Database growth, 10,000 monitors over a simulated 90 days: not measured yet (TODO).** It "
  "needs the check-result rollups being built on branch `sched`; `benches/probes/run.sh` has a "
  "marked TODO where it goes. Nothing in this section estimates it.")
print("\n".join(out))
