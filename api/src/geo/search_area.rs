//! Latitude/longitude boxes that contain a geodesic circle, for index-friendly prefilters.

use super::LonLat;
use std::f64::consts::PI;

/// The smallest radius of curvature of the WGS-84 ellipsoid (meridional, at the equator), in
/// metres. Dividing a length by it over-estimates the angle the length can span.
const MIN_RADIUS_OF_CURVATURE_M: f64 = 6_335_439.0;
/// Head-room on top of the spherical bound, for the ellipsoid's flattening.
const SAFETY_FACTOR: f64 = 1.01;

/// A latitude band and the longitude ranges (one, or two across the antimeridian) whose
/// union contains every point within some distance of a centre.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchBox {
    pub min_lat: f64,
    pub max_lat: f64,
    /// Inclusive `(min_lon, max_lon)` ranges, each inside [-180, 180].
    pub lon_ranges: Vec<(f64, f64)>,
}

impl SearchBox {
    /// The whole globe.
    pub fn world() -> Self {
        Self { min_lat: -90.0, max_lat: 90.0, lon_ranges: vec![(-180.0, 180.0)] }
    }

    /// Whether the box is the whole globe (no prefilter is worth running).
    pub fn is_world(&self) -> bool {
        self.min_lat <= -90.0 && self.max_lat >= 90.0 && self.lon_ranges == [(-180.0, 180.0)]
    }

    pub fn contains(&self, p: LonLat) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && self.lon_ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&p.lon))
    }
}

/// A box containing every point whose geodesic distance from `center` is at most `radius_m`
/// metres. Infinite or planet-sized radii give the whole globe.
pub fn covering_box(center: LonLat, radius_m: f64) -> SearchBox {
    let angle = radius_m.max(0.0) * SAFETY_FACTOR / MIN_RADIUS_OF_CURVATURE_M;
    if !angle.is_finite() || angle >= PI {
        return SearchBox::world();
    }
    let delta_lat = angle.to_degrees();
    let min_lat = center.lat - delta_lat;
    let max_lat = center.lat + delta_lat;
    if min_lat <= -90.0 || max_lat >= 90.0 {
        // The circle reaches a pole, so every longitude is within reach.
        return SearchBox {
            min_lat: min_lat.max(-90.0),
            max_lat: max_lat.min(90.0),
            lon_ranges: vec![(-180.0, 180.0)],
        };
    }
    // On a sphere, a circle of angular radius `angle` around latitude `lat` spans
    // asin(sin(angle) / cos(lat)) of longitude either side.
    let ratio = angle.sin() / center.lat.to_radians().cos();
    if ratio >= 1.0 || angle >= PI / 2.0 {
        return SearchBox { min_lat, max_lat, lon_ranges: vec![(-180.0, 180.0)] };
    }
    let delta_lon = ratio.asin().to_degrees();
    let (west, east) = (center.lon - delta_lon, center.lon + delta_lon);
    let lon_ranges = if west < -180.0 {
        vec![(-180.0, east), (west + 360.0, 180.0)]
    } else if east > 180.0 {
        vec![(west, 180.0), (-180.0, east - 360.0)]
    } else {
        vec![(west, east)]
    };
    SearchBox { min_lat, max_lat, lon_ranges }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn every_point_within_the_radius_lies_in_the_box() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let center = LonLat::new(rng.random_range(-180.0..=180.0), rng.random_range(-89.0..=89.0)).unwrap();
            let radius = 10f64.powf(rng.random_range(1.0..7.0));
            let b = covering_box(center, radius);
            // Points near the circle's edge are the ones a too-small box would miss.
            let bearing: f64 = rng.random_range(0.0..360.0);
            let reach = radius * rng.random_range(0.9..1.0);
            let (lat, lon, _) = geographic_direct(center, bearing, reach);
            let q = LonLat::new(lon, lat).unwrap();
            assert!(geodesic_distance_m(center, q) <= radius + 1e-6);
            assert!(b.contains(q), "{center:?} r={radius} misses {q:?} in {b:?}");
        }
    }

    #[test]
    fn a_box_across_the_antimeridian_is_split_in_two() {
        let b = covering_box(LonLat::new(179.999, 10.0).unwrap(), 5_000.0);
        assert_eq!(b.lon_ranges.len(), 2);
        assert!(b.contains(LonLat::new(-179.99, 10.0).unwrap()));
        assert!(!b.contains(LonLat::new(0.0, 10.0).unwrap()));
    }

    #[test]
    fn a_box_is_tight_enough_to_be_useful() {
        let b = covering_box(LonLat::new(106.27, 38.47).unwrap(), 1_000.0);
        assert!(b.max_lat - b.min_lat < 0.02);
        let (lo, hi) = b.lon_ranges[0];
        assert!(hi - lo < 0.03);
    }

    #[test]
    fn huge_radii_cover_the_world() {
        assert!(covering_box(LonLat::new(0.0, 0.0).unwrap(), f64::INFINITY).is_world());
        assert!(covering_box(LonLat::new(0.0, 0.0).unwrap(), 30_000_000.0).is_world());
    }

    fn geographic_direct(from: LonLat, bearing_deg: f64, distance_m: f64) -> (f64, f64, f64) {
        use ::geo::{Destination, Geodesic, Point};
        let p = Geodesic.destination(Point::new(from.lon, from.lat), bearing_deg, distance_m);
        let mut lon = p.x();
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        (p.y(), lon, 0.0)
    }
}
