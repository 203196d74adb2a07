//! Coverage gaps: uncovered places clustered by single linkage, each cluster with a polygon
//! around it.

use super::LonLat;
use super::circle::geodesic_circle;
use super::deadline::{Deadline, TimedOut};
use super::sphere_index::SphereIndex;
use ::geo::{ConvexHull, MultiPoint, Orient, Point, orient::Direction};

/// Groups `points` so that two points within `link_m` metres (geodesic) of each other are in
/// the same cluster (single linkage: chains of such links join clusters). Clusters come in
/// the order of their first member; members in input order.
pub fn single_linkage_clusters(
    points: &[LonLat],
    link_m: f64,
    deadline: &Deadline,
) -> Result<Vec<Vec<usize>>, TimedOut> {
    let index = SphereIndex::new(points.to_vec());
    let mut parent: Vec<usize> = (0..points.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, &p) in points.iter().enumerate() {
        // A wide link over dense points visits many neighbours per point.
        if i % 256 == 0 {
            deadline.check()?;
        }
        for j in index.indices_within_reach(p, link_m) {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j as usize));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut slot_of_root = vec![usize::MAX; points.len()];
    for i in 0..points.len() {
        let r = root(&mut parent, i);
        if slot_of_root[r] == usize::MAX {
            slot_of_root[r] = clusters.len();
            clusters.push(Vec::new());
        }
        clusters[slot_of_root[r]].push(i);
    }
    Ok(clusters)
}

/// A counterclockwise closed ring containing every point with at least `margin_m` metres to
/// spare: the convex hull of a small geodesic circle around each point.
pub fn enclosing_ring(points: &[LonLat], margin_m: f64) -> Vec<LonLat> {
    let vertices: Vec<Point> =
        points.iter().flat_map(|&p| geodesic_circle(p, margin_m, 16)).map(|v| Point::new(v.lon, v.lat)).collect();
    let hull = MultiPoint::new(vertices).convex_hull().orient(Direction::Default);
    hull.exterior().points().map(|p| LonLat { lon: p.x(), lat: p.y() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;
    use ::geo::{Contains, LineString, Polygon};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn clusters_are_the_connected_components_of_the_link_graph() {
        let mut rng = StdRng::seed_from_u64(4);
        let points: Vec<LonLat> = (0..250)
            .map(|_| LonLat { lon: rng.random_range(106.2..106.3), lat: rng.random_range(38.4..38.5) })
            .collect();
        let link = 600.0;
        let clusters = single_linkage_clusters(&points, link, &Deadline::none()).unwrap();
        let mut cluster_of = vec![0; points.len()];
        for (c, members) in clusters.iter().enumerate() {
            for &m in members {
                cluster_of[m] = c;
            }
        }
        assert_eq!(clusters.iter().map(Vec::len).sum::<usize>(), points.len());
        // Brute force: flood fill over the link graph.
        let mut seen = vec![false; points.len()];
        for start in 0..points.len() {
            if seen[start] {
                continue;
            }
            let mut stack = vec![start];
            seen[start] = true;
            let mut component = vec![];
            while let Some(i) = stack.pop() {
                component.push(i);
                for j in 0..points.len() {
                    if !seen[j] && geodesic_distance_m(points[i], points[j]) <= link {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            assert!(component.iter().all(|&i| cluster_of[i] == cluster_of[start]));
            assert_eq!(component.len(), clusters[cluster_of[start]].len());
        }
    }

    #[test]
    fn the_enclosing_ring_contains_every_point_and_is_counterclockwise() {
        let points = [
            LonLat { lon: 106.3, lat: 38.5 },
            LonLat { lon: 106.31, lat: 38.505 },
            LonLat { lon: 106.305, lat: 38.49 },
        ];
        let ring = enclosing_ring(&points, 50.0);
        assert!(crate::geo::circle::signed_area_2(&ring) > 0.0);
        let polygon = Polygon::new(LineString::from(ring.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>()), vec![]);
        for p in points {
            assert!(polygon.contains(&Point::new(p.lon, p.lat)));
        }
        let single = enclosing_ring(&points[..1], 50.0);
        assert!(single.len() >= 4);
    }
}
