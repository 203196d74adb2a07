//! A static index of many points for rectangle queries at a few bytes a point: the points'
//! numbers grouped by grid cell, and an R-tree over the occupied cells' bounding boxes. An
//! R-tree over the points themselves costs 56 bytes a point (each leaf is sized like an inner
//! node), which for a province's two million residential areas is a hundred megabytes.

use super::LonLat;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Side of a cell in degrees (about 1 km): a district's rectangle spans a few hundred cells,
/// and a cell of a dense city holds a few dozen points.
const CELL_DEGREES: f64 = 0.01;

type Cell = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

#[derive(Debug, Default)]
pub struct PointCells {
    /// Point numbers, grouped by cell.
    members: Vec<u32>,
    /// Each occupied cell: the bounding box of its points and its range in `members`.
    cells: RTree<Cell>,
}

impl PointCells {
    /// Indexes `points`; a point is named by its position in the slice.
    pub fn new(points: &[LonLat]) -> Self {
        let cell_of = |p: &LonLat| ((p.lon / CELL_DEGREES).floor() as i64, (p.lat / CELL_DEGREES).floor() as i64);
        let mut keyed: Vec<((i64, i64), u32)> =
            points.iter().enumerate().map(|(i, p)| (cell_of(p), i as u32)).collect();
        keyed.sort_unstable();
        let members: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
        let mut cells = Vec::new();
        let mut start = 0;
        for group in keyed.chunk_by(|a, b| a.0 == b.0) {
            let end = start + group.len();
            let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for &(_, i) in group {
                let p = points[i as usize];
                min = [min[0].min(p.lon), min[1].min(p.lat)];
                max = [max[0].max(p.lon), max[1].max(p.lat)];
            }
            cells.push(GeomWithData::new(Rectangle::from_corners(min, max), (start as u32, end as u32)));
            start = end;
        }
        Self { members, cells: RTree::bulk_load(cells) }
    }

    /// The numbers of the points inside the rectangle from `min` to `max` (edges included),
    /// ascending; `location` gives a point's position by its number.
    pub fn in_rectangle(&self, min: LonLat, max: LonLat, location: impl Fn(u32) -> LonLat) -> Vec<u32> {
        let inside = |p: LonLat| min.lon <= p.lon && p.lon <= max.lon && min.lat <= p.lat && p.lat <= max.lat;
        let envelope = AABB::from_corners([min.lon, min.lat], [max.lon, max.lat]);
        let mut found: Vec<u32> = self
            .cells
            .locate_in_envelope_intersecting(&envelope)
            .flat_map(|cell| &self.members[cell.data.0 as usize..cell.data.1 as usize])
            .copied()
            .filter(|&i| inside(location(i)))
            .collect();
        found.sort_unstable();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn finds_exactly_the_points_a_scan_finds() {
        let mut rng = StdRng::seed_from_u64(11);
        // Clustered and spread points, some on cell edges and repeated.
        let mut points: Vec<LonLat> = (0..5_000)
            .map(|_| LonLat { lon: 106.0 + rng.random_range(0.0..0.3), lat: 38.3 + rng.random_range(0.0..0.2) })
            .collect();
        points.extend((0..200).map(|k| LonLat { lon: 106.1 + f64::from(k % 5) * 0.01, lat: 38.4 }));
        let index = PointCells::new(&points);
        for _ in 0..300 {
            let (a, b): (f64, f64) = (rng.random_range(105.95..106.35), rng.random_range(105.95..106.35));
            let (c, d): (f64, f64) = (rng.random_range(38.25..38.55), rng.random_range(38.25..38.55));
            let (min, max) = (LonLat { lon: a.min(b), lat: c.min(d) }, LonLat { lon: a.max(b), lat: c.max(d) });
            let expected: Vec<u32> = (0..points.len() as u32)
                .filter(|&i| {
                    let p = points[i as usize];
                    min.lon <= p.lon && p.lon <= max.lon && min.lat <= p.lat && p.lat <= max.lat
                })
                .collect();
            assert_eq!(index.in_rectangle(min, max, |i| points[i as usize]), expected);
        }
        let edge = LonLat { lon: 106.1, lat: 38.4 };
        assert_eq!(index.in_rectangle(edge, edge, |i| points[i as usize]).len(), 40);
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = PointCells::new(&[]);
        let p = LonLat { lon: 0.0, lat: 0.0 };
        assert!(index.in_rectangle(p, p, |_| p).is_empty());
    }
}
