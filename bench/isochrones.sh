#!/usr/bin/env bash
# One 15-minute elderly isochrone, in-process, side by side with Valhalla (issue 11): the same
# extract, the same origins (random points near the network, fixed seed), our
# `api/examples/isochrones.rs` and pyvalhalla's Actor.isochrone (pedestrian, 2.7 km/h),
# each with its default outline generalisation and with Valhalla's tolerance (27.64 m).
#
#   bash bench/isochrones.sh            # Monaco (dense city) and Liechtenstein
#
# pyvalhalla 3.9 wheels need Python 3.12 or later: PYTHON312 (default: the first python3.12
# found, or pyenv's) makes the venv target/valhalla-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ORIGINS=${ORIGINS:-200}
venv=${VALHALLA_VENV:-target/valhalla-venv}
if [ ! -x "$venv/bin/python" ]; then
  py=${PYTHON312:-$(command -v python3.12 || ls /root/.pyenv/versions/3.12*/bin/python3 2>/dev/null | head -1)}
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q pyvalhalla==3.9.1 pyproj
fi
cargo build --release --quiet --locked -p api --example isochrones
ours=${CARGO_TARGET_DIR:-target}/release/examples/isochrones
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for extract in monaco liechtenstein; do
  pbf=data/osm/$extract.osm.pbf
  echo "== $extract, $ORIGINS origins"
  "$ours" "$pbf" --write-origins "$ORIGINS" "$work/$extract.csv"
  "$ours" "$pbf" "$work/$extract.csv"
  "$ours" "$pbf" "$work/$extract.csv" 27.64
  "$venv/bin/python" bench/valhalla_isochrones.py "$pbf" "$work/$extract.csv" "$work/$extract-valhalla"
  "$venv/bin/python" bench/valhalla_isochrones.py "$pbf" "$work/$extract.csv" "$work/$extract-valhalla" --generalize 4
done
