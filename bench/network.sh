#!/usr/bin/env bash
# Walking-network benchmark (issue 4), on the Monaco and Liechtenstein extracts:
# - import-osm: wall time and peak memory;
# - the loaded graph's bytes per edge, and one 15-minute isochrone;
# - the city-wide nearest-facility pass (every node's walk to its nearest of the same facility
#   nodes) in service-circle and, side by side, in pandana (nearest_pois), scipy
#   (csgraph.dijkstra, min_only=True) and networkx (multi_source_dijkstra), answers checked
#   against scipy's;
# - the `coverage` query over HTTP with the network model on Liechtenstein, about 2,000
#   residential areas and 60 facilities, next to the straight-line model.
#
#   bash bench/network.sh
#
# Knobs: DATA (data/osm), BOUNDS ("900 5000", metres), DURATION (10s),
# PEERS_VENV (target/peers-venv: created with the peers from PyPI when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-data/osm}
BOUNDS=${BOUNDS:-900 5000}
DURATION=${DURATION:-10s}
venv=${PEERS_VENV:-target/peers-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandana==0.8 scipy==1.17.1 networkx==3.6.1 pandas numpy
fi
cargo build --release --quiet --locked
cargo build --release --quiet --locked -p api --example network_pass
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for extract in monaco liechtenstein; do
  echo "== $extract"
  DATABASE_URL="sqlite://$work/$extract.db?mode=rwc" /usr/bin/time -o "$work/time" -f "%e %M" \
    "${CARGO_TARGET_DIR:-target}"/release/service-circle import-osm "$DATA/$extract.osm.pbf" >/dev/null 2>&1
  read -r seconds kib <"$work/time"
  echo "import-osm: $seconds s wall, peak RSS $((kib / 1024)) MiB (read, build, store in SQLite)"
  # shellcheck disable=SC2086
  "${CARGO_TARGET_DIR:-target}"/release/examples/network_pass "$DATA/$extract.osm.pbf" "$work/$extract" $BOUNDS | tee "$work/$extract.txt"
  ours=$(sed -n 's/^nearest-facility pass, bound \([0-9.]*\) m: median \([0-9.]*\) ms.*/\1=\2/p' "$work/$extract.txt" | paste -sd,)
  "$venv/bin/python" bench/network_peers.py "$work/$extract" "$ours"
done

echo "== coverage over HTTP, Liechtenstein network"
prepare() {
  "$bin" import-osm "$DATA/liechtenstein.osm.pbf" >/dev/null 2>&1
  # Areas and facilities near random network nodes (fixed seed), as CSV imports.
  python3 - "$work/liechtenstein/nodes.csv" "$tmp" <<'PY'
import csv, random, sys
nodes = list(csv.DictReader(open(sys.argv[1])))
rng = random.Random(2026)
jitter = lambda v: float(v) + rng.uniform(-0.0005, 0.0005)
with open(f"{sys.argv[2]}/areas.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "lon", "lat", "population", "elderlyPopulation"])
    for i in range(2000):
        n = rng.choice(nodes)
        population = rng.randint(50, 3000)
        w.writerow([f"area {i}", jitter(n["lon"]), jitter(n["lat"]), population, rng.randint(0, population // 4)])
with open(f"{sys.argv[2]}/facilities.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "kind", "lon", "lat"])
    for i in range(60):
        n = rng.choice(nodes)
        w.writerow([f"day care {i}", "DAY_CARE_CENTER", n["lon"], n["lat"]])
PY
  "$bin" import residential-areas "$tmp/areas.csv" >/dev/null 2>&1
  "$bin" import facilities "$tmp/facilities.csv" >/dev/null 2>&1
}
source bench/server.sh
# Prints the answer once, then latency over one connection.
measure() { # label query
  echo "-- $1, 1 connection"
  curl -fsS "$base/graphql" -H 'content-type: application/json' -d "{\"query\":\"$2\"}"
  echo
  QUERY="$2" wrk -t1 -c1 -d2s -s bench/query.lua "$base/graphql" >/dev/null
  QUERY="$2" wrk -t1 -c1 -d"$DURATION" --latency -s bench/query.lua "$base/graphql" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx'
}
for model in NETWORK STRAIGHT_LINE; do
  measure "coverage, $model" "{ coverage(input: { minutes: 15, travel: { model: $model } }) { residentialAreas coveredResidentialAreas elderlyCoverageRatio } }"
done
measure "suggestSites (count 5, NETWORK; candidates: the uncovered areas)" \
  "{ suggestSites(input: { coverage: { minutes: 15, travel: { model: NETWORK } }, count: 5 }) { elderlyCoverageRatioBefore elderlyCoverageRatioAfter } }"
