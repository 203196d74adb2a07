"""Latency of GraphQL questions against running servers, sequentially, one connection each
(issue 11's province figures). Prints p50 / p99 / max in milliseconds per question kind.

    python province_load.py coverage URL PREFIX N
    python province_load.py points URL N SIDE SPACING          # nearby + reachable (NETWORK)
    python province_load.py districts URL SECONDS DISTRICTS    # random district coverage, for memory
"""
import http.client, json, math, os, random, sys, time, urllib.parse

ORIGIN = (105.8, 37.2)


def client(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def ask(conn, query, variables):
    body = json.dumps({"query": query, "variables": variables})
    started = time.perf_counter()
    conn.request("POST", "/graphql", body, {"content-type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    elapsed = (time.perf_counter() - started) * 1000
    if answer.get("errors"):
        raise SystemExit(f"error: {answer['errors'][0]}")
    return elapsed, answer["data"]


def report(name, times):
    times = sorted(times)
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"{name}: n={len(times)} p50 {pick(0.5):.1f} ms  p99 {pick(0.99):.1f} ms  max {times[-1]:.1f} ms")


COVERAGE = """query($p: String) { coverage(input: { communityCodePrefix: $p, travel: { model: NETWORK } }) {
  residentialAreas coveredResidentialAreas elderlyCoverageRatio } }"""
NEARBY = "query($p: PointInput!) { nearbyFacilities(near: $p, limit: 20) { distanceMeters facility { id } } }"
REACHABLE = """query($p: PointInput!) { reachableFacilities(from: $p, minutes: 15, travel: { model: NETWORK }) {
  travelMinutes facility { id } } }"""


def main():
    what = sys.argv[1]
    conn = client(sys.argv[2])
    rng = random.Random(int(os.environ.get("SEED", "7")))
    if what == "coverage":
        prefix, n = sys.argv[3], int(sys.argv[4])
        _, data = ask(conn, COVERAGE, {"p": prefix})
        print("coverage answer:", json.dumps(data["coverage"]))
        report(f"coverage NETWORK of district {prefix}", [ask(conn, COVERAGE, {"p": prefix})[0] for _ in range(n)])
    elif what == "points":
        n, side, spacing = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        mx, my = 111_320.0 * math.cos(math.radians(ORIGIN[1])), 110_574.0
        extent = side * spacing
        points = [{"lon": ORIGIN[0] + rng.uniform(0, extent) / mx, "lat": ORIGIN[1] + rng.uniform(0, extent) / my}
                  for _ in range(n)]
        report("nearbyFacilities (20)", [ask(conn, NEARBY, {"p": p})[0] for p in points])
        report("reachableFacilities 15 min NETWORK", [ask(conn, REACHABLE, {"p": p})[0] for p in points])
    elif what == "districts":
        seconds, districts = float(sys.argv[3]), int(sys.argv[4])
        end, times = time.time() + seconds, []
        while time.time() < end:
            times.append(ask(conn, COVERAGE, {"p": f"64{rng.randrange(districts):04d}"})[0])
        report("random district coverage NETWORK", times)


main()
