"""Facility tiles side by side (issue 14): service-circle's /tiles/facilities/{z}/{x}/{y}.mvt and
Martin's PostGIS table source over the same facilities. Used by bench/tiles.sh.

    python tiles.py generate CSV N SEED          the facilities: name,kind,lon,lat over Ningxia
    python tiles.py compare OURS THEIRS CSV K    K tiles: both hold the same facilities
    python tiles.py load URL TEMPLATE CSV K SKIP  tiles SKIP+1..SKIP+K of one list of distinct tiles
                                                 at zooms 10-16 where facilities are (rounds with
                                                 different SKIPs share no tile), one request at
                                                 a time: p50 / p99 / max
"""
import csv, gzip, http.client, math, random, sys, time, urllib.parse

WEST, EAST, SOUTH, NORTH = 104.3, 107.6, 35.3, 39.3  # Ningxia
KINDS = ["MEAL_POINT", "COMMUNITY_CANTEEN", "DAY_CARE_CENTER", "SENIOR_ACTIVITY_CENTER", "OUTDOOR_WORKER_STATION"]
CATEGORY = {"MEAL_POINT": "CANTEEN", "COMMUNITY_CANTEEN": "CANTEEN", "DAY_CARE_CENTER": "ELDER_CARE",
            "SENIOR_ACTIVITY_CENTER": "ELDER_CARE", "OUTDOOR_WORKER_STATION": "REST_STATION"}


def generate(path, n, seed):
    rng = random.Random(seed)
    # Facilities gather in towns, as they do: 300 towns of different sizes, a spread around each.
    towns = [(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH), rng.paretovariate(1.2)) for _ in range(300)]
    weights = [t[2] for t in towns]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "kind", "lon", "lat"])
        for i in range(n):
            lon, lat, size = rng.choices(towns, weights)[0]
            spread = 0.01 * math.sqrt(size)
            kind = KINDS[i % len(KINDS)]
            w.writerow([f"设施{i}", kind, round(min(max(rng.gauss(lon, spread), WEST), EAST), 7),
                        round(min(max(rng.gauss(lat, spread), SOUTH), NORTH), 7)])


def tile_of(lon, lat, z):
    n = 2 ** z
    lat = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)


def tiles(csv_path, k, seed):
    rng = random.Random(seed)
    with open(csv_path) as f:
        places = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)]
    chosen, seen = [], set()
    while len(chosen) < k:
        z = rng.randint(10, 16)
        t = (z, *tile_of(*rng.choice(places), z))
        if t not in seen:
            seen.add(t)
            chosen.append(t)
    return chosen


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def get(self, path):
        self.conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        r = self.conn.getresponse()
        body = r.read()
        if r.status not in (200, 204):
            raise SystemExit(f"{path}: HTTP {r.status} {body[:200]!r}")
        if r.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body


def names(body):
    import mapbox_vector_tile
    if not body:
        return set()
    tile = mapbox_vector_tile.decode(body)
    return {f["properties"]["name"] for layer in tile.values() for f in layer["features"]}


def compare(ours, theirs, csv_path, k):
    a, b = Client(ours), Client(theirs)
    features = 0
    for z, x, y in tiles(csv_path, k, 1):
        mine = names(a.get(f"/tiles/facilities/{z}/{x}/{y}.mvt"))
        peer = names(b.get(f"/facility/{z}/{x}/{y}"))
        # Martin takes a point on a tile's edge into both tiles; the service into one.
        if not mine <= peer or len(peer - mine) > 2:
            raise SystemExit(f"tile {z}/{x}/{y}: {len(mine)} vs {len(peer)} facilities, {sorted(peer ^ mine)[:5]}")
        features += len(mine)
    print(f"same facilities in {k} tiles ({features} features)")


def load(base, template, csv_path, k, skip):
    c = Client(base)
    times, size = [], 0
    for z, x, y in tiles(csv_path, k + skip, 7)[skip:]:
        started = time.perf_counter()
        body = c.get(template.format(z=z, x=x, y=y))
        times.append((time.perf_counter() - started) * 1000)
        size += len(body)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"{base}: n={len(times)} p50 {pick(0.5):.2f} ms  p99 {pick(0.99):.2f} ms  max {times[-1]:.2f} ms  "
          f"{size / len(times) / 1024:.1f} KiB a tile (unzipped)")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "generate":
        generate(args[0], int(args[1]), int(args[2]))
    elif command == "compare":
        compare(args[0], args[1], args[2], int(args[3]))
    else:
        load(args[0], args[1], args[2], int(args[3]), int(args[4]))
