//! Longitude-latitude rectangles around the places a question is about, widened by a distance:
//! what part of the walking network and which facilities the question can possibly touch.

use super::LonLat;
use super::distance::geodesic_distance_m;

/// Metres per degree of latitude at the equator (the fewest anywhere) and per degree of
/// longitude on the equator (at least the most on any parallel): dividing by them turns
/// metres into at least as many degrees as they span, so a widened rectangle never falls
/// short.
const FEWEST_M_PER_DEG_LAT: f64 = 110_574.0;
const MOST_M_PER_DEG_LON_EQUATOR: f64 = 111_320.0;

/// A rectangle from its south-west to its north-east corner (no antimeridian crossing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub sw: LonLat,
    pub ne: LonLat,
}

impl Bounds {
    /// The smallest rectangle holding every point; None for none.
    pub fn around(points: impl IntoIterator<Item = LonLat>) -> Option<Self> {
        points.into_iter().fold(None, |b: Option<Self>, p| {
            Some(match b {
                None => Self { sw: p, ne: p },
                Some(b) => Self {
                    sw: LonLat { lon: b.sw.lon.min(p.lon), lat: b.sw.lat.min(p.lat) },
                    ne: LonLat { lon: b.ne.lon.max(p.lon), lat: b.ne.lat.max(p.lat) },
                },
            })
        })
    }

    /// The rectangle holding every point within `margin_m` metres of this one.
    pub fn widened(self, margin_m: f64) -> Self {
        let dlat = margin_m / FEWEST_M_PER_DEG_LAT;
        let (south, north) = ((self.sw.lat - dlat).max(-90.0), (self.ne.lat + dlat).min(90.0));
        // Degrees of longitude are shortest on the parallel farthest from the equator.
        let widest = south.abs().max(north.abs()).min(89.9);
        let dlon = margin_m / (MOST_M_PER_DEG_LON_EQUATOR * widest.to_radians().cos());
        Self {
            sw: LonLat { lon: (self.sw.lon - dlon).max(-180.0), lat: south },
            ne: LonLat { lon: (self.ne.lon + dlon).min(180.0), lat: north },
        }
    }

    pub fn contains(&self, p: LonLat) -> bool {
        (self.sw.lon..=self.ne.lon).contains(&p.lon) && (self.sw.lat..=self.ne.lat).contains(&p.lat)
    }

    pub fn center(&self) -> LonLat {
        LonLat { lon: (self.sw.lon + self.ne.lon) / 2.0, lat: (self.sw.lat + self.ne.lat) / 2.0 }
    }

    /// A distance from the center beyond which no point of the rectangle lies (the farthest
    /// corner, with head-room for the sphere searches compare it with).
    pub fn radius_m(&self) -> f64 {
        let c = self.center();
        let corners = [
            self.sw,
            self.ne,
            LonLat { lon: self.sw.lon, lat: self.ne.lat },
            LonLat { lon: self.ne.lon, lat: self.sw.lat },
            // Parallels bow away from the center between the corners.
            LonLat { lon: c.lon, lat: self.sw.lat },
            LonLat { lon: c.lon, lat: self.ne.lat },
        ];
        corners.iter().map(|&p| geodesic_distance_m(c, p)).fold(0.0, f64::max) * 1.01 + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_widened_rectangle_holds_every_point_within_the_margin() {
        for lat in [0.0, 38.5, 60.0, -45.0] {
            let b = Bounds::around([LonLat { lon: 106.2, lat }, LonLat { lon: 106.3, lat: lat + 0.05 }]).unwrap();
            let w = b.widened(2_000.0);
            // Points 2 km away in the eight compass directions of each corner stay inside.
            for corner in [b.sw, b.ne, LonLat { lon: b.sw.lon, lat: b.ne.lat }, LonLat { lon: b.ne.lon, lat: b.sw.lat }]
            {
                for step in 0..64 {
                    let angle = f64::from(step) / 64.0 * std::f64::consts::TAU;
                    // Walk outwards until the geodesic distance reaches 2 km.
                    let mut t = 0.0;
                    let at = |t: f64| LonLat {
                        lon: corner.lon + t * angle.cos() / (corner.lat.to_radians().cos()),
                        lat: corner.lat + t * angle.sin(),
                    };
                    while geodesic_distance_m(corner, at(t)) < 2_000.0 {
                        t += 1e-5;
                    }
                    assert!(w.contains(at(t - 1e-5)), "lat {lat}, step {step}");
                }
            }
            // ... and not much more: the margin is within 1% of 2 km north and south.
            let north = geodesic_distance_m(b.ne, LonLat { lon: b.ne.lon, lat: w.ne.lat });
            assert!((2_000.0..2_020.0).contains(&north), "{north}");
        }
    }

    #[test]
    fn the_radius_reaches_every_corner() {
        let b = Bounds::around([LonLat { lon: 106.0, lat: 38.0 }, LonLat { lon: 106.5, lat: 38.4 }]).unwrap();
        for p in [b.sw, b.ne, LonLat { lon: 106.0, lat: 38.4 }, LonLat { lon: 106.25, lat: 38.0 }] {
            assert!(geodesic_distance_m(b.center(), p) <= b.radius_m());
        }
        assert_eq!(Bounds::around(std::iter::empty()), None);
    }
}
