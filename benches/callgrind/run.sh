#!/usr/bin/env bash
# Instructions per single alert, counted by valgrind's callgrind: a figure that repeats to
# within 1 % on this VM (wall-clock CPU time here moves ±25 % between identical runs, and the VM
# has no hardware counters), so two builds can be compared on the single-alert path.
#
#   benches/callgrind/run.sh BIN [N] [CONFIG]
#
# Starts BIN under callgrind with instrumentation off, sends 20 PagerDuty triggers to warm up,
# then counts the user-space instructions (Ir, every thread) of N more sent one at a time
# (send.py; each a new dedup key of one source, so all join one incident), minus an idle window
# of the same length (the workers' polls). CONFIG is a tocsin configuration with a PagerDuty
# integration keyed `bench-pd-key-0123456789abcdef` (benches/ingest/run.sh writes one; its work
# directory keeps it as tocsin.toml). Kernel time (syscalls, thread switches) is not counted.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1; N=${2:-300}; CONFIG=${3:-/tmp/prof.toml}; PORT=${PORT:-18491}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
D=$(mktemp -d /tmp/cg.XXXX)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$D/cg.out.%p \
  "$BIN" serve --config "$CONFIG" --listen 127.0.0.1:$PORT --database sqlite://$D/t.db >$D/log 2>&1 &
VPID=$!
for i in $(seq 600); do curl -fs http://127.0.0.1:$PORT/readyz >/dev/null 2>&1 && break; sleep 0.2; done
sleep 2
ctl() { callgrind_control "$@" $VPID >/dev/null; }
# warm-up: 20 requests uninstrumented
python3 "$HERE/send.py" $PORT 20 warm
ctl --zero; ctl --instr=on
t0=$(date +%s.%N)
python3 "$HERE/send.py" $PORT $N load
t1=$(date +%s.%N)
ctl --dump=load; ctl --instr=off
span=$(python3 -c "print($t1-$t0)")
ctl --zero; ctl --instr=on
sleep "$span"
ctl --dump=idle; ctl --instr=off
kill $VPID; wait $VPID 2>/dev/null || true
load=$(grep -h "^summary:\|^totals:" $D/cg.out.*.1 2>/dev/null | head -1 | awk '{print $2}')
idle=$(grep -h "^summary:\|^totals:" $D/cg.out.*.2 2>/dev/null | head -1 | awk '{print $2}')
python3 -c "print(f'$(basename $BIN): load {int($load):,} Ir, idle {int($idle):,} Ir over {float($span):.1f} s, per request {(int($load)-int($idle))/$N:,.0f} Ir')"
