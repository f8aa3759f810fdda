#!/usr/bin/env bash
# Alertmanager re-sending a storm: a fresh tocsin (the ingest benchmark's configuration, durable
# SQLite) takes a storm of alerts that all join one incident (webhook batches of 100, one
# wrk load), then the same alerts again, same fingerprints, as Alertmanager re-sends every
# firing alert of a group at each group_interval. Prints requests/s and latency of each phase
# and how many alerts the incident holds. A re-sent alert must cost what a new one does, however
# many alerts its incident holds.
#
#   benches/ingest/refire.sh target/release/tocsin
#
# Knobs: DURATION=10s (each phase) CONNS=64 PORT=18080.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: refire.sh <tocsin binary>}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT=${PORT:-18080}
# shellcheck source=tocsin-config.sh
. "$HERE/tocsin-config.sh"

WORK=$(mktemp -d)
trap 'kill -9 "$PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
TOCSIN_PORT=$PORT SINK_PORT=$((PORT + 1))
serve_fresh "$BIN" "$WORK"

# The same RUN_TAG both times: the second load sends the first one's fingerprints again.
tag="refire$RANDOM"
for phase in storm re-sent; do
  out=$(cd "$HERE" && RUN_TAG=$tag AM_TOKEN=$AM_TOKEN BATCH=100 BENCH_LUA_DIR=lua \
    wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 30s -s lua/am_hook_batch.lua "http://127.0.0.1:$PORT" 2>&1)
  echo "$(basename "$BIN") $phase: $(sed -n 's/^BENCH_JSON //p' <<<"$out" |
    jq -c '{requests: .n2xx, per_s: (.n2xx / (.duration_us / 1e6) | floor), alerts_per_s: (100 * .n2xx / (.duration_us / 1e6) | floor), p50_ms: (.p50_us / 1000), p99_ms: (.p99_us / 1000)}')"
done
echo "alerts in the incident: $(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" \
  "http://127.0.0.1:$PORT/api/v1/incidents?state=all" | jq '[.incidents[].alert_count] | max')"
