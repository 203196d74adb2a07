#!/usr/bin/env bash
# Load and soak (issue 5) on the demo data: the read mix of bench/mix.lua (70% nearby, 20%
# reachable, 10% coverage) at saturation for DURATION, then a SOAK at half the measured
# throughput, with the server's resident memory sampled every minute.
#
#   bash bench/load.sh                                   # SQLite
#   DATABASE_URL=postgres://.../EMPTY_DB bash bench/load.sh   # PostgreSQL
#
# Knobs: DURATION (60s), SOAK (600, seconds; 0 skips it), CONNECTIONS (32), WORKERS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}
SOAK=${SOAK:-600}
export CONNECTIONS=${CONNECTIONS:-32}
source bench/server.sh
rss() { awk '/VmRSS/ {print $2 " " $3}' "/proc/$server/status"; }
echo "server: $base, database: ${DATABASE_URL%%:*}, demo data"

wrk -t1 -c4 -d5s -s bench/mix.lua "$base/graphql" >/dev/null 2>&1
echo "== saturation, $CONNECTIONS connections, $DURATION"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/mix.lua "$base/graphql" 2>"$tmp/errors" | tee "$tmp/load.txt" |
  grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors|requests in'
echo "bad responses: $(grep -c '^bad response' "$tmp/errors" || true)"
curl -fsS "$base/metrics" | grep -E '^graphql_(requests|errors)_total' || true

if [ "$SOAK" -gt 0 ]; then
  rate=$(awk '/Requests\/sec/ {printf "%d", $2 / 2}' "$tmp/load.txt")
  echo "== soak at $rate requests/s for $SOAK s"
  echo "RSS at start: $(rss)"
  RATE=$rate wrk -t1 -c"$CONNECTIONS" -d"${SOAK}s" --latency -s bench/mix.lua "$base/graphql" >"$tmp/soak.txt" 2>"$tmp/soak_errors" &
  load=$!
  for minute in $(seq 1 $((SOAK / 60))); do
    sleep 60
    echo "RSS after $minute min: $(rss)"
  done
  wait "$load"
  grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors|requests in' "$tmp/soak.txt"
  echo "bad responses: $(grep -c '^bad response' "$tmp/soak_errors" || true)"
  echo "RSS at end: $(rss)"
fi
