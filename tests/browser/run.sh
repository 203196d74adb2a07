#!/usr/bin/env bash
# Headless-browser tests of the map page and GraphiQL against a real server with the demo data.
#
#   bash tests/browser/run.sh [SERVER_BINARY]     (default: target/debug/service-circle)
#
# Env: CHROMIUM (default /usr/bin/chromium, installed with apt-get when missing),
# SCREENSHOT_DIR (default target/browser). Two passes: the plain page (no base map), then a
# server with unreachable GCJ-02 tiles, where the page must still work and ask for GCJ-02.
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${1:-target/debug/service-circle}
export SCREENSHOT_DIR=${SCREENSHOT_DIR:-target/browser}
[[ -x $binary ]] || { echo "no server binary at $binary (cargo build first, or pass its path)" >&2; exit 2; }

sudo=; [[ $EUID -ne 0 ]] && sudo=sudo
if [[ -z ${CHROMIUM:-} && ! -x /usr/bin/chromium ]]; then
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
# The demo data has Chinese names; without a CJK font the screenshots show boxes.
if command -v fc-list >/dev/null && [[ -z $(fc-list :lang=zh) ]]; then
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-zenhei; } \
    || echo "warning: no CJK font; screenshots will show boxes for Chinese text" >&2
fi
if [[ ! -d web/node_modules/leaflet || ! -d web/node_modules/playwright-core ]]; then
  npm ci --prefix web --no-audit --no-fund
fi

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# start_server NAME [FLAGS...]: a server on a free port over a fresh SQLite file; sets server_url.
start_server() {
  local name=$1; shift
  # A token for the live-update test's writes (the command creates and migrates the database).
  EDITOR_TOKEN=$("$binary" token create --role editor --name browser-test --database-url "sqlite://$work/$name.db?mode=rwc")
  export EDITOR_TOKEN
  "$binary" serve --listen 127.0.0.1:0 --database-url "sqlite://$work/$name.db?mode=rwc" \
    --demo --rate-limit-exempt-loopback "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  server_url=
  for _ in $(seq 1 1200); do
    server_url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/$name.out" | head -n 1)
    [[ -n $server_url ]] && curl -fsS -o /dev/null "$server_url/healthz" 2>/dev/null && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited early:" >&2; cat "$work/$name.out" "$work/$name.err" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "server did not become healthy in 120 s:" >&2; cat "$work/$name.out" "$work/$name.err" >&2
  exit 1
}

status=0

echo "== map page, no base map"
start_server plain
SERVER_URL=$server_url node --test --test-reporter=spec tests/browser/map.test.mjs || status=$?
echo "== GraphiQL, network cut off"
SERVER_URL=$server_url node --test --test-reporter=spec tests/browser/graphiql.test.mjs || status=$?
stop_server

echo "== map page, GCJ-02 tiles (unreachable)"
start_server gcj02 --tile-crs gcj02 --tile-url 'http://127.0.0.1:9/{z}/{x}/{y}.png' --tile-attribution 'unreachable test tiles'
SERVER_URL=$server_url EXPECT_TILE_CRS=GCJ02 node --test --test-reporter=spec tests/browser/map.test.mjs || status=$?
stop_server

echo "screenshots in $SCREENSHOT_DIR"
exit "$status"
