"""A travel-time heatmap on a walking network over HTTP (issue 14): a fresh SQLite database with
Liechtenstein's network (data/osm) and 300 meal points at random points of the country (fixed
seed), then REQUESTS sequential `travelTimeGrid` questions (H3 resolution 10, NETWORK, up to
30 minutes) over a polygon of about 150 km2: about 10,000 cells. Three documents: `cellCount`
alone (the cells and the walk), every cell's index, minutes and reach (plus resolving ~10,000
GraphQL objects), and the GeoJSON hexagons (`features`, what a map draws). Prints p50 / p99 /
max of each.

    python bench/grid_http.py BINARY [REQUESTS]
"""
import csv, http.client, json, os, random, shutil, subprocess, sys, tempfile, time

binary = sys.argv[1]
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 100
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp()
env = dict(os.environ, DATABASE_URL=f"sqlite://{work}/grid.db?mode=rwc")
rng = random.Random(14)
WEST, EAST, SOUTH, NORTH = 9.48, 9.62, 47.09, 47.22


def run(*args):
    subprocess.run([binary, *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


with open(f"{work}/facilities.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "kind", "lon", "lat"])
    for k in range(300):
        w.writerow([f"meal point {k}", "MEAL_POINT", rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)])
run("import-osm", f"{root}/data/osm/liechtenstein.osm.pbf")
run("import", "facilities", f"{work}/facilities.csv")
server = subprocess.Popen(os.environ.get("WRAP", "").split() + [binary, "serve", "--listen", "127.0.0.1:18412", "--rate-limit-per-minute", "0"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
within = {"type": "Polygon", "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]]}
query = """query($w: GeoJSON) { travelTimeGrid(filter: { kinds: [MEAL_POINT] }, scope: { within: $w }, resolution: 10,
  maxMinutes: 30, travel: { model: NETWORK }) { cellCount %s } }"""
try:
    conn = None
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", 18412, timeout=60)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
    for label, fields in [("cellCount", ""), ("cells { h3 minutes reach }", "cells { h3 minutes reach }"),
                          ("features", "features")]:
        body = json.dumps({"query": query % fields, "variables": {"w": within}})
        times = []
        for i in range(requests + 1):
            started = time.perf_counter()
            conn.request("POST", "/graphql", body, {"content-type": "application/json"})
            raw = conn.getresponse().read()
            elapsed = (time.perf_counter() - started) * 1000
            answer = json.loads(raw)
            if answer.get("errors"):
                raise SystemExit(f"error: {answer['errors'][0]}")
            if i == 0:
                g = answer["data"]["travelTimeGrid"]
                extra = ""
                if "cells" in g:
                    reach = {}
                    for c in g["cells"]:
                        reach[c["reach"]] = reach.get(c["reach"], 0) + 1
                    extra = f", {reach}"
                print(f"{label}: {g['cellCount']} cells{extra}, {len(raw)} bytes; first answer {elapsed:.1f} ms")
                time.sleep(2)  # the region a tile wider is built in the background after the first answer
                continue
            times.append(elapsed)
        times.sort()
        pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"travelTimeGrid {label}: n={len(times)} p50 {pick(0.5):.1f} ms  p99 {pick(0.99):.1f} ms  max {times[-1]:.1f} ms")
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)
