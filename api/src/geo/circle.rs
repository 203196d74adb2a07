//! Geodesic circles as polygons.

use super::LonLat;
use ::geo::{Destination, Geodesic, Point};

/// Vertices of a service-circle polygon.
pub const CIRCLE_VERTICES: usize = 64;

/// The closed ring (first vertex repeated last) of the points `radius_m` metres from
/// `center` along geodesics, `vertices` of them, counterclockwise as RFC 7946 wants for an
/// exterior ring. Longitudes are continuous across the antimeridian (they may leave
/// [-180, 180]) so that the ring stays a simple polygon.
pub fn geodesic_circle(center: LonLat, radius_m: f64, vertices: usize) -> Vec<LonLat> {
    let n = vertices.max(3);
    let origin = Point::new(center.lon, center.lat);
    let mut ring: Vec<LonLat> = (0..n)
        .map(|i| {
            // Bearings run clockwise from north; walking them backwards gives a
            // counterclockwise ring.
            let bearing = 360.0 - 360.0 * i as f64 / n as f64;
            let p = Geodesic.destination(origin, bearing % 360.0, radius_m);
            let mut lon = p.x();
            while lon - center.lon > 180.0 {
                lon -= 360.0;
            }
            while center.lon - lon > 180.0 {
                lon += 360.0;
            }
            LonLat { lon, lat: p.y() }
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// Twice the signed area of a ring in degrees (positive when counterclockwise).
pub fn signed_area_2(ring: &[LonLat]) -> f64 {
    ring.windows(2).map(|w| w[0].lon * w[1].lat - w[1].lon * w[0].lat).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;

    #[test]
    fn vertices_lie_at_the_radius_and_the_ring_is_closed_and_counterclockwise() {
        for (center, radius) in [
            (LonLat { lon: 106.27, lat: 38.47 }, 675.0),
            (LonLat { lon: 179.999, lat: -16.5 }, 2_000.0),
            (LonLat { lon: 10.0, lat: 78.0 }, 50_000.0),
        ] {
            let ring = geodesic_circle(center, radius, 64);
            assert_eq!(ring.len(), 65);
            assert_eq!(ring.first(), ring.last());
            assert!(signed_area_2(&ring) > 0.0, "counterclockwise");
            for v in &ring {
                let lon = (v.lon + 540.0).rem_euclid(360.0) - 180.0;
                let d = geodesic_distance_m(center, LonLat { lon, lat: v.lat });
                assert!((d - radius).abs() <= radius * 0.001, "{d} vs {radius}");
            }
        }
    }
}
