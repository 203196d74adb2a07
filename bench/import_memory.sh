#!/usr/bin/env bash
# Peak memory and time of `service-circle import` on large files (issue 11, item 4): ROWS
# facilities as CSV and as GeoJSON, and ROWS residential areas as GeoJSON, each imported into
# a fresh SQLite database. BEFORE=/path/to/an/older/service-circle runs the same files
# through that binary too, side by side.
#
#   ROWS=100000 bash bench/import_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
cargo build --release --quiet --locked
bin=${CARGO_TARGET_DIR:-target}/release/service-circle
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$ROWS" <<'PY'
import csv, json, random, sys
out, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(11)
kinds = ["MEAL_POINT", "DAY_CARE_CENTER", "SENIOR_ACTIVITY_CENTER", "OUTDOOR_WORKER_STATION"]
points = [(106.0 + rng.random() * 0.6, 38.2 + rng.random() * 0.5) for _ in range(rows)]
with open(f"{out}/facilities.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "kind", "lon", "lat", "capacity", "services"])
    for i, (lon, lat) in enumerate(points):
        w.writerow([f"facility {i}", kinds[i % 4], lon, lat, 20 + i % 50, "LOW_SALT_MEALS;TEA"])
def collection(features):
    return {"type": "FeatureCollection", "features": features}
with open(f"{out}/facilities.geojson", "w") as f:
    json.dump(collection([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": f"facility {i}", "kind": kinds[i % 4], "capacity": 20 + i % 50}}
        for i, (lon, lat) in enumerate(points)]), f)
with open(f"{out}/areas.geojson", "w") as f:
    json.dump(collection([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": f"area {i}", "population": 1000, "elderlyPopulation": 200,
                       "communityCode": f"640104{i % 1000:06d}"}}
        for i, (lon, lat) in enumerate(points)]), f)
PY
run() {
  local label=$1 binary=$2 what=$3 file=$4
  local db="$work/$label-$(basename "$file").db"
  DATABASE_URL="sqlite://$db?mode=rwc" /usr/bin/time -o "$work/time" -f "%e %M" "$binary" import "$what" "$file" >/dev/null 2>"$work/err" \
    || { echo "$label $what $(basename "$file"): failed"; tail -2 "$work/err"; return; }
  read -r seconds kib <"$work/time"
  printf '%-7s %-18s %-18s %7s s  peak RSS %5d MiB  (%s)\n' "$label" "$what" "$(basename "$file")" "$seconds" $((kib / 1024)) "$(tail -1 "$work/err")"
}
for spec in "facilities facilities.csv" "facilities facilities.geojson" "residential-areas areas.geojson"; do
  read -r what file <<<"$spec"
  echo "== $ROWS rows: $what from $file ($(du -h "$work/$file" | cut -f1))"
  run now "$bin" "$what" "$work/$file"
  if [ -n "${BEFORE:-}" ]; then run before "$BEFORE" "$what" "$work/$file"; fi
done
