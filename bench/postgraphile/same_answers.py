"""Asks service-circle and PostGraphile the same nearby questions (bench/nearby.lua's points and
more) and checks that both find the same facilities in the same order at the same distances.
Facilities are matched by position (the CSV export the PostGIS table was loaded from has no id).

    python3 same_answers.py SERVICE_URL POSTGRAPHILE_URL [POINTS]
"""
import json
import random
import sys
import urllib.request

NEARBY = ("query($p: PointInput!) { nearbyFacilities(near: $p, radiusMeters: 1000, limit: 20) "
          "{ distanceMeters facility { name kind location { lon lat } } } }")
PEER = ("query($lon: Float!, $lat: Float!) { nearbyFacilitiesList(lon: $lon, lat: $lat, radiusMeters: 1000, maxHits: 20) "
        "{ distanceMeters name kind lon lat } }")


def ask(url, query, variables):
    request = urllib.request.Request(url, json.dumps({"query": query, "variables": variables}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def main():
    service, peer = sys.argv[1], sys.argv[2]
    points = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    rng = random.Random(20261130)
    hits = 0
    for _ in range(points):
        lon, lat = round(106.22 + rng.random() * 0.34, 6), round(38.33 + rng.random() * 0.25, 6)
        ours = ask(service, NEARBY, {"p": {"lon": lon, "lat": lat}})
        theirs = ask(peer, PEER, {"lon": lon, "lat": lat})
        key = lambda lon_, lat_: (round(lon_, 9), round(lat_, 9))
        a = [key(h["facility"]["location"]["lon"], h["facility"]["location"]["lat"]) for h in ours]
        b = [key(h["lon"], h["lat"]) for h in theirs]
        assert a == b, f"different hits at {lon},{lat}:\n{a}\n{b}"
        for x, y in zip(ours, theirs):
            assert abs(x["distanceMeters"] - y["distanceMeters"]) < 0.01, (lon, lat, x, y)
            assert x["facility"]["name"] == y["name"] and x["facility"]["kind"] == y["kind"]
        hits += len(a)
    print(f"same answers at {points} points ({hits} hits)")


if __name__ == "__main__":
    main()
