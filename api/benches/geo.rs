//! Benchmarks of the pure geo module. Run: `cargo bench -p api --bench geo`.
//!
//! `nearest/*`: the 20 nearest of 100,000 points within 1 km, through the R-tree with
//! haversine pruning, against the brute-force baseline (every geodesic distance, full sort).

use api::geo::LonLat;
use api::geo::distance::geodesic_distance_m;
use api::geo::nearest::k_nearest;
use api::geo::point_index::PointIndex;
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
    let index = PointIndex::bulk_load(points.clone());
    let center = LonLat { lon: 106.3, lat: 38.45 };
    let mut group = c.benchmark_group("nearest");
    group.bench_function("rtree_haversine_pruned", |b| {
        b.iter(|| {
            k_nearest(black_box(center), Some(1_000.0), 20, 1_000.0, |area| index.in_box(area).collect::<Vec<_>>())
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

criterion_group!(benches, nearest);
criterion_main!(benches);
