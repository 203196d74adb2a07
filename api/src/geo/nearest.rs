//! Ranking candidates by geodesic distance, and the radii of a widening k-nearest search.

use super::{LonLat, distance::geodesic_distance_m};

/// A candidate with its distance from the query point, in metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked<Id> {
    pub id: Id,
    pub distance_m: f64,
}

/// The `limit` candidates nearest to `center`, at most `max_distance_m` away when given,
/// sorted by distance and then by id, so that every backend gives the same order.
pub fn rank_by_distance<Id: Ord + Copy>(
    center: LonLat,
    candidates: impl IntoIterator<Item = (Id, LonLat)>,
    max_distance_m: Option<f64>,
    limit: usize,
) -> Vec<Ranked<Id>> {
    let mut ranked: Vec<Ranked<Id>> = candidates
        .into_iter()
        .map(|(id, p)| Ranked { id, distance_m: geodesic_distance_m(center, p) })
        .filter(|r| max_distance_m.is_none_or(|max| r.distance_m <= max))
        .collect();
    ranked.sort_unstable_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
    ranked.truncate(limit);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn widening_radii_end_at_the_whole_planet() {
        let radii: Vec<f64> = widening_radii(1_000.0).collect();
        assert_eq!(radii[0], 1_000.0);
        assert_eq!(radii[1], 4_000.0);
        assert_eq!(*radii.last().unwrap(), MAX_GEODESIC_DISTANCE_M);
        assert!(radii.len() < 12);
    }
}
