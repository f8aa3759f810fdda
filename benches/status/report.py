#!/usr/bin/env python3
"""Renders the results of benches/status/run.sh (one JSON object per line) as the markdown
section appended to BENCHMARKS.md: the method, then the table with the goal and pass/MISS. The
notes that explain a miss are written by a person underneath."""
import argparse, json, re, subprocess, time

ap = argparse.ArgumentParser()
for flag in ("--results", "--bin", "--hello", "--duration", "--threads", "--conns",
             "--components", "--clk-tck", "--source", "--lock", "--diag-duration"):
    ap.add_argument(flag, required=True)
# The Accept-Encoding wrk sends to tocsin, and to the hello-world.
ap.add_argument("--accept", default="gzip")
ap.add_argument("--hello-accept", default="gzip")
a = ap.parse_args()
rows = [json.loads(line) for line in open(a.results) if line.strip()]
GOAL = 0.80


def run_of(target):
    return next((r for r in rows if r.get("target") == target), None)


def probe(name, when="before"):
    return next((r for r in rows if r.get("probe") == name and r.get("when", when) == when), None)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"


def fmt(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f}"


def rps(r):
    return r["requests"] / (r["duration_us"] / 1e6)


def cpu_us(r):
    return (r["user_s"] + r["sys_s"]) * 1e6 / r["requests"]


def cpu_split(r):
    n = r["requests"]
    return (f"{cpu_us(r):.2f} ({r['user_s'] * 1e6 / n:.2f} user + {r['sys_s'] * 1e6 / n:.2f} sys)")


def ms(us):
    return f"{us / 1000:.2f} ms"


def errors(r):
    sock = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
    return f"{r['err_status']} non-2xx, {sock} socket errors/timeouts"


def lockver(crate):
    text = open(a.lock).read()
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(crate), text)
    return m.group(1) if m else "?"


def size(n):
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


hello, status, summary = run_of("hello"), run_of("status"), run_of("summary")
p_status, p_summary, p_hello = probe("status"), probe("summary"), probe("hello")
a_status, a_summary = probe("status", "after"), probe("summary", "after")
warm = probe("warm")
rss = probe("rss")

cpu_model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1") or "?"
out = []
w = out.append
w("")
w(f"## Status page: cached /status and summary.json vs a hello-world axum handler — run of "
  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
w("")
w("### Method")
w("")
w(f"- **Machine:** {sh('nproc')} CPUs ({cpu_model}), Linux {sh('uname -r')}; memory:")
w("")
w("  ```")
for line in sh("free -h").splitlines():
    w("  " + line)
w("  ```")
w(f"- **Versions:** {sh(a.bin + ' --version')} (release build of {a.source}); hello-world: "
  f"`benches/status/hello/` (its own cargo workspace, built `--release` with tocsin's `Cargo.lock` "
  f"copied in: axum {lockver('axum')}, hyper {lockver('hyper')}, tokio {lockver('tokio')}, the "
  f"versions tocsin uses); {sh('rustc --version')}; {sh('wrk -v 2>&1 | head -1').split(' Copyright')[0]}.")
w("- **Command:** `benches/status/run.sh` (builds `cargo build --release -p tocsin` and the hello "
  "server, then everything below). Both servers start once and stay up for the whole run, since "
  "the cache is what is measured. Before each measurement the script waits until no "
  "cargo/rustc/chromium/`scripts/test`/other `tocsin serve` runs and the CPUs are ≥ 85 % idle; a "
  "run during which other processes used more than 15 % of a CPU (system-wide busy ticks from "
  "`/proc/stat` minus the server's and wrk's) is repeated, at most 3 times, keeping the least "
  "disturbed.")
w(f"- **tocsin:** `tocsin --log-format json serve --config <generated> --listen 127.0.0.1:0 "
  f"--database sqlite://<tmp>/t.db` (URL read from its \"tocsin is serving\" log line; default log "
  f"filter). The config (passes `tocsin check`) has `[org] locales = [\"ar\", \"en\"]` and "
  f"`[status_page] locale = \"ar\"` with {int(a.components):,} components `c0000`…"
  f"`c{int(a.components) - 1:04d}` (names `Component 0000`…), one severity, no monitors; a fresh "
  f"database, so no incidents and no uptime history. Warmed by one `GET /status` (builds the "
  f"snapshot and renders the page: {warm['status_first_s'] * 1000:.0f} ms) and one "
  f"`GET /api/v2/summary.json` (renders it from the same snapshot: "
  f"{warm['summary_first_s'] * 1000:.0f} ms) before any load.")
w("- **hello-world:** `status-bench-hello 127.0.0.1:0`: `Router::new().route(\"/\", get(|| async "
  "{ \"Hello, World!\" }))` on `axum::serve`, a multi-threaded tokio runtime with 2 workers (as "
  "`tocsin serve` has).")
same_accept = a.accept == a.hello_accept
w(f"- **Load:** `wrk -t{a.threads} -c{a.conns} -d{a.duration} --latency -H 'Accept-Encoding: "
  f"{a.accept if same_accept else '<enc>'}' -s benches/status/done.lua <url>`, "
  + ("identical for the three targets" if same_accept else
     f"identical for the three targets but for `<enc>`: `{a.accept}` for tocsin (it serves "
     f"brotli; browsers send `gzip, deflate, br, zstd`), `{a.hello_accept}` for the "
     f"hello-world (which compresses nothing)")
  + f", run in the order hello, `/status`, `summary.json`. `done.lua` only defines `done()` (prints the figures as JSON), so "
  f"wrk's request path stays its static request with no Lua per request. Requests/s = wrk's "
  f"completed requests ÷ its duration. **Non-2xx** = wrk's `errors.status` (answers ≥ 400; these "
  f"routes answer no 3xx), socket errors = connect + read + write + timeouts.")
enc = p_status["encoding"]
w(f"- **Compressed:** checked with `curl -H 'Accept-Encoding: {a.accept}'` before and after the "
  f"load: `Content-Encoding: {enc}`, "
  + ("body passes `gzip -t`" if enc == "gzip" else "body decoded by curl (`--compressed`)")
  + f" and decodes to the same bytes as the answer asked for with `identity`; sizes are the body "
  f"on the wire → decoded. wrk's bytes read ÷ requests (headers included) confirms the load got "
  f"the same {enc} bodies.")
w(f"- **CPU per request** = Δ(utime+stime) of the server process from `/proc/<pid>/stat` over "
  f"the wrk run (CLK_TCK = {a.clk_tck}) ÷ wrk's completed requests. wrk runs on the same "
  f"{sh('nproc')} CPUs, so no server can use both: requests/s is a shared-machine figure, CPU per "
  f"request is the cleaner cost.")
w("")
w("### Results")
w("")
w("| | requests/s | × hello | goal | | latency p50 / p99 | server CPU µs per request | refused | "
  "body on the wire (decoded) |")
w("|---|---|---|---|---|---|---|---|---|")


def row(label, r, p, goal):
    ratio = rps(r) / rps(hello)
    if goal:
        verdict = "**pass**" if ratio >= GOAL else "**MISS**"
        goal_txt = f"≥ {GOAL:.0%} of hello (≥ {fmt(GOAL * rps(hello))})"
    else:
        verdict, goal_txt = "", ""
    body = (f"{size(p['wire_bytes'])} {p['encoding']} ({size(p['plain_bytes'])})"
            if p["encoding"] != "identity" else f"{size(p['wire_bytes'])} identity")
    w(f"| {label} | {fmt(rps(r))} | {ratio:.2f}× | {goal_txt} | {verdict} | {ms(r['p50_us'])} / "
      f"{ms(r['p99_us'])} | {cpu_split(r)} | {errors(r)} | {body} |")


row("hello-world axum `GET /`", hello, p_hello, False)
row(f"tocsin `GET /status` ({int(a.components):,} components, ar)", status, p_status, True)
row(f"tocsin `GET /api/v2/summary.json`", summary, p_summary, True)
w("")
w("| | hello `/` | tocsin `/status` | tocsin `summary.json` |")
w("|---|---|---|---|")
w(f"| CPU per request vs hello | 1.00× | {cpu_us(status) / cpu_us(hello):.2f}× | "
  f"{cpu_us(summary) / cpu_us(hello):.2f}× |")
w(f"| bytes read by wrk per response (headers + body) | {fmt(hello['bytes'] / hello['requests'])} | "
  f"{fmt(status['bytes'] / status['requests'])} | {fmt(summary['bytes'] / summary['requests'])} |")
w(f"| throughput on the wire | {fmt(hello['bytes'] / (hello['duration_us'] / 1e6) / 2**20, 1)} MiB/s | "
  f"{fmt(status['bytes'] / (status['duration_us'] / 1e6) / 2**20, 1)} MiB/s | "
  f"{fmt(summary['bytes'] / (summary['duration_us'] / 1e6) / 2**20, 1)} MiB/s |")
w(f"| latency max | {ms(hello['max_us'])} | {ms(status['max_us'])} | {ms(summary['max_us'])} |")
w(f"| CPU of wrk / of other processes (% of a CPU) | "
  + " | ".join(f"{r['wrk_cpu_s'] / r['elapsed_s'] * 100:.0f} % / {max(r['other_cpu_pct'], 0)} %"
               f"{' (attempt ' + str(r['attempt']) + ')' if r['attempt'] > 1 else ''}"
               for r in (hello, status, summary)) + " |")
def same(after, before):
    if after["encoding"] == before["encoding"] and after["wire_bytes"] == before["wire_bytes"]:
        return "yes"
    return "NO: " + json.dumps(after)


w(f"| after the load: still {enc}, same size | – | {same(a_status, p_status)} | "
  f"{same(a_summary, p_summary)} |")
w(f"| components in the answer | – | {p_status['components']:,} names, `lang=\"{p_status['lang']}\"` | "
  f"{p_summary['components']:,} |")
w(f"| server RSS after the runs | {rss['hello_kib'] / 1024:.1f} MiB | {rss['tocsin_kib'] / 1024:.1f} MiB (one process, both routes) | |")
diag = run_of("diag")
if diag:
    probes = diag["probes"]
    slow = [x for x in probes if x >= 0.1]
    w("")
    w(f"**Diagnostic: `/status` across a snapshot replacement.** The snapshot is rebuilt when the "
      f"engine's generation moves or when it is 60 s old; the runs above are 15 s each and may "
      f"fall inside one snapshot's life. Here one wrk run of {a.diag_duration} (same command "
      f"otherwise) crosses at least one replacement, and a `curl` of `/status` every second "
      f"records what a visitor waits meanwhile.")
    w("")
    w("| requests/s | latency p50 / p90 / p99 / max | server CPU µs per request | refused | "
      "curl probes: slowest; ≥ 100 ms |")
    w("|---|---|---|---|---|")
    w(f"| {fmt(rps(diag))} | {ms(diag['p50_us'])} / {ms(diag['p90_us'])} / {ms(diag['p99_us'])} / "
      f"{ms(diag['max_us'])} | {cpu_split(diag)} | {errors(diag)} | "
      f"{max(probes) * 1000:.0f} ms; {len(slow)} of {len(probes)}"
      f"{' (' + ', '.join(f'{x * 1000:.0f} ms' for x in sorted(slow, reverse=True)[:5]) + ')' if slow else ''} |")
print("\n".join(out))
