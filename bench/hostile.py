"""Attackers, a health prober and a memory sampler for bench/hostile.sh (issue 12).

Each attacker is a client address of its own (X-Forwarded-For, the server trusting it) that
sends, at its rate limit, one of the most expensive documents the server accepts or one of
the refused ones from the issue. Meanwhile /healthz is probed every 100 ms and the server's
resident memory sampled every 200 ms. Prints one JSON summary. Stops by itself after
--seconds; only talks to the loopback address it is given.
"""
import argparse
import http.client
import json
import math
import os
import multiprocessing
import threading
import time
from urllib.parse import urlparse

DISTRICT = (106.22, 38.33, 0.34, 0.25)


def ring(n, lon=106.35, lat=38.45, r=0.08):
    pts = [[lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return pts + [pts[0]]


def grid(n):
    side = int(math.ceil(math.sqrt(n)))
    lon, lat, w, h = DISTRICT
    return [{"lon": lon + w * (i % side) / side, "lat": lat + h * (i // side) / side} for i in range(n)]


def attacks():
    """(name, body bytes, headers) for each kind of attack."""
    circles = "{ nearbyFacilities(near: {lon: 106.28, lat: 38.47}, limit: 190) { facility { serviceCircle } } }"
    coverage_aliases = "{ " + " ".join(
        f"a{i}: coverageGaps(input: {{ minutes: 30 }}) {{ population nearestTravelMinutes }}" for i in range(4)
    ) + " }"
    gaps_polygon = "query($w: GeoJSON) { coverageGaps(input: { within: $w, minutes: 60 }) { population area } }"
    suggest = "query($c: [PointInput!]) { suggestSites(input: { coverage: { minutes: 15 }, count: 50, candidates: $c }) { sites { candidateIndex } } }"
    suggest_default = "{ suggestSites(input: { coverage: { minutes: 60 }, count: 50 }) { sites { candidateIndex } } }"
    tags = "query($s: [String!]) { facilities(filter: { services: $s }) { totalCount } }"
    token_fields = "{ " + " ".join(
        f"a{i}: facilities(first: 100) {{ edges {{ node {{ createdBy updatedBy }} }} }}" for i in range(3)
    ) + " }"
    junk = "{" + " x" * 3_500_000 + "}"
    body = lambda q, v=None: json.dumps({"query": q, "variables": v or {}}).encode()
    plain = {"Content-Type": "application/json"}
    return [
        ("circles", body(circles), plain),
        ("coverage_aliases", body(coverage_aliases), plain),
        ("gaps_polygon_10k", body(gaps_polygon, {"w": {"type": "Polygon", "coordinates": [ring(9_999)]}}), plain),
        ("suggest_10k_candidates", body(suggest, {"c": grid(10_000)}), plain),
        ("suggest_uncovered_60min", body(suggest_default), plain),
        ("tags_40k", body(tags, {"s": [f"t{i}" for i in range(40_000)]}), plain),
        ("garbage_token", body(token_fields), {**plain, "Authorization": "Bearer sc_garbage"}),
        ("junk_7mb", body(junk), plain),
    ]


def attacker(base, name, payload, headers, address, per_second, until, stats):
    host = urlparse(base)
    conn = None
    sent = refused = other = server_errors = 0
    while time.time() < until:
        started = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            conn.request("POST", "/graphql", payload, {**headers, "X-Forwarded-For": address})
            response = conn.getresponse()
            response.read()
            sent += 1
            if response.status == 429:
                refused += 1
            if response.status >= 500:
                server_errors += 1
        except Exception:
            other += 1
            conn = None
        wait = 1.0 / per_second - (time.time() - started)
        if wait > 0:
            time.sleep(wait)
    stats[name] = {"sent": sent, "rate_limited": refused, "failed": other, "server_errors": server_errors}


def prober(base, until, result):
    host = urlparse(base)
    worst, slow, failed, count = 0.0, 0, 0, 0
    while time.time() < until:
        started = time.time()
        try:
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=5)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
        except Exception:
            status = 0
        took = time.time() - started
        count += 1
        worst = max(worst, took)
        slow += took > 0.1
        failed += status != 200
        time.sleep(max(0.0, 0.1 - took))
    result.update({"probes": count, "worst_ms": round(worst * 1000, 1), "over_100ms": slow, "not_200": failed})


def probe_process(base, until, queue):
    result = {}
    prober(base, until, result)
    queue.put(result)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def sampler(pid, until, result):
    peak = 0
    while time.time() < until:
        peak = max(peak, rss_kib(pid))
        time.sleep(0.2)
    result["peak_rss_kib"] = peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--per-second", type=float, default=10, help="each attacker's rate (the rate limit)")
    parser.add_argument("--addresses", type=int, default=2, help="attacker addresses per attack")
    parser.add_argument("--only", default="", help="comma-separated attack names (default: all)")
    parser.add_argument("--nice", type=int, default=10,
                        help="run the attackers at this niceness: on one machine they would otherwise take "
                             "the CPU that separate attacking machines would not (the probe is not niced)")
    parser.add_argument("--check", action="store_true", help="exit non-zero on any 5xx or a stalled /healthz")
    args = parser.parse_args()
    assert urlparse(args.base).hostname in ("127.0.0.1", "localhost"), "loopback only"
    until = time.time() + args.seconds
    stats, health, memory = {}, {}, {}
    # The probe runs in a process of its own: among the attacker threads it would wait for the
    # interpreter lock and time that wait as the server's.
    probe_results = multiprocessing.Queue()
    probe = multiprocessing.Process(target=probe_process, args=(args.base, until, probe_results))
    probe.start()
    os.nice(args.nice)
    threads = [threading.Thread(target=sampler, args=(args.pid, until, memory))]
    only = set(filter(None, args.only.split(",")))
    for k, (name, payload, headers) in enumerate(attacks()):
        if only and name not in only:
            continue
        for a in range(args.addresses):
            address = f"203.0.{113 + k}.{a + 1}"
            threads.append(threading.Thread(target=attacker, args=(
                args.base, f"{name}#{a}", payload, headers, address, args.per_second, until, stats)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    health.update(probe_results.get())
    probe.join()
    print(json.dumps({"health": health, "memory": memory, "attackers": stats}, indent=1))
    if args.check:
        errors = sum(s["server_errors"] for s in stats.values())
        # A debug build on a shared machine: the check is "never stalled", not the bench's 100 ms.
        if errors or health.get("not_200", 1) or health.get("worst_ms", 0) > 2000:
            raise SystemExit(f"hostile shapes: {errors} server errors, health {health}")


if __name__ == "__main__":
    main()
