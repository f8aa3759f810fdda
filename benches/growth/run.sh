#!/usr/bin/env bash
# Database growth of issue 8 (item 5): check results of MONITORS monitors every 30 s written into
# a real SQLite store under simulated time, rolled up and pruned as the housekeeping job does, the
# file measured at days 1, 7, 8, 30, 31, 90 (crates/tocsin-store-sqlite/examples/growth.rs does the work).
#
#   benches/growth/run.sh          # build, run the three measurements, print the markdown
#
# Knobs (environment): STEADY_MONITORS=100 (the 8-day run: raw retention's steady state, written
# as the engine writes, a batch a simulated minute) · LONG_MONITORS=10 (the 90-day runs: batches
# and housekeeping once a simulated hour, so they take minutes) · PROJECT=10000 (monitors the
# measured per-row sizes are projected to) · NO_BUILD=1.
# Each run prints its write rate; on a loaded 2-CPU machine the 8-day run at 100 monitors takes
# about 6 min, the 90-day run at 10 monitors about 2.5 min.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/tocsin-target}
STEADY_MONITORS=${STEADY_MONITORS:-100}
LONG_MONITORS=${LONG_MONITORS:-10}
PROJECT=${PROJECT:-10000}
BIN=$CARGO_TARGET_DIR/release/examples/growth

if [[ -z ${NO_BUILD:-} ]]; then
  (cd "$ROOT" && nice -n 10 cargo build --release -p tocsin-store-sqlite --example growth)
fi

echo "### Raw retention's steady state: $STEADY_MONITORS monitors, 8 days, keep_raw_checks = 7d"
"$BIN" --monitors "$STEADY_MONITORS" --days 8 --flush 60 --housekeeping 60 --samples 1,7,8 --project "$PROJECT"
echo
echo "### Bounded aggregates: $LONG_MONITORS monitors, 90 days, keep_raw_checks = 7d"
"$BIN" --monitors "$LONG_MONITORS" --days 90 --flush 3600 --housekeeping 3600 --project "$PROJECT"
echo
echo "### keep_raw_checks = 1d: $LONG_MONITORS monitors, 31 days"
"$BIN" --monitors "$LONG_MONITORS" --days 31 --keep-raw 24 --flush 3600 --housekeeping 3600 \
  --samples 1,2,7,8,30,31 --project "$PROJECT"
