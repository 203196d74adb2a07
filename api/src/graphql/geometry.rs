//! Points in and out, in any supported coordinate system.

use crate::domain::Invalid;
use crate::geo::{self, LonLat};
use async_graphql::{Enum, InputObject, SimpleObject};

/// A coordinate reference system. Everything is stored in WGS-84; GCJ-02 (AMap, Tencent)
/// and BD-09 (Baidu) are converted at the edge.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "geo::Crs")]
pub enum Crs {
    /// WGS-84 (GPS, OpenStreetMap).
    #[default]
    #[graphql(name = "WGS84")]
    Wgs84,
    /// GCJ-02 (AMap, Tencent maps).
    #[graphql(name = "GCJ02")]
    Gcj02,
    /// BD-09 (Baidu maps).
    #[graphql(name = "BD09")]
    Bd09,
}

/// A position given by a client.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct PointInput {
    /// Longitude in degrees, [-180, 180].
    pub lon: f64,
    /// Latitude in degrees, [-90, 90].
    pub lat: f64,
    /// The system `lon` and `lat` are expressed in.
    #[graphql(default_with = "Some(Crs::default())")]
    pub crs: Option<Crs>,
}

impl PointInput {
    /// The position in WGS-84, after checking its range in the system it was given in.
    pub fn to_wgs84(self) -> Result<LonLat, Invalid> {
        let given = LonLat::new(self.lon, self.lat).map_err(|e| Invalid::new(e.to_string()))?;
        Ok(given.to_wgs84(self.crs.unwrap_or_default().into()))
    }
}

/// A position, in the coordinate system the query asked for.
#[derive(SimpleObject, Clone, Copy, Debug)]
#[graphql(serial)]
pub struct Point {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
}

impl Point {
    pub fn from_wgs84(p: LonLat, crs: Crs) -> Self {
        let p = p.from_wgs84(crs.into());
        Self { lon: p.lon, lat: p.lat }
    }
}
