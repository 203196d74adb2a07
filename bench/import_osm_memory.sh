#!/usr/bin/env bash
# Peak memory and time of `service-circle import-osm` on a synthetic province (issue 11, item
# 4): the street grid of bench/province_gen.py at SIDE x SIDE nodes (1000: ~1M nodes; 3200,
# the issue's province: ~10M), imported into a fresh SQLite database with each MEMORY_MIB
# budget. BEFORE=/path/to/an/older/service-circle runs the same file through that binary too.
#
#   SIDE=3200 MEMORY_MIB="64 256" BEFORE=/tmp/sc-before bash bench/import_osm_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIDE=${SIDE:-1000}
MEMORY_MIB=${MEMORY_MIB:-"64 256"}
venv=${BENCH_VENV:-target/bench-venv}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q osmium; }
cargo build --release --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/release/service-circle
mkdir -p target/osmbench
extract=target/osmbench/p$SIDE.osm.pbf
[ -f "$extract" ] || "$venv/bin/python" bench/province_gen.py network "$extract" --side "$SIDE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {
  local label=$1; shift
  local db="$work/$RANDOM.db"
  DATABASE_URL="sqlite://$db?mode=rwc" RUST_LOG=warn /usr/bin/time -f "%e s %M KiB" -o "$work/time" "$@" >/dev/null 2>"$work/err" \
    || { echo "$label: failed: $(tail -1 "$work/err")"; return; }
  read -r seconds _ kib _ <"$work/time"
  echo "$label: $seconds s, peak RSS $((kib / 1024)) MiB; $(grep -o '[0-9]* nodes, [0-9]* edges in [0-9]* tiles' "$work/err")"
  rm -f "$db"*
}
echo "== import-osm $(basename "$extract") ($(du -h "$extract" | cut -f1)), $(nproc) cores"
[ -n "${BEFORE:-}" ] && run "before ($BEFORE)" "$BEFORE" import-osm "$extract"
for mib in $MEMORY_MIB; do
  run "--memory-mib $mib" "$bin" import-osm "$extract" --memory-mib "$mib"
done
