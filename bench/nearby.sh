#!/usr/bin/env bash
# Nearby-search load benchmark (issue 2): 100,000 facilities, nearbyFacilities(limit: 20,
# radiusMeters: 1000) at random points, side by side with `{ __typename }` on the same server.
#
#   bash bench/nearby.sh                              # SQLite (a temporary file)
#   DATABASE_URL=postgres://.../db bash bench/nearby.sh   # PostgreSQL (an empty database)
#
# Knobs: FACILITIES (100000), DURATION (20s), CONNECTIONS (32), WORKERS (2), WARMUP (10s of the
# same load, unmeasured, before each run: the server's memory of recently returned facilities
# fills in the first seconds). UNIQUE_DOCUMENTS=1 makes every document new to the parsed-document
# cache (see bench/nearby.lua).
set -euo pipefail
cd "$(dirname "$0")/.."
FACILITIES=${FACILITIES:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-10s}
source bench/server.sh --extra-facilities "$((FACILITIES - 467))"
echo "server: $base, database: ${DATABASE_URL%%:*}, $FACILITIES facilities"

run() { # name script
  wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s "bench/$2" "$base/graphql" >/dev/null
  echo "== $1"
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "bench/$2" "$base/graphql" | tee "$tmp/$1.txt" |
    grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors'
}
run trivial trivial.lua
run nearby nearby.lua
t=$(awk '/Requests\/sec/ {print $2}' "$tmp/trivial.txt")
n=$(awk '/Requests\/sec/ {print $2}' "$tmp/nearby.txt")
awk -v t="$t" -v n="$n" 'BEGIN { printf "nearby / trivial throughput: %.2f\n", n / t }'
