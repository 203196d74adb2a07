//! Distances on the WGS-84 ellipsoid.

use super::LonLat;
use ::geo::{Distance, Geodesic, Point};

/// Geodesic distance in metres on the WGS-84 ellipsoid (Karney's algorithm, via `geo`).
pub fn geodesic_distance_m(a: LonLat, b: LonLat) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn distances_match_geographiclib_reference_values() {
        // Reference values for WGS-84 (GeographicLib; the quarter meridian is a textbook figure).
        let d = geodesic_distance_m(p(0.0, 0.0), p(0.0, 90.0));
        assert!((d - 10_001_965.729).abs() < 0.01, "{d}");
        // One degree of latitude at the equator: 110574.389 m.
        let d = geodesic_distance_m(p(0.0, 0.0), p(0.0, 1.0));
        assert!((d - 110_574.389).abs() < 0.01, "{d}");
        // One degree of longitude on the equator: 111319.491 m.
        let d = geodesic_distance_m(p(0.0, 0.0), p(1.0, 0.0));
        assert!((d - 111_319.491).abs() < 0.01, "{d}");
    }
}
