# Sourced by the bench scripts: builds the release binary and starts a server on a free port
# against $DATABASE_URL (default: a temporary SQLite file). Sets $base, $tmp and $server, and
# stops the server on exit. Arguments: the demo command's options.
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --locked
bin=target/release/service-circle
tmp=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="${DATABASE_URL:-sqlite://$tmp/bench.db?mode=rwc}"
export RUST_LOG=warn
"$bin" demo "$@"
"$bin" serve --listen 127.0.0.1:0 --workers "${WORKERS:-2}" >"$tmp/out" &
server=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$tmp/out")
[ -n "$base" ] || { echo "the server did not start" >&2; exit 1; }
