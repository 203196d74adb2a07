#!/usr/bin/env bash
# Coverage query latency over HTTP on the demo data set (issue 3): one connection at a time
# (latency) and four at once (throughput).
#
#   bash bench/coverage.sh                                   # SQLite
#   DATABASE_URL=postgres://.../EMPTY_DB bash bench/coverage.sh  # PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
source bench/server.sh
echo "server: $base, database: ${DATABASE_URL%%:*}, demo data"
# The planner's coverage question over the whole demo district.
export QUERY="{ coverage(input: { filter: { categories: [ELDER_CARE] } }) { residentialAreas coveredResidentialAreas elderlyPopulation coveredElderlyPopulation elderlyCoverageRatio byCommunity { communityCode elderlyCoverageRatio } } }"
wrk -t1 -c1 -d2s -s bench/query.lua "$base/graphql" >/dev/null
for c in 1 4; do
  echo "== coverage, $c connection(s)"
  wrk -t1 -c"$c" -d"$DURATION" --latency -s bench/query.lua "$base/graphql" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx'
done
