# Sourced by the bench scripts: builds the release binary and starts a server on a free port
# against $DATABASE_URL (default: a temporary SQLite file). Sets $base, $tmp and $server, and
# stops the server on exit. Arguments: the demo command's options (unless the sourcing script
# defines `prepare`, which then loads the data). BIN: a binary to run instead of building one
# (to measure two builds side by side).
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -z "${BIN:-}" ]; then cargo build --release --quiet --locked; fi
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/service-circle}
tmp=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/bench.db?mode=rwc}"
export RUST_LOG=warn
# A script may define `prepare` to load its own data instead of the demo data set.
if declare -F prepare >/dev/null; then prepare; else "$bin" demo "$@"; fi
# SERVE_FLAGS: extra flags for the server (word-split on purpose).
# shellcheck disable=SC2086
"$bin" serve --listen 127.0.0.1:0 --rate-limit-exempt-loopback --workers "${WORKERS:-2}" ${SERVE_FLAGS:-} >"$tmp/out" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { echo "the server did not start" >&2; exit 1; }
