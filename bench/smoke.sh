#!/usr/bin/env bash
# Starts the real binary on a free port against $DATABASE_URL (default: a temporary SQLite
# file), loads the demo data, asks for a token and checks a read and a write over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/debug/service-circle
tmp=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/smoke.db?mode=rwc}"

"$bin" demo
token=$("$bin" token create --role editor --name smoke)
"$bin" serve --listen 127.0.0.1:0 --rate-limit-exempt-loopback >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 1 50); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { cat "$tmp/err"; exit 1; }

curl -fsS "$base/healthz" | grep -q ok
read=$(curl -fsS "$base/graphql" -H 'content-type: application/json' \
  -d '{"query":"{ nearbyFacilities(near: {lon: 106.28, lat: 38.47}, limit: 3) { distanceMeters facility { name } } }"}')
echo "$read" | grep -q '"distanceMeters"' || { echo "read failed: $read"; exit 1; }
write=$(curl -fsS "$base/graphql" -H 'content-type: application/json' -H "authorization: Bearer $token" \
  -d '{"query":"mutation { createFacility(input: {kind: MEAL_POINT, name: \"smoke\", location: {lon: 106.3, lat: 38.5}}) { id version } }"}')
echo "$write" | grep -q '"version":1' || { echo "write failed: $write"; exit 1; }
echo "smoke test passed: $base"
