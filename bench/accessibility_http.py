"""One district's accessibility on the Monaco walking network over HTTP (issue 14): a fresh
SQLite database with Monaco's network (data/osm), 60 elder-care facilities with capacities and
2,000 residential areas at random points of the city (fixed seed), then REQUESTS sequential
`accessibility` questions (NETWORK, Luo & Qi's zones) on one connection. Prints p50 / p99 /
max and the answer's size.

    python bench/accessibility_http.py BINARY [REQUESTS]
"""
import csv, http.client, json, os, random, shutil, subprocess, sys, tempfile, time

binary = sys.argv[1]
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 200
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp()
env = dict(os.environ, DATABASE_URL=f"sqlite://{work}/monaco.db?mode=rwc")
rng = random.Random(14)


def point():
    return 7.415 + rng.random() * 0.02, 43.728 + rng.random() * 0.02


def run(*args):
    subprocess.run([binary, *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


with open(f"{work}/facilities.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "kind", "lon", "lat", "capacity"])
    for k in range(60):
        lon, lat = point()
        w.writerow([f"day care {k}", "DAY_CARE_CENTER", lon, lat, rng.randint(10, 80)])
with open(f"{work}/areas.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "lon", "lat", "population", "elderlyPopulation", "communityCode"])
    for k in range(2000):
        lon, lat = point()
        population = rng.randint(200, 3000)
        w.writerow([f"area {k}", lon, lat, population, rng.randint(0, population // 4), f"999001{1 + k % 20:03d}001"])
run("import-osm", f"{root}/data/osm/monaco.osm.pbf")
run("import", "facilities", f"{work}/facilities.csv")
run("import", "residential-areas", f"{work}/areas.csv")
server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:18411", "--rate-limit-per-minute", "0"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    query = """{ accessibility(input: { coverage: { communityCodePrefix: "999001", travel: { model: NETWORK } } }) {
      facilitiesCounted areas { residentialAreaId score facilitiesReached } communities { communityCode meanScore placesMissing } } }"""
    body = json.dumps({"query": query})
    conn = None
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", 18411, timeout=60)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
    times, size = [], 0
    for i in range(requests + 1):
        started = time.perf_counter()
        conn.request("POST", "/graphql", body, {"content-type": "application/json"})
        raw = conn.getresponse().read()
        elapsed = (time.perf_counter() - started) * 1000
        answer = json.loads(raw)
        if answer.get("errors"):
            raise SystemExit(f"error: {answer['errors'][0]}")
        if i == 0:
            time.sleep(1)  # the region a tile wider is built in the background after the first answer
            a = answer["data"]["accessibility"]
            reaching = sum(1 for x in a["areas"] if x["facilitiesReached"] > 0)
            print(f"{len(a['areas'])} areas ({reaching} reach a facility), {a['facilitiesCounted']} facilities, "
                  f"{len(raw)} bytes; first answer {elapsed:.1f} ms (builds the network region)")
            continue
        times.append(elapsed)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"accessibility NETWORK, Monaco: n={len(times)} p50 {pick(0.5):.1f} ms  p99 {pick(0.99):.1f} ms  max {times[-1]:.1f} ms")
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)
