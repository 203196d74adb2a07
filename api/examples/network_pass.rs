//! The walking-network figures of `bench/network.sh`: reads an OpenStreetMap extract, builds
//! the network as the server does, and measures
//! - the city-wide nearest-facility pass (one multi-source Dijkstra from every facility node),
//! - the graph's memory per edge,
//! - one isochrone (a 15-minute walk at 0.75 m/s) from random nodes.
//!
//! It also writes the network, the facility nodes and its own answers as CSV files for the
//! Python peers (`bench/network_peers.py`), so every program works on the same graph.
//!
//!     cargo run --release -p api --example network_pass -- FILE.osm.pbf OUT_DIR [BOUND_M ...]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use api::geo::isochrone::{DEFAULT_GENERALIZE_M, DEFAULT_MARGIN_M, isochrone};
use api::geo::network::{WalkSearch, WalkingNetwork};
use api::osm_import::read_walking_network;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Facilities: one node in this many, chosen by a fixed seed.
const FACILITY_EVERY: usize = 100;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (file, out) = (PathBuf::from(&args[1]), PathBuf::from(&args[2]));
    let bounds: Vec<f64> =
        if args.len() > 3 { args[3..].iter().map(|a| a.parse().unwrap()).collect() } else { vec![900.0] };
    std::fs::create_dir_all(&out).unwrap();

    let osm = read_walking_network(&file, &|_| {}).unwrap();
    let started = Instant::now();
    let net = WalkingNetwork::new(osm.positions, osm.edges);
    let build = started.elapsed();
    let (nodes, edges) = (net.node_count(), net.edge_count());
    println!("network: {nodes} nodes, {edges} edges, built in {:.1} ms", build.as_secs_f64() * 1e3);
    println!(
        "memory: {} bytes, {:.1} bytes per edge (CSR, positions, snapping R-tree)",
        net.heap_bytes(),
        net.heap_bytes() as f64 / edges as f64
    );

    let mut rng = StdRng::seed_from_u64(2026);
    let mut facilities: Vec<u32> = (0..nodes as u32).filter(|_| rng.random_range(0..FACILITY_EVERY) == 0).collect();
    facilities.sort_unstable();
    println!("facilities: {} nodes", facilities.len());

    let mut csv = String::from("lon,lat\n");
    for n in 0..nodes as u32 {
        let p = net.position(n);
        writeln!(csv, "{},{}", p.lon, p.lat).unwrap();
    }
    std::fs::write(out.join("nodes.csv"), csv).unwrap();
    let mut csv = String::from("a,b,length_m\n");
    for a in 0..nodes as u32 {
        for (b, length) in net.arcs(a).filter(|&(b, _)| a < b) {
            writeln!(csv, "{a},{b},{length}").unwrap();
        }
    }
    std::fs::write(out.join("edges.csv"), csv).unwrap();
    let csv: String = std::iter::once("node\n".to_owned()).chain(facilities.iter().map(|f| format!("{f}\n"))).collect();
    std::fs::write(out.join("facilities.csv"), csv).unwrap();

    let sources: Vec<(u32, f64)> = facilities.iter().map(|&f| (f, 0.0)).collect();
    let mut search = WalkSearch::new(&net);
    for bound in bounds {
        let runs: Vec<Duration> = (0..30)
            .map(|_| {
                let t = Instant::now();
                search.run(sources.iter().copied(), bound);
                t.elapsed()
            })
            .collect();
        let reached = search.reached().len();
        println!(
            "nearest-facility pass, bound {bound} m: median {:.3} ms over 30 runs ({reached} nodes reached)",
            median(runs).as_secs_f64() * 1e3
        );
        let csv: String = std::iter::once("distance_m\n".to_owned())
            .chain((0..nodes as u32).map(|n| {
                let d = search.distance_m(n);
                if d.is_finite() { format!("{d}\n") } else { "inf\n".to_owned() }
            }))
            .collect();
        std::fs::write(out.join(format!("ours_{bound}.csv")), csv).unwrap();
    }

    // Isochrones: 15 minutes at 0.75 m/s from random nodes.
    let budget = 15.0 * 60.0 * 0.75;
    let mut runs = Vec::new();
    let mut vertices = 0;
    for _ in 0..50 {
        let origin = net.position(rng.random_range(0..nodes as u32));
        let t = Instant::now();
        let from = net.snap(origin, 500.0).unwrap();
        search.run(from.seeds(), budget);
        let area = isochrone(origin, &from, &search, budget, DEFAULT_MARGIN_M, DEFAULT_GENERALIZE_M);
        runs.push(t.elapsed());
        vertices += area.0.iter().map(|p| p.exterior().0.len()).sum::<usize>();
    }
    println!(
        "isochrone ({budget} m, margin {DEFAULT_MARGIN_M} m): median {:.2} ms over 50 origins, max {:.2} ms, {} exterior vertices on average",
        median(runs.clone()).as_secs_f64() * 1e3,
        runs.iter().max().unwrap().as_secs_f64() * 1e3,
        vertices / 50
    );
}
