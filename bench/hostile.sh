#!/usr/bin/env bash
# Hostile load (issue 12): a legitimate client runs the read mix of bench/mix.lua (70% nearby,
# 20% reachable, 10% coverage) at a fixed rate from many addresses, and a second one only the
# nearby query (the issue's target is its p99), while attackers send, each
# at its rate limit (600/min), the most expensive documents the server accepts and the refused
# ones of the issue (bench/hostile.py). The server trusts X-Forwarded-For, as behind a proxy,
# so every attacker is a client of its own. Prints the legitimate latency and errors, /healthz
# worst time, and the server's memory: idle (after one pass of the read mix has loaded what a
# first user loads), peak, and 10 s and 60 s after the attack (database connections a burst
# opened close after 30 s idle).
#
#   bash bench/hostile.sh   # DURATION (60), LEGIT_RATE (200/s), NEARBY_RATE (50/s), ADDRESSES (2 per attack),
#                           # ATTACKER_NICE (10)
#   ADDRESSES=0 bash bench/hostile.sh   # the same legitimate load with no attacker: the baseline
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
LEGIT_RATE=${LEGIT_RATE:-200}
NEARBY_RATE=${NEARBY_RATE:-50}
ADDRESSES=${ADDRESSES:-2}
# The attackers share this machine's cores with the server and the legitimate client; niced,
# they take the CPU left over, as attackers on machines of their own would. 0 to compare.
ATTACKER_NICE=${ATTACKER_NICE:-10}
export CONNECTIONS=${CONNECTIONS:-16}
SERVE_FLAGS="--trust-forwarded-for" source bench/server.sh
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo "server: $base, database: ${DATABASE_URL%%:*}, demo data, $(nproc) cores"
curl -fsS -o /dev/null "$base/healthz"
CLIENTS=64 wrk -t1 -c4 -d3s -s bench/mix.lua "$base/graphql" >/dev/null 2>&1
sleep 5
idle=$(rss)
echo "idle RSS: $idle KiB"

CLIENTS=4096 RATE=$LEGIT_RATE wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/mix.lua "$base/graphql" \
  >"$tmp/legit.txt" 2>"$tmp/legit_errors" &
legit=$!
CLIENTS=4096 MIX=nearby CONNECTIONS=4 RATE=$NEARBY_RATE wrk -t1 -c4 -d"${DURATION}s" --latency -s bench/mix.lua \
  "$base/graphql" >"$tmp/nearby.txt" 2>"$tmp/nearby_errors" &
nearby=$!
python3 bench/hostile.py "$base" --pid "$server" --seconds "$DURATION" --addresses "$ADDRESSES" \
  --nice "$ATTACKER_NICE" >"$tmp/attack.json"
wait "$legit" "$nearby"
sleep 10
after=$(rss)
sleep 50
later=$(rss)

echo "== legitimate read mix at $LEGIT_RATE/s (4096 client addresses)"
grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors|requests in' "$tmp/legit.txt"
echo "legitimate bad responses: $(grep -c '^bad response' "$tmp/legit_errors" || true)"
grep '^bad response' "$tmp/legit_errors" | cut -c1-200 | sort | uniq -c | sort -rn | head -5 || true
echo "== legitimate nearbyFacilities alone at $NEARBY_RATE/s"
grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors|requests in' "$tmp/nearby.txt"
echo "nearby bad responses: $(grep -c '^bad response' "$tmp/nearby_errors" || true)"
echo "== attackers, /healthz and memory"
cat "$tmp/attack.json"
python3 - "$tmp/attack.json" "$idle" "$after" "$later" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
idle, after, later = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
peak = report["memory"]["peak_rss_kib"]
print(f"RSS idle {idle/1024:.0f} MiB, peak {peak/1024:.0f} MiB (+{(peak-idle)/1024:.0f}), "
      f"10 s after {after/1024:.0f} MiB ({100*(after-idle)/idle:+.1f}%), "
      f"60 s after {later/1024:.0f} MiB ({100*(later-idle)/idle:+.1f}%)")
PY
