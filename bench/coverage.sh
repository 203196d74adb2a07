#!/usr/bin/env bash
# Coverage query latency over HTTP on the demo data set (issue 3): one connection at a time
# (latency) and four at once (throughput).
#
#   bash bench/coverage.sh                                   # SQLite
#   DATABASE_URL=postgres://.../EMPTY_DB bash bench/coverage.sh  # PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --locked
bin=target/release/service-circle
tmp=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/bench.db?mode=rwc}"
export RUST_LOG=warn
"$bin" demo
"$bin" serve --listen 127.0.0.1:0 --workers 2 >"$tmp/out" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
echo "server: $base, database: ${DATABASE_URL%%:*}, demo data"
wrk -t1 -c1 -d2s -s bench/coverage.lua "$base/graphql" >/dev/null
for c in 1 4; do
  echo "== coverage, $c connection(s)"
  wrk -t1 -c"$c" -d"$DURATION" --latency -s bench/coverage.lua "$base/graphql" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx'
done
