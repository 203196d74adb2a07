"""Valhalla's walking isochrones (pyvalhalla's Actor.isochrone, pedestrian, 2.7 km/h, one
15-minute contour) from the origins of a CSV file, on tiles built offline from the same
OpenStreetMap extract: per origin the call's time (after a warm-up), the outline's vertices
and its geodesic area; then medians and the worst time. Run by bench/isochrones.sh.

    python valhalla_isochrones.py FILE.osm.pbf ORIGINS.csv WORK_DIR [--generalize M]

Without --generalize Valhalla picks its own tolerance (a quarter of its 0.001-degree grid
cell, about 27.6 m, for walking).
"""
import argparse, csv, json, statistics, subprocess, sys, time
from pathlib import Path

import valhalla
from pyproj import Geod
from valhalla._scripts import PYVALHALLA_BIN_DIR

p = argparse.ArgumentParser()
p.add_argument("pbf", type=Path)
p.add_argument("origins", type=Path)
p.add_argument("work", type=Path)
p.add_argument("--generalize", type=float)
args = p.parse_args()
work = args.work.resolve()
tiles = work / "tiles"
tiles.mkdir(parents=True, exist_ok=True)

# A configuration that needs nothing but the extract: no admin, time zone or elevation data.
config = json.loads(subprocess.run(
    [sys.executable, "-m", "valhalla.valhalla_build_config", "--mjolnir-tile-dir", str(tiles),
     "--mjolnir-tile-extract", "", "--mjolnir-traffic-extract", "", "--mjolnir-admin", "",
     "--mjolnir-timezone", "", "--mjolnir-concurrency", "1", "--additional-data-elevation", ""],
    check=True, capture_output=True, text=True).stdout)
config["logging"]["type"] = "std_out"
(work / "build.json").write_text(json.dumps(config))
config["logging"]["type"] = ""
(work / "valhalla.json").write_text(json.dumps(config))
if not any(tiles.rglob("*.gph")):
    started = time.perf_counter()
    with open(work / "build.log", "w") as log:
        subprocess.run([str(PYVALHALLA_BIN_DIR / "valhalla_build_tiles"), "-c", str(work / "build.json"), "-j", "1",
                        str(args.pbf.resolve())], check=True, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    print(f"valhalla tiles built in {time.perf_counter() - started:.1f} s")

actor = valhalla.Actor(str(work / "valhalla.json"))
geod = Geod(ellps="WGS84")


def request(lon, lat):
    r = {"locations": [{"lon": lon, "lat": lat}], "costing": "pedestrian",
         "costing_options": {"pedestrian": {"walking_speed": 2.7}}, "contours": [{"time": 15}], "polygons": True}
    if args.generalize is not None:
        r["generalize"] = args.generalize
    return json.dumps(r)  # a string in, a string out: no conversion inside the timed call


def measure(geometry):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    vertices, area = 0, 0.0
    for rings in polygons:
        ring_area = lambda r: abs(geod.polygon_area_perimeter([q[0] for q in r], [q[1] for q in r])[0])
        vertices += sum(len(r) - 1 for r in rings)
        area += ring_area(rings[0]) - sum(ring_area(r) for r in rings[1:])
    return vertices, area


origins = [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(open(args.origins))]
actor.isochrone(request(*origins[0]))
rows = []
for lon, lat in origins:
    req = request(lon, lat)
    try:
        started = time.perf_counter()
        answer = actor.isochrone(req)
        ms = (time.perf_counter() - started) * 1000
    except Exception:  # no edge near the origin
        continue
    shapes = [measure(f["geometry"]) for f in json.loads(answer)["features"]
              if f["geometry"]["type"] in ("Polygon", "MultiPolygon")]
    rows.append((ms, sum(s[0] for s in shapes), sum(s[1] for s in shapes)))
ms = [r[0] for r in rows]
g = "Valhalla's own" if args.generalize is None else f"{args.generalize} m"
print(f"valhalla: {len(rows)} of {len(origins)} origins, generalize {g}: time median {statistics.median(ms):.3f} ms, "
      f"max {max(ms):.3f} ms | vertices median {statistics.median(r[1] for r in rows):.0f} | "
      f"area median {statistics.median(r[2] for r in rows):.0f} m^2")
