"""The city-wide nearest-facility pass in the Python peers, on the graph service-circle built.

Reads what `cargo run --release -p api --example network_pass -- FILE DIR BOUND...` wrote to
DIR (nodes.csv, edges.csv with the service's own edge lengths, facilities.csv, and the
service's answers ours_BOUND.csv), runs the same pass (every node's walking distance to its
nearest facility, bounded) in scipy, pandana and networkx, checks every answer against scipy
(within 0.1 m: 0.1 s of walking at 1 m/s) and prints the median query times.

    python bench/network_peers.py DIR "ours ms for each bound, as BOUND=MS,..."
"""

import contextlib
import os
import statistics
import sys
import time

import networkx as nx
import numpy as np
import pandana
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

TOLERANCE_M = 0.1


@contextlib.contextmanager
def quiet():
    """Silences pandana's C++ progress output (written straight to file descriptor 1)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def median_ms(run, repeat):
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times), result


def compare(name, got, want, bound):
    """Largest difference where scipy reaches a node clearly inside the bound, and how many
    nodes the two disagree on being reached at all."""
    inside = want < bound - 0.01
    diff = np.abs(got[inside] - want[inside])
    worst = float(diff.max()) if diff.size else 0.0
    clearly_out = want > bound + 0.01
    wrongly_reached = int(np.sum(np.isfinite(got[clearly_out]) & (got[clearly_out] < bound)))
    ok = worst <= TOLERANCE_M and wrongly_reached == 0
    print(f"    {name:9s} max |diff| vs scipy {worst:.4f} m, reached beyond the bound: {wrongly_reached} -> {'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    folder = sys.argv[1]
    print(f"versions: pandana {pandana.__version__}, scipy {__import__('scipy').__version__}, networkx {nx.__version__}")
    ours_ms = {float(k): float(v) for k, v in (kv.split("=") for kv in sys.argv[2].split(","))}
    nodes = pd.read_csv(f"{folder}/nodes.csv")
    edges = pd.read_csv(f"{folder}/edges.csv")
    facilities = pd.read_csv(f"{folder}/facilities.csv")["node"].to_numpy()
    n = len(nodes)
    print(f"{folder}: {n} nodes, {len(edges)} edges, {len(facilities)} facilities")

    a, b, w = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["length_m"].to_numpy(dtype=np.float64)
    graph = csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(a.tolist(), b.tolist(), w.tolist()))

    all_ok = True
    for bound, ours in sorted(ours_ms.items()):
        print(f"  bound {bound:g} m")
        scipy_ms, want = median_ms(
            lambda: dijkstra(graph, directed=False, indices=facilities, min_only=True, limit=bound), 10
        )

        started = time.perf_counter()
        with quiet():
            net = pandana.Network(nodes["lon"], nodes["lat"], edges["a"], edges["b"], edges[["length_m"]], twoway=True)
            net.precompute(bound)
            net.set_pois("facility", bound, 1, nodes["lon"].iloc[facilities], nodes["lat"].iloc[facilities])
        pandana_setup_ms = (time.perf_counter() - started) * 1e3
        pandana_ms, frame = median_ms(lambda: net.nearest_pois(bound, "facility", num_pois=1), 10)
        pandana_got = frame[1].reindex(range(n)).to_numpy(dtype=np.float64, copy=True)
        pandana_got[pandana_got >= bound] = np.inf  # pandana reports "none within" as the bound

        def networkx_pass():
            return nx.multi_source_dijkstra_path_length(g, set(facilities.tolist()), cutoff=bound)

        networkx_ms, lengths = median_ms(networkx_pass, 3)
        networkx_got = np.full(n, np.inf)
        for node, d in lengths.items():
            networkx_got[node] = d

        ours_got = pd.read_csv(f"{folder}/ours_{bound:g}.csv")["distance_m"].to_numpy(dtype=np.float64)
        service_ok = compare("service", ours_got, want, bound)
        all_ok &= service_ok
        # The peers' own precision, for information (pandana computes in 32-bit floats).
        compare("pandana", pandana_got, want, bound)
        compare("networkx", networkx_got, want, bound)
        print(f"    query time (median): service {ours:.3f} ms | scipy {scipy_ms:.3f} ms | "
              f"pandana {pandana_ms:.3f} ms (+{pandana_setup_ms:.0f} ms network, precompute, POIs) | networkx {networkx_ms:.1f} ms")
        print(f"    service / pandana = {ours / pandana_ms:.3f} (target <= 0.2), service / scipy = {ours / scipy_ms:.3f} "
              f"(target <= 1), service / networkx = {ours / networkx_ms:.4f}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
