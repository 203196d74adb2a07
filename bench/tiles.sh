#!/usr/bin/env bash
# Facility tiles side by side (issue 14): service-circle's /tiles/facilities/{z}/{x}/{y}.mvt
# against Martin (crates.io `martin`, PostGIS table source) on the same FACILITIES facilities
# spread over Ningxia's towns. Installs what the peer needs: Debian's PostGIS for the installed
# PostgreSQL (started when not running), Martin built with cargo into bench/out/martin, and
# mapbox-vector-tile (PyPI) to check both tiles hold the same facilities. Then TILES distinct
# tiles at zooms 10-16 where facilities are, one request at a time with gzip, on each server.
#
#   bash bench/tiles.sh                                # service-circle on SQLite
#   DATABASE_URL=postgres://.../db bash bench/tiles.sh   # service-circle on PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
FACILITIES=${FACILITIES:-100000}
TILES=${TILES:-2000}
export MARTIN_PORT=${MARTIN_PORT:-15434}
MARTIN_VERSION=1.14.0
peer_db=bench_martin
export MARTIN_DATABASE_URL="postgres://bench_martin:bench_martin@127.0.0.1:5432/$peer_db"

source bench/postgis.sh
postgis_database "$peer_db"

martin=bench/out/martin/bin/martin
if [[ ! -x $martin ]] || ! "$martin" --version | grep -q "$MARTIN_VERSION"; then
  CARGO_TARGET_DIR=${MARTIN_TARGET_DIR:-bench/out/martin-target} cargo install martin --version "$MARTIN_VERSION" \
    --no-default-features --features postgres --locked --root bench/out/martin
fi
venv=${BENCH_VENV:-target/bench-venv}
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import mapbox_vector_tile' 2>/dev/null || "$venv/bin/pip" install -q mapbox-vector-tile==2.2.0

prepare() {
  "$venv/bin/python" bench/martin/tiles.py generate "$tmp/facilities.csv" "$FACILITIES" 14
  "$bin" import facilities "$tmp/facilities.csv" >/dev/null
}
source bench/server.sh
PGPASSWORD=bench_martin psql -q -h 127.0.0.1 -U bench_martin -d "$peer_db" -f bench/martin/schema.sql <"$tmp/facilities.csv"
sed -e "s|PORT|$MARTIN_PORT|; s|WORKERS|${WORKERS:-2}|; s|DATABASE_URL|$MARTIN_DATABASE_URL|" bench/martin/config.yaml >"$tmp/martin.yaml"
"$martin" --config "$tmp/martin.yaml" >"$tmp/martin.out" 2>&1 &
peer=$!
trap 'kill "$peer" 2>/dev/null || true; kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$MARTIN_PORT/catalog" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null "http://127.0.0.1:$MARTIN_PORT/catalog" || { echo "Martin did not start:" >&2; cat "$tmp/martin.out" >&2; exit 1; }
echo "service-circle: $base, database: ${DATABASE_URL%%:*}; peer: $("$martin" --version) on PostGIS, PostgreSQL $version; $FACILITIES facilities, $(nproc) cores"

"$venv/bin/python" bench/martin/tiles.py compare "$base" "http://127.0.0.1:$MARTIN_PORT" "$tmp/facilities.csv" 200
for round in 1 2; do
  # Each round asks tiles no round asked before: Martin's tile cache (on by default) cannot
  # answer them, nor does the service keep tiles.
  echo "== round $round: $TILES distinct tiles, zooms 10-16, one at a time"
  skip=$(((round - 1) * TILES))
  "$venv/bin/python" bench/martin/tiles.py load "$base" "/tiles/facilities/{z}/{x}/{y}.mvt" "$tmp/facilities.csv" "$TILES" "$skip"
  "$venv/bin/python" bench/martin/tiles.py load "http://127.0.0.1:$MARTIN_PORT" "/facility/{z}/{x}/{y}" "$tmp/facilities.csv" "$TILES" "$skip"
done
