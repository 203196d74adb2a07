//! Vector tiles of the service's layers for map front-ends: which tiles a layer has and what
//! one holds, encoded as Mapbox Vector Tiles (`geo::web_tiles`).

use crate::domain::facility::FacilityFilter;
use crate::error::{ApiError, ApiResult};
use crate::geo::bounds::Bounds;
use crate::geo::web_tiles::{PointFeature, Tag, TileId, line_tile, point_tile};
use crate::store::Store;
use std::ops::RangeInclusive;

/// The layers served as tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileLayer {
    Facilities,
    /// The walking network's streets, so a map has a base layer without a tile server.
    Network,
}

/// Most facilities one tile draws; beyond it an even sample by id (a city-wide tile of a
/// province's facilities would otherwise run to megabytes).
pub const MAX_TILE_FACILITIES: usize = 20_000;

impl TileLayer {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "facilities" => Some(Self::Facilities),
            "network" => Some(Self::Network),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Facilities => "facilities",
            Self::Network => "network",
        }
    }

    /// The zooms it has tiles for (others are not found).
    pub fn zooms(self) -> RangeInclusive<u8> {
        match self {
            // Zoom 8 shows a city region (a tile about 120 km wide); street level is 16-18.
            Self::Facilities => 8..=18,
            // A tile about 5 km wide: a street grid, not a province's network, per tile.
            Self::Network => 13..=18,
        }
    }

    /// The properties of its features and their types, for TileJSON.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Facilities => &[
                ("id", "String: the facility's GraphQL id"),
                ("name", "String"),
                ("kind", "String: a FacilityKind, e.g. MEAL_POINT"),
                ("category", "String: CANTEEN, ELDER_CARE or REST_STATION"),
            ],
            Self::Network => &[],
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Facilities => "Community service facilities as points, with id, name, kind and category",
            Self::Network => "The walking network's streets as one MultiLineString per tile",
        }
    }
}

/// The facilities passing `filter` in `tile`, encoded; empty when there are none.
pub async fn facility_tile(store: &Store, tile: TileId, filter: &FacilityFilter) -> ApiResult<Vec<u8>> {
    let marks = store.facility_marks_within(filter, tile.bounds()).await?;
    let step = marks.len().div_ceil(MAX_TILE_FACILITIES).max(1);
    let ids: Vec<String> = marks.iter().step_by(step).map(|m| m.id.encode()).collect();
    let features = marks.iter().step_by(step).zip(&ids).map(|(m, id)| PointFeature {
        id: u64::try_from(m.id.0).unwrap_or_default(),
        at: m.location,
        tags: vec![
            ("id", Tag::Text(id)),
            ("name", Tag::Text(&m.name)),
            ("kind", Tag::Text(m.kind.code())),
            ("category", Tag::Text(m.kind.category().code())),
        ],
    });
    point_tile(tile, TileLayer::Facilities.name(), features).map_err(|e| ApiError::internal(&e))
}

/// The walking network's streets that cross `tile`; empty where none is stored.
pub async fn network_tile(store: &Store, tile: TileId) -> ApiResult<Vec<u8>> {
    let directory = store.network_directory().await?;
    let b = tile.bounds();
    let Some(loaded) = store.walking_network_over(&directory, b.sw, b.ne).await? else {
        return Ok(Vec::new());
    };
    let net = &loaded.network;
    let nodes = u32::try_from(net.node_count()).unwrap_or(u32::MAX);
    let streets = (0..nodes)
        .flat_map(|a| net.arcs(a).filter(move |&(b, _)| a < b).map(move |(b, _)| (net.position(a), net.position(b))));
    line_tile(tile, TileLayer::Network.name(), streets).map_err(|e| ApiError::internal(&e))
}

/// The area the layer's data covers, for TileJSON's `bounds`; none when it is empty.
pub async fn facility_bounds(store: &Store, filter: &FacilityFilter) -> ApiResult<Option<Bounds>> {
    Ok(Bounds::around(store.facility_locations(filter).await?))
}
