#!/usr/bin/env bash
# The province benchmark of issue 11: a synthetic province (bench/province_gen.py, fixed seed)
# and, side by side, a database holding only one of its districts.
# - import-osm of the whole province, and re-importing one city into it: time, peak memory;
# - start to first answer; coverage NETWORK of one district (about AREAS/100 areas) on the
#   province and on the one-district database; nearbyFacilities and reachableFacilities
#   (15 minutes, NETWORK) at random points; resident memory after DURATION seconds of random
#   district questions with --network-cache-mib 512.
#
#   bash bench/province.sh                       # 2 million edges, 50,000 facilities, 200,000 areas
#   SIDE=3200 FACILITIES=1000000 AREAS=2000000 DURATION=600 bash bench/province.sh   # issue 11's size
#
# Needs pyosmium (PyPI `osmium`, installed into target/bench-venv when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SIDE=${SIDE:-1000}
FACILITIES=${FACILITIES:-50000}
AREAS=${AREAS:-200000}
DURATION=${DURATION:-120}
REQUESTS=${REQUESTS:-200}
DISTRICT=${DISTRICT:-"4 5"}
venv=${BENCH_VENV:-target/bench-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q osmium
fi
cargo build --release --quiet --locked
bin=$(pwd)/${CARGO_TARGET_DIR:-target}/release/service-circle
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
read -r drow dcol <<<"$DISTRICT"
districts=$(( (SIDE / 100) * (SIDE / 100) ))
prefix=$(printf '64%04d' $(( drow * (SIDE / 100) + dcol )))
gen() { "$venv/bin/python" bench/province_gen.py "$@" --side "$SIDE"; }

echo "== generating: $SIDE x $SIDE street grid, $FACILITIES facilities, $AREAS residential areas"
[ -f "$work/province.osm.pbf" ] || gen network "$work/province.osm.pbf"
[ -f "$work/city.osm.pbf" ] || gen network "$work/city.osm.pbf" --city $drow $dcol
[ -f "$work/areas.csv" ] || gen places "$work/facilities.csv" "$work/areas.csv" --facilities "$FACILITIES" --areas "$AREAS"
[ -f "$work/district-areas.csv" ] || gen places "$work/district-facilities.csv" "$work/district-areas.csv" \
  --facilities "$FACILITIES" --areas "$AREAS" --only-district $drow $dcol
ls -la "$work"

timed() { # label, command...
  local label=$1; shift
  /usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>"$work/err" || { tail -3 "$work/err"; exit 1; }
  read -r seconds kib <"$work/time"
  echo "$label: $seconds s, peak RSS $((kib / 1024)) MiB ($(tail -1 "$work/err"))"
}
province="sqlite://$work/province.db?mode=rwc"
district="sqlite://$work/district.db?mode=rwc"
if [ ! -f "$work/province.db" ]; then
  echo "== importing"
  DATABASE_URL=$province timed "import-osm province" "$bin" import-osm "$work/province.osm.pbf"
  DATABASE_URL=$province timed "import facilities" "$bin" import facilities "$work/facilities.csv"
  DATABASE_URL=$province timed "import residential areas" "$bin" import residential-areas "$work/areas.csv"
  DATABASE_URL=$province timed "re-import one city into the province" "$bin" import-osm "$work/city.osm.pbf"
fi
if [ ! -f "$work/district.db" ]; then
  DATABASE_URL=$district timed "import-osm one district (its city)" "$bin" import-osm "$work/city.osm.pbf"
  DATABASE_URL=$district timed "import its facilities" "$bin" import facilities "$work/district-facilities.csv"
  DATABASE_URL=$district timed "import its areas" "$bin" import residential-areas "$work/district-areas.csv"
fi

serve() { # database url, port
  DATABASE_URL=$1 "$bin" serve --listen "127.0.0.1:$2" --network-cache-mib 512 --rate-limit-per-minute 0 \
    --max-computation-seconds 60 >"$work/serve-$2.log" 2>&1 &
  local pid=$! started
  started=$(date +%s.%N)
  until curl -sf -X POST "http://127.0.0.1:$2/graphql" -H 'content-type: application/json' \
      -d '{"query":"{ nearbyFacilities(near: {lon: 106.0, lat: 37.4}, limit: 1) { distanceMeters } }"}' >/dev/null 2>&1; do
    sleep 0.05
  done
  echo "server on $2 (pid $pid): first answer $(echo "$(date +%s.%N) - $started" | bc) s after start" >&2
  echo "$pid"
}
rss() { echo "$(( $(ps -o rss= -p "$1") / 1024 )) MiB"; }
echo "== serving"
ppid=$(serve "$province" 18301)
dpid=$(serve "$district" 18302)
echo "== coverage NETWORK of district $prefix, side by side"
for round in 1 2; do
  "$venv/bin/python" bench/province_load.py coverage http://127.0.0.1:18302 "$prefix" "$REQUESTS" | sed 's/^/one district: /'
  "$venv/bin/python" bench/province_load.py coverage http://127.0.0.1:18301 "$prefix" "$REQUESTS" | sed 's/^/province:     /'
done
echo "== nearby and reachable at random points of the province"
"$venv/bin/python" bench/province_load.py points http://127.0.0.1:18301 "$REQUESTS" "$SIDE" 100
echo "== $DURATION s of random district questions (memory)"
echo "province server before: $(rss "$ppid")"
"$venv/bin/python" bench/province_load.py districts http://127.0.0.1:18301 "$DURATION" "$districts"
echo "province server after: $(rss "$ppid")"
curl -s "http://127.0.0.1:18301/metrics" | grep '^network_' || true
kill "$ppid" "$dpid"
