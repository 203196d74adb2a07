#!/usr/bin/env bash
# PostgreSQL stopped under load (issue 5): requests fail fast with SERVICE_UNAVAILABLE (not a
# hang, not a panic), /healthz answers 503, and service resumes by itself when the database
# returns. Then a quick restart while idle: the first search after it succeeds (searches read
# revision counters on a connection outside the pool, which the restart ends). Run by .ci/run
# after the suite on PostgreSQL.
#
#   DATABASE_URL=postgres://USER:PW@127.0.0.1:5432/EMPTY_DB bash tests/faults/postgres_outage.sh
#
# It stops and starts the machine's PostgreSQL cluster (pg_ctlcluster), so it needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATABASE_URL:?set DATABASE_URL to an empty PostgreSQL database}"
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cargo build --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/debug/service-circle
tmp=$(mktemp -d)
server=
load=
cleanup() {
  kill "$load" "$server" 2>/dev/null || true
  pg_ctlcluster "$version" main start 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/err" >&2 || true; exit 1; }

"$bin" demo >/dev/null 2>&1
RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --rate-limit-exempt-loopback >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || fail "the server did not start"

# Every one of these reads the database (a page and a count).
query='{"query":"{ facilities(first: 5) { totalCount edges { node { name } } } }"}'
ask() { curl -sS -m 20 -o "$tmp/body" -w '%{http_code} %{time_total}' "$base/graphql" -H 'content-type: application/json' -d "${1:-$query}"; }
health() { curl -sS -m 20 -o /dev/null -w '%{http_code}' "$base/healthz"; }

read -r code _ <<<"$(ask)"
[ "$code" = 200 ] && grep -q '"totalCount":467' "$tmp/body" || fail "no answer before the outage: $(cat "$tmp/body")"
[ "$(health)" = 200 ] || fail "unhealthy before the outage"

# Load from four clients throughout.
(
  trap 'kill $(jobs -p) 2>/dev/null' TERM EXIT
  for _ in 1 2 3 4; do
    while true; do curl -s -m 20 -o /dev/null "$base/graphql" -H 'content-type: application/json' -d "$query"; done &
  done
  wait
) &
load=$!
sleep 1

echo "stopping PostgreSQL"
pg_ctlcluster "$version" main stop -m fast
sleep 1
[ "$(health)" = 503 ] || fail "/healthz did not report the outage"
for i in 1 2 3 4 5; do
  read -r code seconds <<<"$(ask)"
  [ "$code" = 200 ] || fail "HTTP $code during the outage"
  grep -q '"SERVICE_UNAVAILABLE"' "$tmp/body" || fail "not SERVICE_UNAVAILABLE: $(cat "$tmp/body")"
  awk -v s="$seconds" 'BEGIN { exit !(s < 3.5) }' || fail "request $i took $seconds s (should fail fast)"
  echo "outage request $i: SERVICE_UNAVAILABLE in $seconds s"
done
kill -0 "$server" 2>/dev/null || fail "the server died"

echo "starting PostgreSQL"
pg_ctlcluster "$version" main start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
recovered=
for _ in $(seq 1 100); do
  read -r code seconds <<<"$(ask)"
  if [ "$code" = 200 ] && grep -q '"totalCount":467' "$tmp/body"; then recovered=1; break; fi
  sleep 0.2
done
[ -n "$recovered" ] || fail "service did not resume: $(cat "$tmp/body")"
[ "$(health)" = 200 ] || fail "/healthz did not recover"

kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
nearby='{"query":"{ nearbyFacilities(near: { lon: 106.268, lat: 38.478 }, radiusMeters: 1500, limit: 3) { distanceMeters } }"}'
found() {
  local code
  read -r code _ <<<"$(ask "$nearby")"
  [ "$code" = 200 ] && grep -q '"distanceMeters"' "$tmp/body" && ! grep -q '"errors"' "$tmp/body"
}
found || fail "no search answer before the restart: $(cat "$tmp/body")"
echo "restarting PostgreSQL"
pg_ctlcluster "$version" main restart -m fast
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
found || fail "the first search after a restart failed: $(cat "$tmp/body")"
echo "first search after the restart: answered"

! grep -qi 'panicked' "$tmp/err" || fail "a panic was logged"
echo "postgres outage: fails fast while down, resumes by itself, and survives a restart"
