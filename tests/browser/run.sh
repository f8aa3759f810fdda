#!/usr/bin/env bash
# The browser tests: tocsin's signed-in UI and public status page (issue 5) and `tocsin demo`'s
# whole story (issue 12) in real headless Chromium (Debian's /usr/bin/chromium, driven by
# playwright-core; no browser is downloaded).
#
#   tests/browser/run.sh [path/to/tocsin]     (default: ${CARGO_TARGET_DIR:-target}/release/tocsin)
#
# Builds nothing. Needs /usr/bin/chromium (+ fonts-noto-core for Arabic) and
# `npm ci --prefix tests/browser`; scripts/test installs both. It starts a target app and a
# Slack-like sink (fixtures.mjs), writes a configuration to a temporary folder, adds a responder
# and a viewer with `tocsin user add`, starts `tocsin serve`, runs the node:test files with the
# URLs in the environment, and stops everything on exit. tests/demo.test.mjs starts the binary's
# own `demo` instead (TOCSIN_BIN) and needs none of that. Screenshots go to artifacts/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-target}/release/tocsin}"
if [ ! -x "$bin" ]; then
  echo "run.sh: no tocsin binary at $bin (build it: cargo build --release -p tocsin)" >&2
  exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "run.sh: no Chromium at $CHROMIUM (apt-get install -y chromium fonts-noto-core)" >&2
  exit 2
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "run.sh: playwright-core is not installed (npm ci --prefix tests/browser)" >&2
  exit 2
fi

work="$(mktemp -d)"
pids=()
status=1
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] && [ -s "$work/tocsin.log" ]; then
    echo "--- the last lines tocsin logged ($work/tocsin.log):" >&2
    tail -25 "$work/tocsin.log" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $2 seconds for file $1 to contain a line matching $3; prints that line.
wait_for_line() {
  local file="$1" seconds="$2" pattern="$3" line
  for _ in $(seq $((seconds * 10))); do
    if line="$(grep -m1 -e "$pattern" "$file" 2>/dev/null)"; then
      printf '%s\n' "$line"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# The target app and the sink.
node "$here/fixtures.mjs" >"$work/fixtures.json" 2>"$work/fixtures.log" &
pids+=("$!")
if ! fixtures="$(wait_for_line "$work/fixtures.json" 10 '"target"')"; then
  cat "$work/fixtures.log" >&2
  echo "run.sh: the target app and sink did not start" >&2
  exit 1
fi
target="$(printf '%s' "$fixtures" | sed -E 's/.*"target":"([^"]+)".*/\1/')"
sink="$(printf '%s' "$fixtures" | sed -E 's/.*"sink":"([^"]+)".*/\1/')"

admin_token="browser-test-admin-token"
cat >"$work/tocsin.toml" <<EOF
[server]
listen = "127.0.0.1:0"
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "$admin_token"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar", "en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]
status_page = "major_outage"

[[severity]]
id = "SEV-2"
definition = "Major feature broken"
respond_within = "1h"
notify = ["slack-alerts"]
status_page = "partial_outage"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "$sink/slack"

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "$target/healthz"
interval = "1s"
timeout = "1s"
confirm = 1
severity = "SEV-1"
category = "backend"
component = "api"

[status_page]
title = "Dealix status"
locale = "ar"
components = [{ id = "api", name = "API" }, { id = "dashboard", name = "Dashboard" }]
EOF
"$bin" check --config "$work/tocsin.toml" >/dev/null

responder_email="responder@dealix.test"
viewer_email="viewer@dealix.test"
password="correct horse battery staple"
printf '%s\n' "$password" | "$bin" user add "$responder_email" --role responder --config "$work/tocsin.toml" >/dev/null
printf '%s\n' "$password" | "$bin" user add "$viewer_email" --role viewer --config "$work/tocsin.toml" >/dev/null

RUST_LOG="${RUST_LOG:-info}" "$bin" --log-format json serve --config "$work/tocsin.toml" \
  --listen 127.0.0.1:0 >/dev/null 2>"$work/tocsin.log" &
pids+=("$!")
if ! serving="$(wait_for_line "$work/tocsin.log" 60 '"tocsin is serving"')"; then
  echo "run.sh: tocsin did not start serving within a minute" >&2
  exit 1
fi
url="$(printf '%s' "$serving" | sed -E 's/.*"url":"([^"]+)".*/\1/')"
echo "tocsin $url · target $target · sink $sink"

mkdir -p "$here/artifacts"
rm -f "$here"/artifacts/*.png
set +e
TOCSIN_URL="$url" TOCSIN_BIN="$bin" TARGET_URL="$target" SINK_URL="$sink" ADMIN_TOKEN="$admin_token" \
  RESPONDER_EMAIL="$responder_email" VIEWER_EMAIL="$viewer_email" PASSWORD="$password" \
  ARTIFACTS="$here/artifacts" \
  node --test --test-concurrency=1 --test-reporter=spec "$here"/tests/*.test.mjs
status=$?
set -e
# A page that rendered but failed on the server (a template error, a store error) is logged.
if grep -q '"level":"ERROR"' "$work/tocsin.log"; then
  echo "tocsin logged errors during the browser tests:" >&2
  grep '"level":"ERROR"' "$work/tocsin.log" >&2
  status=1
fi
for shot in "$here"/artifacts/*.png; do
  [ -e "$shot" ] && echo "screenshot: $shot"
done
exit "$status"
