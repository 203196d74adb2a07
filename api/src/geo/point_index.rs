//! An R-tree of points in longitude/latitude degrees, queried with the boxes of
//! `search_area`: the in-memory counterpart of the database's bounding-box index.

use super::LonLat;
use super::search_area::SearchBox;
use rstar::{AABB, RTree, primitives::GeomWithData};

type Entry<Id> = GeomWithData<[f64; 2], Id>;

/// Points with ids (any cheaply cloned value); the same id may not be inserted twice.
#[derive(Debug, Clone)]
pub struct PointIndex<Id: Clone + PartialEq> {
    tree: RTree<Entry<Id>>,
}

impl<Id: Clone + PartialEq> Default for PointIndex<Id> {
    fn default() -> Self {
        Self { tree: RTree::new() }
    }
}

impl<Id: Clone + PartialEq> PointIndex<Id> {
    /// Builds the tree in one pass (much faster than inserting one by one).
    pub fn bulk_load(points: impl IntoIterator<Item = (Id, LonLat)>) -> Self {
        let entries = points.into_iter().map(|(id, p)| GeomWithData::new([p.lon, p.lat], id)).collect();
        Self { tree: RTree::bulk_load(entries) }
    }

    pub fn insert(&mut self, id: Id, p: LonLat) {
        self.tree.insert(GeomWithData::new([p.lon, p.lat], id));
    }

    /// Removes the point `id` at `p`; false if it was not there.
    pub fn remove(&mut self, id: Id, p: LonLat) -> bool {
        self.tree.remove(&GeomWithData::new([p.lon, p.lat], id)).is_some()
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every point inside the box.
    pub fn in_box<'a>(&'a self, area: &'a SearchBox) -> impl Iterator<Item = (Id, LonLat)> + 'a {
        area.lon_ranges.iter().flat_map(move |&(west, east)| {
            let envelope = AABB::from_corners([west, area.min_lat], [east, area.max_lat]);
            self.tree
                .locate_in_envelope(&envelope)
                .map(|e| (e.data.clone(), LonLat { lon: e.geom()[0], lat: e.geom()[1] }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::search_area::covering_box;

    #[test]
    fn box_queries_find_exactly_the_points_inside_and_removal_works() {
        let points: Vec<(u32, LonLat)> = (0..400)
            .map(|i| (i, LonLat { lon: -180.0 + f64::from(i % 20) * 18.9, lat: -85.0 + f64::from(i / 20) * 8.9 }))
            .collect();
        let mut index = PointIndex::bulk_load(points.clone());
        for center in [LonLat { lon: 179.0, lat: 0.0 }, LonLat { lon: 10.0, lat: 40.0 }] {
            let area = covering_box(center, 2_500_000.0);
            let mut got: Vec<u32> = index.in_box(&area).map(|(id, _)| id).collect();
            got.sort_unstable();
            let want: Vec<u32> = points.iter().filter(|(_, p)| area.contains(*p)).map(|(id, _)| *id).collect();
            assert_eq!(got, want);
        }
        assert!(index.remove(5, points[5].1));
        assert!(!index.remove(5, points[5].1));
        assert_eq!(index.len(), 399);
        index.insert(5, points[5].1);
        assert_eq!(index.len(), 400);
    }
}
