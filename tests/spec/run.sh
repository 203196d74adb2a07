#!/usr/bin/env bash
# GraphQL-specification checks against graphql-js (npm `graphql`, installed with the map page's
# packages) on a real server with the demo data.
#
#   bash tests/spec/run.sh [SERVER_BINARY]     (default: target/debug/service-circle)
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-target/debug/service-circle}
[[ -x $binary ]] || { echo "no server binary at $binary (cargo build first, or pass its path)" >&2; exit 2; }
[[ -d web/node_modules/graphql && -d web/node_modules/graphql-http ]] || npm ci --prefix web --no-audit --no-fund
work=$(mktemp -d)
server_pid=
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
RUST_LOG=warn "$binary" serve --listen 127.0.0.1:0 --database-url "sqlite://$work/spec.db?mode=rwc" --demo \
  --rate-limit-exempt-loopback >"$work/out" 2>"$work/err" &
server_pid=$!
for _ in $(seq 1 600); do grep -q '^listening on ' "$work/out" && break; sleep 0.1; done
SERVER_URL=$(sed -n 's/^listening on //p' "$work/out")
[[ -n $SERVER_URL ]] || { cat "$work/err" >&2; echo "the server did not start" >&2; exit 1; }
export SERVER_URL
node --test tests/spec/
