//! Network isochrones: the area reachable on foot within a walking budget.
//!
//! Method: after a bounded search from the origin, every edge is cut to the part that can be
//! walked within the budget (whole where both ends leave enough, otherwise a piece from each
//! reached end, and the origin's own edge from the snapped point both ways); the walk from the
//! origin onto the network is included. The pieces, in a local metric projection around the
//! origin, are buffered by `margin_m` (round caps and joins, so the pieces merge where they
//! meet) and unioned by geo's `Buffer`. Blocks enclosed by reachable streets but farther than
//! the margin from them stay holes.

use super::LonLat;
use super::network::{Snap, WalkSearch};
use geo::orient::{Direction, Orient};
use geo::{Buffer, Coord, LineString, MapCoords, MultiLineString, MultiPolygon};

/// Default margin: how far either side of a walked street counts as reached.
pub const DEFAULT_MARGIN_M: f64 = 40.0;

const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON_EQUATOR: f64 = 111_320.0;

/// A local equirectangular projection in metres around an origin: accurate to well under 1%
/// within the few kilometres an isochrone spans.
struct Local {
    origin: LonLat,
    m_per_deg_lon: f64,
}

impl Local {
    fn new(origin: LonLat) -> Self {
        Self { origin, m_per_deg_lon: M_PER_DEG_LON_EQUATOR * origin.lat.to_radians().cos().max(0.01) }
    }

    fn project(&self, p: LonLat) -> Coord<f64> {
        Coord { x: (p.lon - self.origin.lon) * self.m_per_deg_lon, y: (p.lat - self.origin.lat) * M_PER_DEG_LAT }
    }

    fn unproject(&self, c: Coord<f64>) -> Coord<f64> {
        Coord { x: self.origin.lon + c.x / self.m_per_deg_lon, y: self.origin.lat + c.y / M_PER_DEG_LAT }
    }
}

fn lerp(a: Coord<f64>, b: Coord<f64>, t: f64) -> Coord<f64> {
    Coord { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t }
}

/// The pieces of the network walked within `budget_m`, in the local projection.
fn walked_pieces(
    local: &Local,
    origin: LonLat,
    from: &Snap,
    search: &WalkSearch<'_>,
    budget_m: f64,
) -> Vec<LineString<f64>> {
    let net = search.network();
    let at = |n: u32| local.project(net.position(n));
    let mut pieces = Vec::new();
    // From the origin onto the network, and along the origin's own edge both ways.
    let (a, b) = (at(from.a), at(from.b));
    let edge_m = from.to_a_m + from.to_b_m;
    let snapped = if edge_m > 0.0 { lerp(a, b, from.to_a_m / edge_m) } else { a };
    let start = local.project(origin);
    if from.offset_m > 0.0 {
        pieces.push(LineString::new(vec![start, lerp(start, snapped, (budget_m / from.offset_m).min(1.0))]));
    }
    let left = budget_m - from.offset_m;
    if left > 0.0 && edge_m > 0.0 {
        let toward_a = lerp(snapped, a, (left / from.to_a_m.max(f64::MIN_POSITIVE)).min(1.0));
        let toward_b = lerp(snapped, b, (left / from.to_b_m.max(f64::MIN_POSITIVE)).min(1.0));
        pieces.push(LineString::new(vec![toward_a, snapped, toward_b]));
    }
    for &u in search.reached() {
        let left_u = budget_m - search.distance_m(u);
        for (v, length) in net.arcs(u) {
            let length = f64::from(length);
            let left_v = budget_m - search.distance_m(v);
            if left_u + left_v.max(0.0) >= length {
                // The whole edge, once (from its lower-numbered end, or from `u` when `v` was
                // not reached).
                if u < v || left_v < 0.0 || !left_v.is_finite() {
                    pieces.push(LineString::new(vec![at(u), at(v)]));
                }
            } else if length > 0.0 {
                pieces.push(LineString::new(vec![at(u), lerp(at(u), at(v), left_u / length)]));
            }
        }
    }
    pieces
}

/// The isochrone of a search from `origin` (snapped at `from`) for `budget_m` metres of
/// walking, as a WGS-84 MultiPolygon with counterclockwise exteriors (RFC 7946).
pub fn isochrone(
    origin: LonLat,
    from: &Snap,
    search: &WalkSearch<'_>,
    budget_m: f64,
    margin_m: f64,
) -> MultiPolygon<f64> {
    let local = Local::new(origin);
    let pieces = walked_pieces(&local, origin, from, search, budget_m);
    let area = MultiLineString::new(pieces).buffer(margin_m);
    area.map_coords(|c| local.unproject(c)).orient(Direction::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::network::WalkingNetwork;
    use geo::{Contains, Point};

    fn grid(side: u32) -> WalkingNetwork {
        let positions: Vec<LonLat> = (0..side * side)
            .map(|i| LonLat { lon: 106.2 + f64::from(i % side) * 0.002, lat: 38.4 + f64::from(i / side) * 0.0016 })
            .collect();
        let mut edges = Vec::new();
        for i in 0..side * side {
            if i % side + 1 < side {
                edges.push((i, i + 1));
            }
            if i / side + 1 < side {
                edges.push((i, i + side));
            }
        }
        WalkingNetwork::new(positions, edges)
    }

    #[test]
    fn isochrones_hold_what_is_reached_inside_the_budget_and_nothing_far_beyond() {
        let net = grid(21);
        let origin = LonLat { lon: 106.2 + 10.0 * 0.002 + 0.0003, lat: 38.4 + 10.0 * 0.0016 };
        let from = net.snap(origin, 500.0).unwrap();
        let mut search = WalkSearch::new(&net);
        let budget = 900.0;
        search.run(from.seeds(), budget);
        let area = isochrone(origin, &from, &search, budget, DEFAULT_MARGIN_M);
        let contains = |p: LonLat| area.contains(&Point::new(p.lon, p.lat));
        let full = net.walk_distances(&from.seeds(), f64::INFINITY);
        let (mut inside, mut outside) = (0, 0);
        for n in 0..net.node_count() as u32 {
            let d = f64::from(full[n as usize]);
            if d < budget * 0.9 {
                assert!(contains(net.position(n)), "node {n} at {d} m is reached");
                inside += 1;
            } else if d > budget + 2.0 * DEFAULT_MARGIN_M {
                assert!(!contains(net.position(n)), "node {n} at {d} m is not reached");
                outside += 1;
            }
        }
        assert!(inside > 20 && outside > 100, "{inside} {outside}");
        // Blocks are 176 x 178 m: their middles are farther than the margin from any street.
        let block_middle = LonLat { lon: origin.lon - 0.0003 + 0.001, lat: origin.lat + 0.0008 };
        assert!(!contains(block_middle), "holes stay holes");
        assert!(area.0.iter().all(|p| p.exterior().is_closed()));
    }
}
