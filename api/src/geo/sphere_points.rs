//! A changing set of points on the sphere, searched nearest first: points are kept in an
//! R-tree as unit vectors, where the straight-line (chord) distance orders them exactly like
//! the great-circle distance, so a nearest-first walk of the tree visits points in
//! great-circle order and a k-nearest search stops after about k points.

use super::LonLat;
use rstar::{RTree, primitives::GeomWithData};

/// Mean Earth radius (IUGG), metres: the sphere of the approximation.
const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;

type Entry<Id> = GeomWithData<[f64; 3], (Id, LonLat)>;

fn unit_vector(p: LonLat) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Points with ids (any cheaply cloned value); the same id may not be inserted twice.
#[derive(Debug, Clone)]
pub struct SpherePoints<Id: Clone + PartialEq> {
    tree: RTree<Entry<Id>>,
}

impl<Id: Clone + PartialEq> Default for SpherePoints<Id> {
    fn default() -> Self {
        Self { tree: RTree::new() }
    }
}

impl<Id: Clone + PartialEq> SpherePoints<Id> {
    /// Builds the tree in one pass (much faster than inserting one by one).
    pub fn bulk_load(points: impl IntoIterator<Item = (Id, LonLat)>) -> Self {
        Self {
            tree: RTree::bulk_load(
                points.into_iter().map(|(id, p)| GeomWithData::new(unit_vector(p), (id, p))).collect(),
            ),
        }
    }

    pub fn insert(&mut self, id: Id, p: LonLat) {
        self.tree.insert(GeomWithData::new(unit_vector(p), (id, p)));
    }

    /// Removes the point `id` at `p`; false if it was not there.
    pub fn remove(&mut self, id: Id, p: LonLat) -> bool {
        self.tree.remove(&GeomWithData::new(unit_vector(p), (id, p))).is_some()
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every point with its great-circle distance from `center` in metres, nearest first.
    pub fn nearest_first(&self, center: LonLat) -> impl Iterator<Item = (&Id, LonLat, f64)> + '_ {
        self.tree.nearest_neighbor_iter_with_distance_2(&unit_vector(center)).map(|(e, chord2)| {
            let arc = 2.0 * MEAN_EARTH_RADIUS_M * (chord2.sqrt() / 2.0).min(1.0).asin();
            (&e.data.0, e.data.1, arc)
        })
    }
}
