#!/usr/bin/env bash
# Where one ingest load's CPU goes, thread by thread: starts a fresh tocsin (the ingest
# benchmark's configuration, durable SQLite), runs one wrk load against it and prints, per
# thread name, the CPU time and the voluntary / involuntary context switches per 2xx request
# (from /proc/<pid>/task/*/stat and status, read before and after the load). For A/B pairs
# between two binaries, run alternately:
#
#   benches/ingest/threads.sh target/release/tocsin                      # (a) single alerts
#   SCRIPT=am_hook_batch.lua BATCH=100 benches/ingest/threads.sh <bin>  # (b) batches of 100
#
# Knobs: DURATION=10s CONNS=64 PORT=18080 SCRIPT=pd_trigger.lua BATCH=1; ENV="K=V ..." is
# passed to the server (e.g. ENV="RUST_LOG=warn").
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: threads.sh <tocsin binary>}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT=${PORT:-18080}
SCRIPT=${SCRIPT:-pd_trigger.lua}
BATCH=${BATCH:-1}
# shellcheck source=tocsin-config.sh
. "$HERE/tocsin-config.sh"

WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
# The ingest benchmark's own configuration (run.sh's), its sink port unused here.
TOCSIN_PORT=$PORT SINK_PORT=$((PORT + 1))
serve_fresh "$BIN" "$WORK"

# name cpu_ticks voluntary involuntary, summed over the threads of each name
snapshot() {
  for task in /proc/"$PID"/task/*; do
    printf '%s %s %s\n' "$(tr ' ' _ <"$task/comm")" \
      "$(sed 's/.*) //' "$task/stat" | awk '{print $12 + $13}')" \
      "$(awk '/^(non)?voluntary_ctxt_switches/ {printf "%s ", $2}' "$task/status")"
  done | awk '{c[$1] += $2; v[$1] += $3; n[$1] += $4} END {for (k in c) print k, c[k], v[k], n[k]}' | sort
}

snapshot >"$WORK/before"
(cd "$HERE" && PD_KEY=$PD_KEY AM_TOKEN=$AM_TOKEN BATCH=$BATCH BENCH_LUA_DIR=lua \
  wrk -t2 -c"$CONNS" -d"$DURATION" -s "lua/$SCRIPT" "http://127.0.0.1:$PORT") >"$WORK/wrk" 2>&1
snapshot >"$WORK/after"

requests=$(awk '/requests in/ {print $1}' "$WORK/wrk")
echo "$(basename "$BIN"): $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk") requests/s × $BATCH alerts ($SCRIPT, $CONNS connections, $DURATION)"
printf '%-18s %12s %12s %14s\n' thread "CPU µs/req" "vol. sw/req" "invol. sw/req"
join "$WORK/before" "$WORK/after" | awk -v n="$requests" -v hz="$(getconf CLK_TCK)" '
  { cpu = ($5 - $2) * 1e6 / hz / n; total += cpu
    if (cpu > 0 || $6 > $3) printf "%-18s %12.1f %12.3f %14.3f\n", $1, cpu, ($6 - $3) / n, ($7 - $4) / n }
  END { printf "%-18s %12.1f\n", "all", total }'
