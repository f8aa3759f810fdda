#!/usr/bin/env bash
# Runs the ingest benchmark (tocsin vs Alertmanager) and the probe benchmark (tocsin's side) for
# two tocsin binaries back to back, on this machine in one go, so a change to the durable core is
# judged against the code before it under the same conditions. Each run appends its own section
# to BENCHMARKS.md; the binaries' paths (which should name their commits) label them.
#
#   benches/before-after.sh BEFORE_BIN AFTER_BIN
#
# Knobs: INGEST_SCENARIOS="a b c d e" · PROBE_KINDS="http tcp" · PROBE_DURATION=120 (seconds) ·
# PROBE_MONITORS=10000 · REPEAT=1 (how many times the whole alternation runs) · DIAG=0 (1 adds the perf diagnostics of both scripts).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[[ $# -eq 2 && -x $1 && -x $2 ]] || { echo "usage: $0 BEFORE_BIN AFTER_BIN (both executable)" >&2; exit 2; }
before=$1 after=$2
# A binary copied minutes ago still has its pages in the page cache and starts with a larger
# RSS than one copied long before; dropping the cache before each run (as root) starts both alike.
fresh_cache() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
for _ in $(seq "${REPEAT:-1}"); do
for bin in "$before" "$after"; do
  fresh_cache
  BIN=$bin SCENARIOS="${INGEST_SCENARIOS:-a b c d e}" DIAG=${DIAG:-0} "$HERE/ingest/run.sh"
done
for bin in "$before" "$after"; do
  fresh_cache
  BIN=$bin TOOLS=tocsin KINDS="${PROBE_KINDS:-http tcp}" DURATION="${PROBE_DURATION:-120}" \
    MONITORS="${PROBE_MONITORS:-10000}" DIAG=${DIAG:-0} "$HERE/probes/run.sh"
done
done
