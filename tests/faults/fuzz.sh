#!/usr/bin/env bash
# Hostile input (issue 5): schemathesis (from PyPI) generates GraphQL queries and mutations from
# the served schema and sends them, with an admin token, to the real server on the demo data;
# it fails on any HTTP 5xx. A bounded number of examples per operation and deterministic
# generation keep the run short and repeatable. Then the server's metrics must show no
# INTERNAL_SERVER_ERROR and its log no panic. Custom scalars get values from fuzz_hooks.py.
#
#   bash tests/faults/fuzz.sh            # SQLite; DATABASE_URL=postgres://... for PostgreSQL
#
# Knobs: EXAMPLES (25 per operation), FUZZ_VENV (target/fuzz-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES=${EXAMPLES:-25}
venv=${FUZZ_VENV:-target/fuzz-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q schemathesis==4.32.5
fi
cargo build --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/debug/service-circle
tmp=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/fuzz.db?mode=rwc}"
"$bin" demo >/dev/null 2>&1
token=$("$bin" token create --role admin --name fuzz)
RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --rate-limit-exempt-loopback >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { cat "$tmp/err"; exit 1; }

SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH=tests/faults "$venv/bin/schemathesis" run "$base/graphql" \
  --checks not_a_server_error --max-examples "$EXAMPLES" --generation-deterministic \
  --workers 1 --phases fuzzing -H "Authorization: Bearer $token" 2>&1 | tail -25

# The shapes of issue 12 (huge documents, lists and polygons, aliases at the cost limit, a
# made-up token on many fields), a few times each: refused or answered, never a 5xx.
python3 bench/hostile.py "$base" --pid "$server" --seconds 15 --per-second 2 --addresses 1 --check | tail -4

kill -0 "$server" || { echo "the server died"; cat "$tmp/err"; exit 1; }
internal=$(curl -fsS "$base/metrics" | awk '/^graphql_errors_total/ && /INTERNAL_SERVER_ERROR/ {n += $2} END {print n + 0}')
echo "INTERNAL_SERVER_ERROR responses: $internal"
[ "$internal" = 0 ] || { grep -i error "$tmp/err" | head -20; exit 1; }
! grep -qi panicked "$tmp/err" || { echo "a panic was logged"; exit 1; }
echo "fuzzing: no 5xx, no internal errors"
