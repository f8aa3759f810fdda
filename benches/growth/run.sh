#!/usr/bin/env bash
# Database growth (issue 8 item 5; rerun for issue 14's bounded history): check results of
# MONITORS monitors every 30 s written into a real SQLite store under simulated time, rolled up
# and pruned with the engine's retention (`Retention::standard`: raw `keep_raw_checks`, five-minute
# aggregates 7 days, hourly 90, daily 400), the file measured at chosen days
# (crates/tocsin-store-sqlite/examples/growth.rs does the work).
#
#   benches/growth/run.sh          # build, run the three measurements, print the markdown
#
# Knobs (environment): STEADY_MONITORS=100 (the 8-day run: raw and five-minute retention's steady
# state, written as the engine writes, a batch and a housekeeping round a simulated minute) ·
# LONG_MONITORS=10 (the 91-day runs: batches and housekeeping once a simulated hour, so they take
# minutes) · ENGINE_MONITORS=1000 (one day at the engine's own pace: a batch a second) ·
# PROJECT=10000 (monitors the measured per-row sizes are projected to) · NO_BUILD=1.
# Each run prints its write rate; on a 2-CPU machine the three runs take about 10 minutes.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/tocsin-target}
STEADY_MONITORS=${STEADY_MONITORS:-100}
LONG_MONITORS=${LONG_MONITORS:-10}
ENGINE_MONITORS=${ENGINE_MONITORS:-1000}
PROJECT=${PROJECT:-10000}
BIN=$CARGO_TARGET_DIR/release/examples/growth

if [[ -z ${NO_BUILD:-} ]]; then
  (cd "$ROOT" && nice -n 10 cargo build --release -p tocsin-store-sqlite --example growth)
fi

echo "### Steady state of raw and five-minute retention: $STEADY_MONITORS monitors, 8 days, keep_raw_checks = 1d"
"$BIN" --monitors "$STEADY_MONITORS" --days 8 --flush 60 --housekeeping 60 --samples 1,2,7,8 --project "$PROJECT"
echo
echo "### Bounded aggregates: $LONG_MONITORS monitors, 91 days, keep_raw_checks = 1d"
"$BIN" --monitors "$LONG_MONITORS" --days 91 --flush 3600 --housekeeping 3600 \
  --samples 1,7,8,30,90,91 --project "$PROJECT"
echo
echo "### The engine's pace: $ENGINE_MONITORS monitors, 1 day, a batch a second, housekeeping a minute"
"$BIN" --monitors "$ENGINE_MONITORS" --days 1 --flush 1 --housekeeping 60 --samples 1 --project "$PROJECT"
