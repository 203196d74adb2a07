#!/usr/bin/env bash
# How fast a facility change reaches subscribers of another instance over PostgreSQL
# (LISTEN/NOTIFY), against the write's own HTTP round trip measured in the same run.
#
#   bash bench/subscriptions.sh            (PostgreSQL at $PG_URL, default the CI role)
#
# Two release servers (A, B) on a fresh database; SUBSCRIBERS WebSocket subscribers on A;
# WRITES sequential facility updates through B. For each write: the HTTP round trip at B, and
# the time from sending it until every subscriber has the event.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://service_circle:service_circle@127.0.0.1:5432}
cargo build --release --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/release/service-circle
venv=target/peers-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import websockets' 2>/dev/null || "$venv/bin/pip" install -q 'websockets==15.0.1'

db=service_circle_bench_subs
runuser -u postgres -- dropdb --if-exists "$db"
runuser -u postgres -- createdb -O service_circle "$db"
export DATABASE_URL="$PG_URL/$db" RUST_LOG=warn
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin" demo >/dev/null 2>&1
token=$("$bin" token create --role editor --name bench)
for name in a b; do
  "$bin" serve --listen 127.0.0.1:0 --workers 1 --rate-limit-per-minute 0 >"$tmp/$name" &
  pids+=($!)
done
for name in a b; do
  for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/$name" && break; sleep 0.1; done
done
a=$(sed -n 's/^listening on //p' "$tmp/a")
b=$(sed -n 's/^listening on //p' "$tmp/b")
for n in ${SUBSCRIBERS:-1 100}; do
  "$venv/bin/python" bench/subscription_latency.py "$a" "$b" "$token" "$n" "${WRITES:-300}"
done
