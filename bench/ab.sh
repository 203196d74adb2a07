#!/usr/bin/env bash
# Two builds side by side on one database: the nearby query (bench/nearby.lua) in alternating
# rounds, each build's throughput, p99 and server CPU time per request (user + system, from
# /proc). On a noisy machine CPU per request moves far less than throughput between rounds, so
# it shows a change of a few percent that req/s hides.
#
#   bash bench/ab.sh OLD_BINARY NEW_BINARY
#   DATABASE_URL=postgres://.../db bash bench/ab.sh OLD NEW   # an empty database
#
# Build the old one first, e.g. `git stash; cargo build --release; cp
# target/release/service-circle /tmp/old; git stash pop; cargo build --release`.
# Knobs: FACILITIES (100000), ROUNDS (3), ROUND (10s), WARMUP (20s per server, unmeasured),
# CONNECTIONS (32), WORKERS (2). The first binary loads the data (`demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 2 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
old=$1 new=$2
FACILITIES=${FACILITIES:-100000}
ROUNDS=${ROUNDS:-3}
ROUND=${ROUND:-10s}
WARMUP=${WARMUP:-20s}
CONNECTIONS=${CONNECTIONS:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/bench.db?mode=rwc}"
export RUST_LOG=warn
"$old" demo --extra-facilities "$((FACILITIES - 467))" >"$tmp/demo" 2>&1 || { cat "$tmp/demo" >&2; exit 1; }

bases=()
for bin in "$old" "$new"; do
  n=${#pids[@]}
  "$bin" serve --listen 127.0.0.1:0 --rate-limit-exempt-loopback --workers "${WORKERS:-2}" >"$tmp/out$n" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out$n" && break; sleep 0.1; done
  base=$(sed -n 's/^listening on //p' "$tmp/out$n")
  [[ -n $base ]] || { echo "$bin did not start" >&2; exit 1; }
  bases+=("$base")
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
names=(old new)
for i in 0 1; do wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/nearby.lua "${bases[$i]}/graphql" >/dev/null; done
echo "database: ${DATABASE_URL%%:*}, $FACILITIES facilities, $CONNECTIONS connections, $ROUND rounds"
for round in $(seq 1 "$ROUNDS"); do
  for i in 0 1; do
    before=$(cpu_ticks "${pids[$i]}")
    wrk -t1 -c"$CONNECTIONS" -d"$ROUND" --latency -s bench/nearby.lua "${bases[$i]}/graphql" >"$tmp/wrk" 2>"$tmp/err"
    after=$(cpu_ticks "${pids[$i]}")
    [[ ! -s $tmp/err ]] || { echo "bad responses:" >&2; head -c 600 "$tmp/err" >&2; exit 1; }
    awk -v name="${names[$i]}" -v round="$round" -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
      /requests in/ { n = $1 } /Requests\/sec/ { rate = $2 } $1 == "99%" { p99 = $2 }
      END { printf "round %d %-4s %10.0f req/s   p99 %8s   %6.1f us CPU per request\n", round, name, rate, p99, ticks / hz * 1e6 / n }
    ' "$tmp/wrk"
  done
done
