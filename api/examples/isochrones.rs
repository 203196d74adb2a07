//! In-process 15-minute elderly isochrones (0.75 m/s, 675 m) from the origins of a CSV file,
//! on an OpenStreetMap extract's network built as the server builds it: per origin the time of
//! snapping, the search and the outline (after one warm-up), its vertices and geodesic area.
//! `bench/isochrones.sh` runs Valhalla on the same extract and origins.
//!
//!     cargo run --release -p api --example isochrones -- FILE.osm.pbf ORIGINS.csv [GENERALIZE_M]
//!     cargo run --release -p api --example isochrones -- FILE.osm.pbf --write-origins N OUT.csv
//!
//! `EACH=1` also prints every origin with its time and vertices (to standard error).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use api::geo::LonLat;
use api::geo::isochrone::{DEFAULT_GENERALIZE_M, DEFAULT_MARGIN_M, isochrone};
use api::geo::network::{WalkSearch, WalkingNetwork};
use api::osm_import::read_walking_network;
use geo::GeodesicArea;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let osm = read_walking_network(std::path::Path::new(&args[1]), &|_| {}).unwrap();
    let net = WalkingNetwork::new(osm.positions, osm.edges);
    if args[2] == "--write-origins" {
        // Random points within 30 m of random nodes, from a fixed seed.
        let (count, out): (usize, &str) = (args[3].parse().unwrap(), &args[4]);
        let mut rng = StdRng::seed_from_u64(2026);
        let mut csv = String::from("lon,lat\n");
        for _ in 0..count {
            let p = net.position(rng.random_range(0..net.node_count() as u32));
            let (dx, dy) = (rng.random_range(-0.0003..0.0003), rng.random_range(-0.0003..0.0003));
            csv.push_str(&format!("{:.7},{:.7}\n", p.lon + dx, p.lat + dy));
        }
        std::fs::write(out, csv).unwrap();
        return;
    }
    let generalize: f64 = args.get(3).map_or(DEFAULT_GENERALIZE_M, |g| g.parse().unwrap());
    let origins: Vec<LonLat> = std::fs::read_to_string(&args[2])
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (lon, lat) = l.split_once(',').unwrap();
            LonLat { lon: lon.parse().unwrap(), lat: lat.parse().unwrap() }
        })
        .collect();
    let budget = 15.0 * 60.0 * 0.75;
    let mut search = WalkSearch::new(&net);
    let mut one = |origin: LonLat| {
        let t = Instant::now();
        let from = net.snap(origin, 500.0)?;
        search.run(from.seeds(), budget);
        let area = isochrone(origin, &from, &search, budget, DEFAULT_MARGIN_M, generalize);
        Some((t.elapsed().as_secs_f64() * 1e3, area))
    };
    one(origins[0]);
    let mut rows = Vec::new();
    for &origin in &origins {
        if let Some((ms, area)) = one(origin) {
            let vertices: usize = area
                .0
                .iter()
                .map(|p| p.exterior().0.len() - 1 + p.interiors().iter().map(|r| r.0.len() - 1).sum::<usize>())
                .sum();
            rows.push((ms, vertices, area.geodesic_area_unsigned()));
            if std::env::var_os("EACH").is_some() {
                eprintln!("{:.7},{:.7} {ms:.3} ms {vertices} vertices", origin.lon, origin.lat);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ms: Vec<f64> = rows.iter().map(|r| r.0).collect();
    println!(
        "service-circle: {} of {} origins, generalize {generalize} m: time median {:.3} ms, max {:.3} ms | vertices median {} | area median {:.0} m^2",
        rows.len(),
        origins.len(),
        median(ms.clone()),
        ms.iter().copied().fold(0.0, f64::max),
        median(rows.iter().map(|r| r.1 as f64).collect()),
        median(rows.iter().map(|r| r.2).collect())
    );
}
