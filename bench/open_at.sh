#!/usr/bin/env bash
# What `openAt` costs: the same nearby search and coverage report with and without
# `openAt` ("weekday lunch"), side by side on one server (demo data + EXTRA scattered facilities).
# At that time every demo kind is open except enterprise care points (hours unknown), so the
# coverage question is also asked with a `kinds` filter naming the same facilities: the same
# answer (checked) by a filter that costs nothing, which isolates what evaluating hours costs.
#
#   bash bench/open_at.sh          Knobs: EXTRA (20000), DURATION (10s), CONNECTIONS (16).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
source bench/server.sh --extra-facilities "${EXTRA:-20000}"
at='2026-11-25T12:00:00+08:00'
near='near: { lon: 106.28, lat: 38.47 }, limit: 20'
cover='minutes: 15, travel: { model: STRAIGHT_LINE }'
run() { # name query
  QUERY="$2" wrk -t1 -c2 -d1s -s bench/query.lua "$base/graphql" >/dev/null
  QUERY="$2" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/query.lua "$base/graphql" >"$tmp/$1.txt"
  printf '%-22s %10s req/s  p50 %8s  p99 %8s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$tmp/$1.txt")" "$(awk '$1 == "99%" {print $2}' "$tmp/$1.txt")"
}
ratio() { awk -v a="$(awk '/Requests\/sec/ {print $2}' "$tmp/$1.txt")" -v b="$(awk '/Requests\/sec/ {print $2}' "$tmp/$2.txt")" \
  'BEGIN { printf "%s / %s throughput: %.2f\n", ARGV[1], ARGV[2], b / a }' "$2" "$1"; }
run nearby "{ nearbyFacilities($near) { distanceMeters } }"
run nearby_open_at "{ nearbyFacilities($near, filter: { openAt: \\\"$at\\\" }) { distanceMeters } }"
run coverage "{ coverage(input: { $cover }) { elderlyCoverageRatio } }"
run coverage_open_at "{ coverage(input: { $cover, filter: { openAt: \\\"$at\\\" } }) { elderlyCoverageRatio } }"
kinds='kinds: [COMMUNITY_CANTEEN, MEAL_POINT, PARTNER_RESTAURANT, DAY_CARE_CENTER, SENIOR_ACTIVITY_CENTER, RURAL_HAPPINESS_HOME, NURSING_HOME, COMMUNITY_CARE_STATION, OUTDOOR_WORKER_STATION]'
run coverage_same_kinds "{ coverage(input: { $cover, filter: { $kinds } }) { elderlyCoverageRatio } }"
ask() { curl -s "$base/graphql" -H 'content-type: application/json' -d "{\"query\":\"$1\"}"; }
a=$(ask "{ coverage(input: { $cover, filter: { openAt: \\\"$at\\\" } }) { coveredElderlyPopulation } }")
b=$(ask "{ coverage(input: { $cover, filter: { $kinds } }) { coveredElderlyPopulation } }")
[ "$a" = "$b" ] || { echo "openAt and kinds answers differ: $a vs $b" >&2; exit 1; }
ratio nearby nearby_open_at
ratio coverage coverage_open_at
ratio coverage_same_kinds coverage_open_at
