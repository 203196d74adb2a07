//! Ranking candidates by geodesic distance, and the radii of a widening k-nearest search.
//!
//! Geodesic distances (Karney) are exact but cost about a microsecond each, so candidates are
//! first ranked by the haversine distance on a sphere, which is within 0.6% of the geodesic
//! one, and only those that can still make the cut get an exact distance.

use super::{LonLat, distance::geodesic_distance_m};

/// A candidate with its distance from the query point, in metres.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked<Id> {
    pub id: Id,
    pub distance_m: f64,
}

/// Mean Earth radius (IUGG), metres: the sphere of the approximation.
const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Geodesic and haversine distances differ by less than 0.6%; 1% leaves head-room.
const APPROXIMATION_TOLERANCE: f64 = 1.01;

/// Great-circle distance in metres on the mean sphere: cheap, and within 0.6% of the geodesic.
pub fn haversine_distance_m(a: LonLat, b: LonLat) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * MEAN_EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The `limit` candidates nearest to `center` by geodesic distance, at most `max_distance_m`
/// away when given, sorted by distance and then by id, so that every backend gives the same
/// order. Exactly as if every candidate's geodesic distance were computed.
pub fn rank_by_distance<Id: Ord + Clone>(
    center: LonLat,
    candidates: impl IntoIterator<Item = (Id, LonLat)>,
    max_distance_m: Option<f64>,
    limit: usize,
) -> Vec<Ranked<Id>> {
    let max_approx = max_distance_m.map_or(f64::INFINITY, |m| m * APPROXIMATION_TOLERANCE);
    let mut approx: Vec<(f64, Id, LonLat)> = candidates
        .into_iter()
        .map(|(id, p)| (haversine_distance_m(center, p), id, p))
        .filter(|(d, _, _)| *d <= max_approx)
        .collect();
    if limit == 0 || approx.is_empty() {
        return Vec::new();
    }
    // The `limit` approximately nearest bound the exact cut-off from above...
    let k = limit.min(approx.len());
    approx.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    let exact = |(_, id, p): &(f64, Id, LonLat)| Ranked { id: id.clone(), distance_m: geodesic_distance_m(center, *p) };
    let mut ranked: Vec<Ranked<Id>> = approx[..k].iter().map(exact).collect();
    let cutoff = ranked.iter().map(|r| r.distance_m).fold(0.0, f64::max);
    // ...and only candidates approximately within that cut-off can still displace one of them.
    ranked.extend(approx[k..].iter().filter(|(d, _, _)| *d <= cutoff * APPROXIMATION_TOLERANCE).map(exact));
    ranked.retain(|r| max_distance_m.is_none_or(|max| r.distance_m <= max));
    ranked.sort_unstable_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.id.cmp(&b.id)));
    ranked.truncate(limit);
    ranked
}

/// Great-circle and geodesic distances differ by at most this factor (0.57%, rounded up).
const SPHERE_TOLERANCE: f64 = 1.006;

/// The `limit` candidates nearest to `center` by geodesic distance, at most `max_distance_m`
/// away when given, sorted by distance and then by id, from candidates given nearest first by
/// great-circle distance (metres). Exactly as if every candidate's geodesic distance were
/// computed, but it stops reading once no later candidate can make the cut: about `limit`
/// geodesics instead of one per candidate.
pub fn nearest_by_geodesic<Id: Ord + Clone>(
    center: LonLat,
    by_sphere: impl IntoIterator<Item = (Id, LonLat, f64)>,
    max_distance_m: Option<f64>,
    limit: usize,
) -> Vec<Ranked<Id>> {
    let mut ranked: Vec<Ranked<Id>> = Vec::with_capacity(limit.min(512));
    if limit == 0 {
        return ranked;
    }
    for (id, p, sphere_m) in by_sphere {
        if max_distance_m.is_some_and(|max| sphere_m > max * SPHERE_TOLERANCE) {
            break;
        }
        if ranked.len() == limit && sphere_m > ranked[limit - 1].distance_m * SPHERE_TOLERANCE {
            break;
        }
        let distance_m = geodesic_distance_m(center, p);
        if max_distance_m.is_some_and(|max| distance_m > max) {
            continue;
        }
        let hit = Ranked { id, distance_m };
        let at = ranked.partition_point(|r| (r.distance_m, &r.id) < (hit.distance_m, &hit.id));
        if at < limit {
            ranked.insert(at, hit);
            ranked.truncate(limit);
        }
    }
    ranked
}

/// Half the equator: no two points on Earth are farther apart along a geodesic.
pub const MAX_GEODESIC_DISTANCE_M: f64 = 20_037_509.0;

/// Radii for a k-nearest search that grows until it has enough: `start_m`, then four times
/// larger each step, ending with one that covers the whole planet.
pub fn widening_radii(start_m: f64) -> impl Iterator<Item = f64> {
    let mut next = Some(start_m.max(1.0));
    std::iter::from_fn(move || {
        let current = next?;
        next = (current < MAX_GEODESIC_DISTANCE_M).then(|| (current * 4.0).min(MAX_GEODESIC_DISTANCE_M));
        Some(current)
    })
}

/// The `limit` nearest candidates, at most `radius_m` away when given, with candidates drawn
/// from `candidates_in` (everything inside a box). Without a radius the box grows until the
/// `limit`-th hit lies inside the circle the box was built for, so no nearer candidate can be
/// outside it.
pub fn k_nearest<Id: Ord + Clone, I: IntoIterator<Item = (Id, LonLat)>>(
    center: LonLat,
    radius_m: Option<f64>,
    limit: usize,
    first_radius_m: f64,
    mut candidates_in: impl FnMut(&super::search_area::SearchBox) -> I,
) -> Vec<Ranked<Id>> {
    use super::search_area::covering_box;
    if let Some(radius) = radius_m {
        return rank_by_distance(center, candidates_in(&covering_box(center, radius)), Some(radius), limit);
    }
    let mut ranked = Vec::new();
    for radius in widening_radii(first_radius_m) {
        let area = covering_box(center, radius);
        let whole_world = area.is_world() || radius >= MAX_GEODESIC_DISTANCE_M;
        ranked = rank_by_distance(center, candidates_in(&area), (!whole_world).then_some(radius), limit);
        if ranked.len() >= limit || whole_world {
            break;
        }
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn brute_force(center: LonLat, points: &[(u32, LonLat)], max: Option<f64>, limit: usize) -> Vec<Ranked<u32>> {
        let mut all: Vec<Ranked<u32>> = points
            .iter()
            .map(|&(id, p)| Ranked { id, distance_m: geodesic_distance_m(center, p) })
            .filter(|r| max.is_none_or(|m| r.distance_m <= m))
            .collect();
        all.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        all.truncate(limit);
        all
    }

    #[test]
    fn ranking_sorts_by_distance_then_id_and_applies_radius_and_limit() {
        let c = LonLat::new(0.0, 0.0).unwrap();
        let at = |lon: f64| LonLat::new(lon, 0.0).unwrap();
        let r = rank_by_distance(c, [(5, at(0.002)), (3, at(0.001)), (1, at(0.002)), (9, at(0.5))], Some(1_000.0), 10);
        assert_eq!(r.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3, 1, 5]);
        let r = rank_by_distance(c, [(5, at(0.002)), (3, at(0.001)), (1, at(0.002))], None, 2);
        assert_eq!(r.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3, 1]);
    }

    #[test]
    fn ranking_equals_brute_force_everywhere_on_the_globe() {
        let mut rng = StdRng::seed_from_u64(11);
        for round in 0..300 {
            let center = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-89.0..=89.0)).unwrap();
            let spread: f64 = [0.01, 0.5, 20.0][round % 3];
            let points: Vec<(u32, LonLat)> = (0..200)
                .map(|i| {
                    let lon = (center.lon + rng.random_range(-spread..spread) + 540.0).rem_euclid(360.0) - 180.0;
                    let lat = (center.lat + rng.random_range(-spread..spread)).clamp(-90.0, 90.0);
                    (i, LonLat::new(lon, lat).unwrap())
                })
                .collect();
            let limit = rng.random_range(1..30);
            let max = rng.random_bool(0.5).then(|| spread * rng.random_range(10_000.0..100_000.0));
            assert_eq!(rank_by_distance(center, points.clone(), max, limit), brute_force(center, &points, max, limit));
        }
    }

    #[test]
    fn nearest_first_ranking_equals_brute_force_everywhere_on_the_globe() {
        use crate::geo::sphere_points::SpherePoints;
        let mut rng = StdRng::seed_from_u64(12);
        for round in 0..300 {
            let center = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-89.0..=89.0)).unwrap();
            let spread: f64 = [0.01, 0.5, 20.0][round % 3];
            let mut points: Vec<(u32, LonLat)> = (0..200)
                .map(|i| {
                    let lon = (center.lon + rng.random_range(-spread..spread) + 540.0).rem_euclid(360.0) - 180.0;
                    let lat = (center.lat + rng.random_range(-spread..spread)).clamp(-90.0, 90.0);
                    (i, LonLat::new(lon, lat).unwrap())
                })
                .collect();
            // Some exact duplicates, to exercise the id tie-break.
            for i in (17..200).step_by(17) {
                points[i].1 = points[i - 1].1;
            }
            let index = SpherePoints::bulk_load(points.iter().copied());
            let limit = rng.random_range(1..30);
            let max = rng.random_bool(0.5).then(|| spread * rng.random_range(10_000.0..100_000.0));
            let got =
                nearest_by_geodesic(center, index.nearest_first(center).map(|(id, p, d)| (*id, p, d)), max, limit);
            assert_eq!(got, brute_force(center, &points, max, limit));
        }
    }

    #[test]
    fn haversine_stays_within_the_tolerance_of_the_geodesic() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..20_000 {
            let a = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-90.0..=90.0)).unwrap();
            let b = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-90.0..=90.0)).unwrap();
            let (h, g) = (haversine_distance_m(a, b), geodesic_distance_m(a, b));
            assert!(h <= g * 1.0057 + 1e-6 && g <= h * 1.0057 + 1e-6, "{a:?} {b:?} {h} {g}");
        }
    }

    #[test]
    fn k_nearest_without_a_radius_equals_brute_force() {
        let mut rng = StdRng::seed_from_u64(5);
        let points: Vec<(u32, LonLat)> = (0..300)
            .map(|i| (i, LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-80.0..=80.0)).unwrap()))
            .collect();
        for _ in 0..100 {
            let center = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-89.0..=89.0)).unwrap();
            let limit = rng.random_range(1..20);
            let got = k_nearest(center, None, limit, 1_000.0, |area| {
                points.iter().copied().filter(|(_, p)| area.contains(*p)).collect::<Vec<_>>()
            });
            assert_eq!(got, brute_force(center, &points, None, limit));
        }
    }

    #[test]
    fn widening_radii_end_at_the_whole_planet() {
        let radii: Vec<f64> = widening_radii(1_000.0).collect();
        assert_eq!(radii[0], 1_000.0);
        assert_eq!(radii[1], 4_000.0);
        assert_eq!(*radii.last().unwrap(), MAX_GEODESIC_DISTANCE_M);
        assert!(radii.len() < 12);
    }
}
