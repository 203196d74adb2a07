"""A synthetic province for benchmarks (issue 11), from a fixed seed.

Walking network: a street grid of SIDE x SIDE nodes SPACING metres apart (each position
jittered by up to a fifth of the spacing, 5% of the edges left out), written as OpenStreetMap
ways (highway=residential) to a PBF with pyosmium. About 2 * SIDE^2 edges: SIDE=1000 gives
2 million, SIDE=3200 gives 20 million. Districts are squares of DISTRICT x DISTRICT nodes;
`--city ROW COL` writes only the nodes and ways of one district (plus a margin of MARGIN
nodes), with the same ids, as a city extract would be.

Facilities and residential areas: uniformly random over the province, as CSV for
`service-circle import`; each area's community code names its district (64 + 4 digits +
6 digits), so `communityCodePrefix` selects one district. `--only-district ROW COL` keeps the
facilities and areas within reach of one district (for a one-district database).

    python province_gen.py network OUT.pbf [--side N] [--city ROW COL]
    python province_gen.py places FACILITIES.csv AREAS.csv [--side N] [--facilities F] [--areas A] [--only-district ROW COL]
"""
import argparse, csv, math, random

ORIGIN = (105.8, 37.2)  # south-west corner, Ningxia-like latitudes
KINDS = ["MEAL_POINT", "DAY_CARE_CENTER", "SENIOR_ACTIVITY_CENTER", "OUTDOOR_WORKER_STATION", "COMMUNITY_CANTEEN"]


def grid(args):
    m_per_deg_lat = 110_574.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(ORIGIN[1]))
    return m_per_deg_lon, m_per_deg_lat


def node_position(i, j, args):
    # Deterministic jitter per node, independent of what else is written.
    rng = random.Random((args.seed * 1_000_003 + i) * 1_000_003 + j)
    mx, my = grid(args)
    x = j * args.spacing + rng.uniform(-0.2, 0.2) * args.spacing
    y = i * args.spacing + rng.uniform(-0.2, 0.2) * args.spacing
    return ORIGIN[0] + x / mx, ORIGIN[1] + y / my


def kept(i, j, direction, args):
    h = (i * 73_856_093) ^ (j * 19_349_663) ^ (direction * 83_492_791) ^ args.seed
    return (h * 2_654_435_761 % 2**32) / 2**32 >= 0.05


def network(args):
    import osmium
    side = args.side
    rows = cols = range(side)
    if args.city:
        r, c = args.city
        lo_i, lo_j = max(0, r * args.district - args.margin), max(0, c * args.district - args.margin)
        hi_i = min(side, (r + 1) * args.district + args.margin)
        hi_j = min(side, (c + 1) * args.district + args.margin)
        rows, cols = range(lo_i, hi_i), range(lo_j, hi_j)
    node_id = lambda i, j: i * side + j + 1
    writer = osmium.SimpleWriter(args.out)
    for i in rows:
        for j in cols:
            writer.add_node(osmium.osm.mutable.Node(id=node_id(i, j), location=node_position(i, j, args)))
    way_id = 0

    def emit(nodes):
        nonlocal way_id
        if len(nodes) >= 2:
            way_id += 1
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=nodes, tags={"highway": "residential"}))

    # Rows, then columns: runs of kept edges, at most 50 nodes a way. Way ids depend on what
    # is written, which is fine: the import keys on node ids.
    for lines, step in ((((i, j) for j in cols) for i in rows), 0), ((((i, j) for i in rows) for j in cols), 1):
        for line in lines:
            run = []
            previous = None
            for (i, j) in line:
                if previous is not None and kept(previous[0], previous[1], step, args) and len(run) < 50:
                    run.append(node_id(i, j))
                else:
                    emit(run)
                    run = [node_id(previous[0], previous[1]), node_id(i, j)] if previous is not None and kept(previous[0], previous[1], step, args) else [node_id(i, j)]
                previous = (i, j)
            emit(run)
    writer.close()


def places(args):
    rng = random.Random(args.seed)
    mx, my = grid(args)
    extent = args.side * args.spacing
    district_m = args.district * args.spacing
    districts = args.side // args.district

    def point():
        x, y = rng.uniform(0, extent), rng.uniform(0, extent)
        return x, y

    def inside(x, y):
        if not args.only_district:
            return True
        r, c = args.only_district
        reach = args.margin * args.spacing
        return (c * district_m - reach <= x <= (c + 1) * district_m + reach
                and r * district_m - reach <= y <= (r + 1) * district_m + reach)

    with open(args.facilities_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "kind", "lon", "lat", "capacity"])
        for k in range(args.facilities):
            x, y = point()
            if inside(x, y):
                w.writerow([f"facility {k}", KINDS[k % len(KINDS)], ORIGIN[0] + x / mx, ORIGIN[1] + y / my, 20 + k % 40])
    counters = {}
    with open(args.areas_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "lon", "lat", "population", "elderlyPopulation", "communityCode"])
        for k in range(args.areas):
            x, y = point()
            r, c = min(int(y // district_m), districts - 1), min(int(x // district_m), districts - 1)
            d = r * districts + c
            counters[d] = counters.get(d, 0) + 1
            population = rng.randint(200, 3000)
            elderly = rng.randint(0, population // 4)  # drawn for every area: one sequence whatever is kept
            if inside(x, y) and (not args.only_district or (r, c) == tuple(args.only_district)):
                w.writerow([f"area {k}", ORIGIN[0] + x / mx, ORIGIN[1] + y / my, population, elderly,
                            f"64{d:04d}{counters[d]:06d}"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["network", "places"])
    p.add_argument("out", nargs="+")
    p.add_argument("--side", type=int, default=1000)
    p.add_argument("--spacing", type=float, default=100.0)
    p.add_argument("--district", type=int, default=100, help="district side, in nodes")
    p.add_argument("--margin", type=int, default=20, help="nodes around a city or district")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--city", type=int, nargs=2)
    p.add_argument("--facilities", type=int, default=50_000)
    p.add_argument("--areas", type=int, default=200_000)
    p.add_argument("--only-district", type=int, nargs=2)
    args = p.parse_args()
    if args.what == "network":
        args.out = args.out[0]
        network(args)
    else:
        args.facilities_csv, args.areas_csv = args.out
        places(args)


if __name__ == "__main__":
    main()
