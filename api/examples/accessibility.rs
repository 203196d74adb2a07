//! E2SFCA accessibility in-process (issue 14's benchmark): random residential areas and
//! facilities (fixed seed) over a 40 x 40 km square near Yinchuan, straight-line trips at the
//! elderly walking speed (0.75 m/s, detour factor 1.3) within 15 minutes, Luo & Qi's zones.
//! Prints the time of the trips (one index query per facility) and of the two E2SFCA steps,
//! best of a few runs. With `--write DIR`, also writes the inputs and the scores as CSV for
//! `bench/access_e2sfca.py`, which runs the PyPI package `access` on the same trips.
//!
//!     cargo run --release -p api --example accessibility -- [AREAS] [FACILITIES] [--write DIR]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use api::geo::LonLat;
use api::geo::accessibility::{Zones, e2sfca};
use api::geo::deadline::Deadline;
use api::geo::distance::geodesic_distance_m;
use api::geo::travel::TravelSettings;
use api::geo::walk_times::Walker;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::fmt::Write as _;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let areas: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let facilities: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let write = args.iter().position(|a| a == "--write").map(|i| args[i + 1].clone());
    let mut rng = StdRng::seed_from_u64(2026);
    // 40 km x 40 km: 0.4567 degrees of longitude and 0.3603 of latitude at 38.5 N.
    let mut point = || LonLat { lon: 106.0 + rng.random_range(0.0..0.4567), lat: 38.3 + rng.random_range(0.0..0.3603) };
    let area_at: Vec<LonLat> = (0..areas).map(|_| point()).collect();
    let facility_at: Vec<LonLat> = (0..facilities).map(|_| point()).collect();
    let demand: Vec<f64> = (0..areas).map(|_| f64::from(rng.random_range(10..500))).collect();
    let supply: Vec<f64> = (0..facilities).map(|_| f64::from(rng.random_range(10..100))).collect();
    let walker = Walker { settings: TravelSettings::default(), network: None };
    let zones = Zones::luo_qi(15.0);
    let (mut best_trips, mut best_steps) = (f64::INFINITY, f64::INFINITY);
    let mut result = None;
    for _ in 0..3 {
        let started = Instant::now();
        let bounds: Vec<f64> = zones.zones().iter().map(|z| z.up_to_minutes).collect();
        let trips = walker.reach_zones(&facility_at, &area_at, &bounds, &Deadline::none()).unwrap();
        let between = Instant::now();
        let scores = e2sfca(&supply, &demand, &trips, &zones, &Deadline::none()).unwrap();
        best_trips = best_trips.min((between - started).as_secs_f64() * 1e3);
        best_steps = best_steps.min(between.elapsed().as_secs_f64() * 1e3);
        result = Some((trips, scores));
    }
    let (trips, scores) = result.unwrap();
    let pairs: usize = trips.iter().map(Vec::len).sum();
    println!(
        "service-circle: {areas} areas x {facilities} facilities, {pairs} trips within 15 min: trips {best_trips:.1} ms + \
         E2SFCA {best_steps:.1} ms = {:.1} ms (best of 3) | areas reaching something {}",
        best_trips + best_steps,
        scores.reached.iter().filter(|&&r| r > 0).count()
    );
    if let Some(dir) = write {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        let mut csv = String::from("geoid,elderly\n");
        for (i, d) in demand.iter().enumerate() {
            writeln!(csv, "{i},{d}").unwrap();
        }
        std::fs::write(dir.join("demand.csv"), &csv).unwrap();
        csv = String::from("geoid,capacity\n");
        for (j, s) in supply.iter().enumerate() {
            writeln!(csv, "{j},{s}").unwrap();
        }
        std::fs::write(dir.join("supply.csv"), &csv).unwrap();
        // Minutes by the geodesic (all 17 significant digits): `access` weighs them by the
        // same zones, so both sides must weigh the same trips.
        csv = String::from("origin,dest,cost\n");
        for (j, reached) in trips.iter().enumerate() {
            for &(i, _) in reached {
                let minutes =
                    walker.settings.straight_line_minutes(geodesic_distance_m(facility_at[j], area_at[i as usize]));
                writeln!(csv, "{i},{j},{minutes:e}").unwrap();
            }
        }
        std::fs::write(dir.join("cost.csv"), &csv).unwrap();
        csv = String::from("geoid,score\n");
        for (i, s) in scores.scores.iter().enumerate() {
            writeln!(csv, "{i},{s:e}").unwrap();
        }
        std::fs::write(dir.join("ours.csv"), &csv).unwrap();
    }
}
