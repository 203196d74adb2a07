//! WGS-84 positions and the Chinese map coordinate systems (GCJ-02, BD-09).
//!
//! Everything is stored and computed in WGS-84; the other systems exist only at the edges.
//! The transforms come from `coordtransform`, whose GCJ-02 inverse is iteratively refined
//! (a single naive step leaves metres of error).

/// A coordinate reference system accepted on input and offered on output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Crs {
    /// WGS-84, as GPS and OpenStreetMap use.
    #[default]
    Wgs84,
    /// GCJ-02, the obfuscated system of AMap and Tencent maps.
    Gcj02,
    /// BD-09, Baidu's further offset of GCJ-02.
    Bd09,
}

/// A position in degrees: `lon` is x, `lat` is y.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// Why a pair of numbers is not a position.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum InvalidCoordinate {
    #[error("longitude must be a finite number in [-180, 180], got {0}")]
    Longitude(f64),
    #[error("latitude must be a finite number in [-90, 90], got {0}")]
    Latitude(f64),
}

impl LonLat {
    /// A checked position: finite, longitude in [-180, 180], latitude in [-90, 90].
    pub fn new(lon: f64, lat: f64) -> Result<Self, InvalidCoordinate> {
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(InvalidCoordinate::Longitude(lon));
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(InvalidCoordinate::Latitude(lat));
        }
        Ok(Self { lon, lat })
    }

    /// Reads a position given in `crs` and returns it in WGS-84.
    pub fn to_wgs84(self, crs: Crs) -> Self {
        let (lon, lat) = match crs {
            Crs::Wgs84 => (self.lon, self.lat),
            Crs::Gcj02 => coordtransform::gcj02_to_wgs84(self.lon, self.lat),
            Crs::Bd09 => coordtransform::bd09_to_wgs84(self.lon, self.lat),
        };
        Self { lon, lat }
    }

    /// Expresses this WGS-84 position in `crs`.
    pub fn from_wgs84(self, crs: Crs) -> Self {
        let (lon, lat) = match crs {
            Crs::Wgs84 => (self.lon, self.lat),
            Crs::Gcj02 => coordtransform::wgs84_to_gcj02(self.lon, self.lat),
            Crs::Bd09 => coordtransform::wgs84_to_bd09(self.lon, self.lat),
        };
        Self { lon, lat }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;

    #[test]
    fn wgs84_to_gcj02_matches_the_published_test_vector() {
        let gcj = LonLat::new(116.404, 39.915).unwrap().from_wgs84(Crs::Gcj02);
        assert!((gcj.lon - 116.410_244_499_169_38).abs() < 1e-9);
        assert!((gcj.lat - 39.916_404_281_501_64).abs() < 1e-9);
    }

    #[test]
    fn gcj02_and_bd09_round_trip_to_under_a_centimetre_across_china() {
        for i in 0..40 {
            for j in 0..40 {
                let p = LonLat::new(75.0 + f64::from(i) * 1.3, 20.0 + f64::from(j) * 0.7).unwrap();
                for crs in [Crs::Gcj02, Crs::Bd09] {
                    let back = p.from_wgs84(crs).to_wgs84(crs);
                    assert!(geodesic_distance_m(p, back) < 0.01, "{p:?} via {crs:?}");
                }
            }
        }
    }

    #[test]
    fn yinchuan_offset_is_hundreds_of_metres() {
        let p = LonLat::new(106.27, 38.47).unwrap();
        let offset = geodesic_distance_m(p, p.from_wgs84(Crs::Gcj02));
        assert!((200.0..700.0).contains(&offset), "{offset}");
        let bd = geodesic_distance_m(p, p.from_wgs84(Crs::Bd09));
        assert!(bd > offset + 400.0, "{bd}");
    }

    #[test]
    fn positions_outside_the_ranges_are_rejected() {
        assert!(LonLat::new(0.0, 95.0).is_err());
        assert!(LonLat::new(-181.0, 0.0).is_err());
        assert!(LonLat::new(f64::NAN, 0.0).is_err());
        assert!(LonLat::new(0.0, f64::INFINITY).is_err());
        assert!(LonLat::new(180.0, -90.0).is_ok());
    }
}
