//! Exact nearest-neighbour and within-distance queries by geodesic distance, fast: points live
//! in an R-tree as unit vectors, where the straight-line (chord) distance orders points like
//! the great-circle distance; the sphere's answer is then refined with the geodesic distance
//! wherever the two could disagree (they differ by less than 0.6%).

use super::LonLat;
use super::distance::geodesic_distance_m;
use rstar::{PointDistance, RTree, primitives::GeomWithData};

/// Mean Earth radius (IUGG), metres: the sphere of the approximation.
const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Great-circle and geodesic distances differ by at most this factor (0.57%, rounded up).
const SPHERE_TOLERANCE: f64 = 1.006;

type Entry = GeomWithData<[f64; 3], u32>;

fn unit_vector(p: LonLat) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Great-circle distance in metres for a squared chord between unit vectors.
fn arc_m(chord_squared: f64) -> f64 {
    2.0 * MEAN_EARTH_RADIUS_M * (chord_squared.sqrt() / 2.0).min(1.0).asin()
}

/// Squared chord between unit vectors for a great-circle distance in metres.
fn chord_squared(arc_m: f64) -> f64 {
    let half_angle = (arc_m / (2.0 * MEAN_EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    (2.0 * half_angle.sin()).powi(2)
}

/// A fixed set of points, numbered by their position in the input.
#[derive(Debug, Clone)]
pub struct SphereIndex {
    tree: RTree<Entry>,
    points: Vec<LonLat>,
}

impl SphereIndex {
    pub fn new(points: Vec<LonLat>) -> Self {
        let entries = points.iter().enumerate().map(|(i, &p)| GeomWithData::new(unit_vector(p), i as u32)).collect();
        Self { tree: RTree::bulk_load(entries), points }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn point(&self, i: u32) -> LonLat {
        self.points[i as usize]
    }

    /// The nearest point by geodesic distance (lowest number among equals) and its distance.
    pub fn nearest(&self, p: LonLat) -> Option<(u32, f64)> {
        let q = unit_vector(p);
        let sphere_nearest = self.tree.nearest_neighbor(&q)?.geom().distance_2(&q);
        // Whatever is geodesically nearest lies within this sphere distance.
        let bound = arc_m(sphere_nearest) * SPHERE_TOLERANCE * SPHERE_TOLERANCE;
        self.tree
            .locate_within_distance(q, chord_squared(bound) * (1.0 + 1e-12))
            .map(|e| (e.data, geodesic_distance_m(p, self.points[e.data as usize])))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    }

    /// Whether some point lies within `reach_m` (geodesic). Most answers need no geodesic:
    /// a point inside the sphere's inner bound settles it, and so does an empty outer bound.
    pub fn any_within(&self, p: LonLat, reach_m: f64) -> bool {
        let q = unit_vector(p);
        if self.tree.locate_within_distance(q, chord_squared(reach_m / SPHERE_TOLERANCE)).next().is_some() {
            return true;
        }
        self.tree
            .locate_within_distance(q, chord_squared(reach_m * SPHERE_TOLERANCE))
            .any(|e| geodesic_distance_m(p, self.points[e.data as usize]) <= reach_m)
    }

    /// Every point within `reach_m` (geodesic) of `p`, with its distance, in no order.
    pub fn within(&self, p: LonLat, reach_m: f64) -> impl Iterator<Item = (u32, f64)> + '_ {
        let q = unit_vector(p);
        self.tree.locate_within_distance(q, chord_squared(reach_m * SPHERE_TOLERANCE)).filter_map(move |e| {
            let d = geodesic_distance_m(p, self.points[e.data as usize]);
            (d <= reach_m).then_some((e.data, d))
        })
    }

    /// The points within the last of `bounds_m` (increasing geodesic distances) of `p`, each
    /// with the first bound it lies within. The sphere decides wherever the geodesic cannot
    /// fall on the other side of a bound; the geodesic is computed only near one.
    pub fn zones_within<'a>(&'a self, p: LonLat, bounds_m: &'a [f64]) -> impl Iterator<Item = (u32, usize)> + 'a {
        let q = unit_vector(p);
        let outer = bounds_m.last().copied().unwrap_or(0.0);
        self.tree.locate_within_distance(q, chord_squared(outer * SPHERE_TOLERANCE)).filter_map(move |e| {
            let sphere = arc_m(e.geom().distance_2(&q));
            // The geodesic lies in [sphere / T, sphere * T].
            let surely_within = bounds_m.iter().position(|&b| sphere * SPHERE_TOLERANCE <= b);
            let maybe_within = bounds_m.iter().position(|&b| sphere / SPHERE_TOLERANCE <= b)?;
            if surely_within == Some(maybe_within) {
                return Some((e.data, maybe_within));
            }
            let d = geodesic_distance_m(p, self.points[e.data as usize]);
            bounds_m.iter().position(|&b| d <= b).map(|zone| (e.data, zone))
        })
    }

    /// The points within `reach_m` (geodesic) of `p`, without their distances: the sphere
    /// decides wherever it can, the geodesic only near the edge.
    pub fn indices_within_reach(&self, p: LonLat, reach_m: f64) -> impl Iterator<Item = u32> + '_ {
        let q = unit_vector(p);
        let sure = reach_m / SPHERE_TOLERANCE;
        self.tree.locate_within_distance(q, chord_squared(reach_m * SPHERE_TOLERANCE)).filter_map(move |e| {
            let sphere = arc_m(e.geom().distance_2(&q));
            let inside = sphere <= sure || geodesic_distance_m(p, self.points[e.data as usize]) <= reach_m;
            inside.then_some(e.data)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random_points(rng: &mut StdRng, n: usize, spread: f64) -> Vec<LonLat> {
        (0..n)
            .map(|_| LonLat {
                lon: 106.3 + rng.random_range(-spread..spread),
                lat: 38.45 + rng.random_range(-spread..spread),
            })
            .collect()
    }

    #[test]
    fn nearest_and_within_equal_brute_force() {
        let mut rng = StdRng::seed_from_u64(17);
        for spread in [0.01, 0.2, 30.0] {
            let points = random_points(&mut rng, 300, spread);
            let index = SphereIndex::new(points.clone());
            for q in random_points(&mut rng, 200, spread) {
                let brute = points
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| (i as u32, geodesic_distance_m(q, p)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                assert_eq!(index.nearest(q), brute);
                let reach = brute.map_or(1.0, |(_, d)| d) * rng.random_range(0.5..3.0);
                let mut got: Vec<u32> = index.within(q, reach).map(|(i, _)| i).collect();
                got.sort_unstable();
                let mut fast: Vec<u32> = index.indices_within_reach(q, reach).collect();
                fast.sort_unstable();
                let want: Vec<u32> =
                    (0..points.len() as u32).filter(|&i| geodesic_distance_m(q, points[i as usize]) <= reach).collect();
                assert_eq!(got, want);
                assert_eq!(fast, want);
                let bounds = [reach / 3.0, reach / 2.0, reach];
                let mut zoned: Vec<(u32, usize)> = index.zones_within(q, &bounds).collect();
                zoned.sort_unstable();
                let want_zones: Vec<(u32, usize)> = (0..points.len() as u32)
                    .filter_map(|i| {
                        let d = geodesic_distance_m(q, points[i as usize]);
                        bounds.iter().position(|&b| d <= b).map(|z| (i, z))
                    })
                    .collect();
                assert_eq!(zoned, want_zones);
                assert_eq!(index.any_within(q, reach), !want.is_empty());
            }
        }
        assert_eq!(SphereIndex::new(Vec::new()).nearest(LonLat { lon: 0.0, lat: 0.0 }), None);
    }
}
