#!/usr/bin/env bash
# The floor under the probe benchmark (issue 14, item 4): what one HTTP check on a fresh
# connection costs on this machine outside tocsin, four ways, against the same nginx as
# benches/probes/run.sh (every connection closed after its answer). benches/probes/floor/ is a
# tiny program of its own (its own workspace; CI never builds it):
#
#   raw-ct      a hand-written GET over a tokio TcpStream, current-thread runtime: the kernel's
#               connect/send/receive/close and a minimal event loop — no prober can go lower;
#   hyper-ct    hyper's HTTP/1.1 connection driven in the check's own task (what tocsin's HTTP
#               check uses since its wire.rs);
#   reqwest-ct  reqwest's client as tocsin built it before (no pool, no proxy), current-thread;
#   reqwest-mt  the same on a two-worker multi-thread runtime (tocsin's probes before they got
#               a thread of their own).
#
#   benches/probes/floor.sh        # RATE=333 SECONDS_EACH=20 ROUNDS=2 PORT=18620
#
# Each measurement is one process probing RATE times a second for SECONDS_EACH seconds after a
# one-second warm-up; CPU per probe = Δ(utime+stime) of the process over the window ÷ probes.
# The modes take turns, ROUNDS times, so drift on a shared VM hits each alike.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RATE=${RATE:-333}
SECONDS_EACH=${SECONDS_EACH:-20}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18620}
NGINX_BIN=/usr/sbin/nginx
TARGET_DIR=${FLOOR_TARGET_DIR:-/tmp/tocsin-probe-floor-target}

[[ -x $NGINX_BIN ]] || { echo "floor.sh: nginx is not installed (benches/probes/run.sh installs it)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tocsin-probe-floor.XXXXXX)
NGINX_PID=""
trap '[[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null; wait 2>/dev/null || true' EXIT

(cd "$HERE/floor" && CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet)
FLOOR=$TARGET_DIR/release/probe-floor

mkdir -p "$WORK/tmp"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 16384; }
http {
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  access_log off;
  keepalive_timeout 0;
  server { listen 127.0.0.1:$PORT backlog=4096; location / { default_type text/plain; return 200 "ok\n"; } }
}
CONF
"$NGINX_BIN" -c "$WORK/nginx.conf" -p "$WORK/" &
NGINX_PID=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break; sleep 0.05; done

echo "| mode | round | probes | failed | CPU µs per probe (user + sys) |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  for mode in raw-ct hyper-ct reqwest-ct reqwest-mt; do
    "$FLOOR" "$mode" "127.0.0.1:$PORT" "$RATE" "$SECONDS_EACH" |
      jq -r --arg round "$round" '"| \(.mode) | \($round) | \(.probes) | \(.failed) | \(.cpu_us_per_probe) (\(.user_us) + \(.sys_us)) |"'
  done
done
