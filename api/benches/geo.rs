//! Benchmarks of the pure geo and domain modules. Run: `cargo bench -p api --bench geo`.
//!
//! `nearest/*`: the 20 nearest of 100,000 points within 1 km, nearest first on the sphere (what
//! the server uses), against the brute-force baseline (every geodesic distance, full sort).
//! `coverage_*`: straight-line coverage of 200,000 areas by 5,000 facilities, against the
//! all-pairs baseline measured on 1% of the areas (multiply its time by 100).
//! `suggest_sites/*`: CELF greedy, 10 sites, 20,000 candidates, the uncovered of 200,000 areas.
//! `opening_hours/*`: `openAt` over 10,000 facilities, against parsing each facility's hours.

// Fixed inputs that cannot fail; a failure here is a broken benchmark.
#![allow(clippy::unwrap_used)]

use api::geo::LonLat;
use api::geo::coverage::{Demand, covered_flags, tally};
use api::geo::distance::geodesic_distance_m;
use api::geo::nearest::nearest_by_geodesic;
use api::geo::sites::greedy_sites;
use api::geo::sphere_index::SphereIndex;
use api::geo::sphere_points::SpherePoints;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::hint::black_box;

fn random_points(n: usize) -> Vec<(u32, LonLat)> {
    let mut rng = StdRng::seed_from_u64(1);
    (0..n as u32)
        .map(|i| (i, LonLat { lon: rng.random_range(106.22..106.56), lat: rng.random_range(38.33..38.58) }))
        .collect()
}

fn nearest(c: &mut Criterion) {
    let points = random_points(100_000);
    let center = LonLat { lon: 106.3, lat: 38.45 };
    let sphere = SpherePoints::bulk_load(points.clone());
    let mut group = c.benchmark_group("nearest");
    group.bench_function("sphere_nearest_first", |b| {
        b.iter(|| {
            let candidates = sphere.nearest_first(black_box(center)).map(|(id, p, d)| (*id, p, d));
            nearest_by_geodesic(center, candidates, Some(1_000.0), 20)
        })
    });
    group.bench_function("brute_force_geodesic", |b| {
        b.iter(|| {
            let mut all: Vec<(f64, u32)> = points
                .iter()
                .map(|&(id, p)| (geodesic_distance_m(black_box(center), p), id))
                .filter(|(d, _)| *d <= 1_000.0)
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            all.truncate(20);
            all
        })
    });
    group.finish();
}

/// 200,000 residential areas and 5,000 facilities over the demo district (about 820 km²).
fn coverage_instance() -> (Vec<LonLat>, Vec<Demand>) {
    let facilities: Vec<LonLat> = random_points(5_000).into_iter().map(|(_, p)| p).collect();
    let mut rng = StdRng::seed_from_u64(2);
    let demand = (0..200_000)
        .map(|_| Demand {
            location: LonLat { lon: rng.random_range(106.22..106.56), lat: rng.random_range(38.33..38.58) },
            population: rng.random_range(50..900),
            elderly: rng.random_range(10..200),
        })
        .collect();
    (facilities, demand)
}

/// Elderly walking 15 minutes at 0.75 m/s with a detour factor of 1.3.
const REACH_M: f64 = 15.0 * 60.0 * 0.75 / 1.3;

fn coverage(c: &mut Criterion) {
    let (facilities, demand) = coverage_instance();
    let mut group = c.benchmark_group("coverage_200k_areas_5k_facilities");
    group.sample_size(10);
    group.bench_function("indexed_including_index_build", |b| {
        b.iter(|| {
            let index = SphereIndex::new(facilities.clone());
            let flags = covered_flags(&index, black_box(&demand), REACH_M);
            tally(&demand, &flags, |_| ()).0
        })
    });
    // The all-pairs baseline on 1% of the areas (2,000 x 5,000 geodesics): multiply by 100.
    let sample = &demand[..2_000];
    group.bench_function("brute_force_all_pairs_on_1_percent", |b| {
        b.iter(|| {
            sample
                .iter()
                .filter(|d| {
                    let nearest =
                        facilities.iter().map(|&f| geodesic_distance_m(f, d.location)).fold(f64::INFINITY, f64::min);
                    nearest <= REACH_M
                })
                .count()
        })
    });
    group.finish();
}

fn suggest_sites(c: &mut Criterion) {
    let (facilities, demand) = coverage_instance();
    let index = SphereIndex::new(facilities);
    let flags = covered_flags(&index, &demand, REACH_M);
    let uncovered: Vec<&Demand> = demand.iter().zip(&flags).filter(|(_, c)| !**c).map(|(d, _)| d).collect();
    let points: Vec<LonLat> = uncovered.iter().map(|d| d.location).collect();
    let weights: Vec<i64> = uncovered.iter().map(|d| d.elderly).collect();
    let candidates: Vec<LonLat> = random_points(20_000).into_iter().map(|(_, p)| p).collect();
    let mut group = c.benchmark_group("suggest_sites");
    group.sample_size(10);
    group.bench_function("celf_count_10_20k_candidates_uncovered_of_200k_areas", |b| {
        b.iter(|| greedy_sites(black_box(&candidates), &points, &weights, REACH_M, 10))
    });
    // The hardest case: no facility yet, so all 200,000 areas are demand.
    let all_points: Vec<LonLat> = demand.iter().map(|d| d.location).collect();
    let all_weights: Vec<i64> = demand.iter().map(|d| d.elderly).collect();
    group.bench_function("celf_count_10_20k_candidates_200k_uncovered_areas", |b| {
        b.iter(|| greedy_sites(black_box(&candidates), &all_points, &all_weights, REACH_M, 10))
    });
    group.finish();
}

/// `openAt` over 10,000 facilities sharing a handful of hour texts: the service's evaluation
/// (each text parsed once, then evaluated) against parsing every facility's text each time.
fn opening_hours(c: &mut Criterion) {
    use api::domain::hours::{HolidayCalendar, OpenMoment, TimeZone};
    const TEXTS: [&str; 6] = [
        "Mo-Su 06:30-08:30,11:00-13:00,17:00-19:00",
        "Mo-Sa 11:00-13:00",
        "Mo-Fr 08:00-18:00; PH off",
        "24/7",
        "Mo-Su 07:00-21:00",
        "Mo-Fr 08:30-17:30; Sa 09:00-12:00; PH off",
    ];
    let facilities: Vec<&str> = (0..10_000).map(|i| TEXTS[i % TEXTS.len()]).collect();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00+08:00").unwrap().to_utc();
    let moment = OpenMoment::new(at, TimeZone::default(), &HolidayCalendar::default());
    let mut group = c.benchmark_group("opening_hours");
    group.bench_function("open_at_10k_service", |b| {
        b.iter(|| facilities.iter().filter(|h| moment.is_open(Some(h)) == Some(true)).count())
    });
    group.bench_function("open_at_10k_parse_each", |b| {
        b.iter(|| {
            facilities
                .iter()
                .filter(|h| {
                    let parsed: opening_hours::OpeningHours = h.parse().unwrap();
                    parsed.is_open(at.with_timezone(&chrono_tz::Asia::Shanghai).naive_local())
                })
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, nearest, coverage, suggest_sites, opening_hours);
criterion_main!(benches);
