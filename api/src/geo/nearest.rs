//! Ranking candidates by geodesic distance.
//!
//! Geodesic distances (Karney) are exact but cost about a microsecond each, so candidates come
//! nearest first by great-circle distance (`sphere_points`), which is within 0.6% of the
//! geodesic one, and only those that can still make the cut get an exact distance.

use super::{LonLat, distance::geodesic_distance_m};

/// A candidate with its distance from the query point, in metres.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked<Id> {
    pub id: Id,
    pub distance_m: f64,
}

/// Great-circle and geodesic distances differ by at most this factor (0.57%, rounded up).
const SPHERE_TOLERANCE: f64 = 1.006;
/// Rounding of great-circle distances from unit vectors, metres (generous).
const ROUNDING_M: f64 = 1e-3;

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
        // The micrometre covers rounding in the unit vectors, which matters at distance zero.
        if max_distance_m.is_some_and(|max| sphere_m > max * SPHERE_TOLERANCE + ROUNDING_M) {
            break;
        }
        if ranked.len() == limit && sphere_m > ranked[limit - 1].distance_m * SPHERE_TOLERANCE + ROUNDING_M {
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

    /// The ranking through a `SpherePoints` index, as the server runs it.
    fn ranked(center: LonLat, points: &[(u32, LonLat)], max: Option<f64>, limit: usize) -> Vec<Ranked<u32>> {
        let index = crate::geo::sphere_points::SpherePoints::bulk_load(points.iter().copied());
        nearest_by_geodesic(center, index.nearest_first(center).map(|(id, p, d)| (*id, p, d)), max, limit)
    }

    #[test]
    fn ranking_sorts_by_distance_then_id_and_applies_radius_and_limit() {
        let c = LonLat::new(0.0, 0.0).unwrap();
        let at = |lon: f64| LonLat::new(lon, 0.0).unwrap();
        let r = ranked(c, &[(5, at(0.002)), (3, at(0.001)), (1, at(0.002)), (9, at(0.5))], Some(1_000.0), 10);
        assert_eq!(r.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3, 1, 5]);
        let r = ranked(c, &[(5, at(0.002)), (3, at(0.001)), (1, at(0.002))], None, 2);
        assert_eq!(r.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3, 1]);
        assert!(ranked(c, &[(1, at(0.0))], None, 0).is_empty());
    }

    #[test]
    fn nearest_first_ranking_equals_brute_force_everywhere_on_the_globe() {
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
            let limit = rng.random_range(1..30);
            let max = rng.random_bool(0.5).then(|| spread * rng.random_range(10_000.0..100_000.0));
            assert_eq!(ranked(center, &points, max, limit), brute_force(center, &points, max, limit));
        }
    }

    #[test]
    fn great_circle_distances_stay_within_the_tolerance_of_the_geodesic() {
        let mut rng = StdRng::seed_from_u64(3);
        let great_circle = |a: LonLat, b: LonLat| {
            let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
            let h = ((lat2 - lat1) / 2.0).sin().powi(2)
                + lat1.cos() * lat2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
            2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
        };
        for _ in 0..20_000 {
            let a = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-90.0..=90.0)).unwrap();
            let b = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-90.0..=90.0)).unwrap();
            let (h, g) = (great_circle(a, b), geodesic_distance_m(a, b));
            assert!(h <= g * SPHERE_TOLERANCE + 1e-6 && g <= h * SPHERE_TOLERANCE + 1e-6, "{a:?} {b:?} {h} {g}");
        }
    }

    #[test]
    fn nearest_anywhere_without_a_radius_equals_brute_force() {
        let mut rng = StdRng::seed_from_u64(5);
        let points: Vec<(u32, LonLat)> = (0..300)
            .map(|i| (i, LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-80.0..=80.0)).unwrap()))
            .collect();
        for _ in 0..100 {
            let center = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-89.0..=89.0)).unwrap();
            let limit = rng.random_range(1..20);
            assert_eq!(ranked(center, &points, None, limit), brute_force(center, &points, None, limit));
        }
    }
}
