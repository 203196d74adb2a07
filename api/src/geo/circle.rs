//! Geodesic circles as polygons.

use super::LonLat;
use ::geo::orient::Direction;
use ::geo::{
    Area, BooleanOps, BoundingRect, Coord, Destination, Geodesic, MapCoords, MultiPolygon, Orient, Point, Polygon,
    Rect, Translate,
};

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

/// `polygon` (drawn with continuous longitudes, as `geodesic_circle` draws) cut at the
/// antimeridian into parts whose longitudes all lie in [-180, 180], as RFC 7946 asks.
pub fn split_at_antimeridian(polygon: Polygon<f64>) -> MultiPolygon<f64> {
    let inside = polygon.bounding_rect().is_none_or(|b| b.min().x >= -180.0 && b.max().x <= 180.0);
    if inside {
        return MultiPolygon::new(vec![polygon]);
    }
    let band = |west: f64| Rect::new((west, -90.0), (west + 360.0, 90.0)).to_polygon();
    let mut parts = polygon.intersection(&band(-180.0)).0;
    parts.extend(polygon.intersection(&band(180.0)).translate(-360.0, 0.0).0);
    parts.extend(polygon.intersection(&band(-540.0)).translate(360.0, 0.0).0);
    parts.retain(|p| p.unsigned_area() > 0.0);
    // The overlay rounds to its own grid: what lands a hair past the line belongs on it.
    MultiPolygon::new(parts).map_coords(|c| Coord { x: c.x.clamp(-180.0, 180.0), y: c.y }).orient(Direction::Default)
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
    fn circles_across_the_antimeridian_are_split_inside_the_valid_range() {
        let center = LonLat { lon: 180.0, lat: 10.0 };
        let ring = geodesic_circle(center, 70_000.0, 64);
        let whole = Polygon::new(ring.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>().into(), vec![]);
        let split = split_at_antimeridian(whole.clone());
        assert_eq!(split.0.len(), 2);
        for p in split.0.iter().flat_map(|p| p.exterior().points()) {
            assert!((-180.0..=180.0).contains(&p.x()), "{p:?}");
        }
        let (a, b) = (whole.unsigned_area(), split.unsigned_area());
        // The overlay works on a grid of about 1e-7 degrees.
        assert!((a - b).abs() < 1e-6 * a, "{a} vs {b}");
        let inland = Polygon::new(vec![(106.0, 38.0), (106.1, 38.0), (106.1, 38.1), (106.0, 38.0)].into(), vec![]);
        assert_eq!(split_at_antimeridian(inland.clone()).0, vec![inland]);
    }

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
