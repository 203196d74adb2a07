//! Distances on the WGS-84 ellipsoid.

use super::LonLat;
use ::geo::{Distance, Geodesic, Point};

/// Geodesic distance in metres on the WGS-84 ellipsoid (Karney's algorithm, via `geo`).
pub fn geodesic_distance_m(a: LonLat, b: LonLat) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// WGS-84 semi-major axis (m) and first eccentricity squared.
const A_M: f64 = 6_378_137.0;
const E2: f64 = 6.694_379_990_141_3e-3;
/// Up to this length the local formula is within a millionth of the geodesic; longer edges
/// (rare in a walking network) take the full algorithm.
const SHORT_M: f64 = 5_000.0;

/// The ellipsoidal distance of a short segment: its north and east extents in the meridian and
/// prime-vertical radii of curvature at the mid-latitude. Within 1e-6 of the geodesic up to
/// 5 km (tested), and a tenth of its cost; longer segments get `geodesic_distance_m`. Edge
/// lengths of walking networks are computed by the million when a region is built.
pub fn short_distance_m(a: LonLat, b: LonLat) -> f64 {
    let mid = ((a.lat + b.lat) / 2.0).to_radians();
    let w2 = 1.0 - E2 * mid.sin().powi(2);
    let meridian = A_M * (1.0 - E2) / (w2 * w2.sqrt());
    let prime_vertical = A_M / w2.sqrt();
    let north = (b.lat - a.lat).to_radians() * meridian;
    let mut dlon = b.lon - a.lon;
    if dlon.abs() > 180.0 {
        dlon -= 360.0_f64.copysign(dlon);
    }
    let east = dlon.to_radians() * prime_vertical * mid.cos();
    let d = north.hypot(east);
    if d <= SHORT_M { d } else { geodesic_distance_m(a, b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_distances_are_within_a_millionth_of_the_geodesic() {
        let mut worst: f64 = 0.0;
        for lat in [-60.0, -20.0, 0.0, 22.5, 38.4, 43.7, 55.0, 70.0] {
            for bearing in 0..24 {
                let angle = f64::from(bearing) / 24.0 * std::f64::consts::TAU;
                for length_deg in [0.00001, 0.0005, 0.003, 0.02, 0.04] {
                    let a = p(106.2, lat);
                    let b = p(
                        106.2 + length_deg * angle.cos() / f64::cos(lat.to_radians()),
                        lat + length_deg * angle.sin(),
                    );
                    let (fast, exact) = (short_distance_m(a, b), geodesic_distance_m(a, b));
                    if exact > 0.0 {
                        worst = worst.max((fast - exact).abs() / exact);
                    }
                }
            }
        }
        assert!(worst < 1e-6, "worst relative error {worst:e}");
        // Beyond 5 km: the geodesic itself.
        let (a, b) = (p(106.0, 38.0), p(106.2, 38.0));
        assert_eq!(short_distance_m(a, b), geodesic_distance_m(a, b));
    }

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
