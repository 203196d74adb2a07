//! Vector tiles of the service's layers for map front-ends: which tiles a layer has and what
//! one holds, encoded as Mapbox Vector Tiles (`geo::web_tiles`).

use super::Services;
use super::coverage::{CoverageQuestion, Scope, Within, area_coverage};
use super::grid::{CellReach, GridQuestion, travel_time_grid};
use crate::domain::facility::FacilityFilter;
use crate::domain::travel::Travel;
use crate::error::{ApiError, ApiResult};
use crate::geo::bounds::Bounds;
use crate::geo::h3_grid;
use crate::geo::web_tiles::{PointFeature, PolygonFeature, Tag, TileId, line_tile, point_tile, polygon_tile};
use crate::store::Store;
use std::ops::RangeInclusive;

/// The layers served as tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileLayer {
    Facilities,
    /// Travel-time heatmap cells (`travelTimeGrid` over the tile).
    TravelTime,
    /// Residential areas as points with their coverage (`coverageByArea` over the tile).
    ResidentialAreas,
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
            "travel-time" => Some(Self::TravelTime),
            "residential-areas" => Some(Self::ResidentialAreas),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Facilities => "facilities",
            Self::Network => "network",
            Self::TravelTime => "travel-time",
            Self::ResidentialAreas => "residential-areas",
        }
    }

    /// The zooms it has tiles for (others are not found).
    pub fn zooms(self) -> RangeInclusive<u8> {
        match self {
            // Zoom 8 shows a city region (a tile about 120 km wide); street level is 16-18.
            Self::Facilities => 8..=18,
            // A tile about 5 km wide: a street grid, not a province's network, per tile.
            Self::Network => 13..=18,
            // H3 resolution zoom - 4: cells 10-30 pixels across at any of these zooms.
            Self::TravelTime => 10..=16,
            // A tile about 10 km wide: a district's areas, one coverage question.
            Self::ResidentialAreas => 12..=18,
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
            Self::TravelTime => &[
                ("h3", "String: the H3 cell index"),
                ("minutes", "Number: minutes to the nearest matching facility; absent unless reach is REACHED"),
                ("reach", "String: REACHED, BEYOND or OFF_NETWORK"),
            ],
            Self::ResidentialAreas => &[
                ("id", "String: the residential area's GraphQL id"),
                ("name", "String"),
                ("population", "Number"),
                ("elderlyPopulation", "Number: residents aged 60 or more"),
                ("communityCode", "String: the 12-digit code, when known"),
                ("covered", "Boolean: a matching facility within the minutes"),
                (
                    "travelMinutes",
                    "Number: minutes to the nearest matching facility, when one is within an hour (or the budget on the network)",
                ),
            ],
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Facilities => "Community service facilities as points, with id, name, kind and category",
            Self::Network => "The walking network's streets as one MultiLineString per tile",
            Self::TravelTime => "Minutes from each H3 cell to the nearest matching facility (H3 resolution zoom - 4)",
            Self::ResidentialAreas => "Residential areas as points with their coverage by the matching facilities",
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

/// The travel-time heatmap cells that touch `tile`: the grid of the tile's rectangle at H3
/// resolution zoom - 4, each cell with its minutes and reach.
pub async fn travel_time_tile(
    services: &Services<'_>,
    tile: TileId,
    filter: FacilityFilter,
    travel: Travel,
) -> ApiResult<Vec<u8>> {
    let within = rectangle(tile);
    let resolution = h3_grid::resolution(tile.z.saturating_sub(4))
        .ok_or_else(|| ApiError::BadUserInput(format!("no H3 resolution for zoom {}", tile.z)))?;
    let question = GridQuestion { filter, scope: Scope { prefix: None, within: Some(within) }, resolution, travel };
    let grid = travel_time_grid(services, question).await?;
    let names: Vec<String> = grid.cells.iter().map(|(c, _)| c.index.to_string()).collect();
    let features = grid.cells.iter().zip(&names).map(|((cell, reach), h3)| {
        let mut tags = vec![("h3", Tag::Text(h3)), ("reach", Tag::Text(reach.name()))];
        if let CellReach::Reached(t) = reach {
            tags.push(("minutes", Tag::Double(t.minutes)));
        }
        PolygonFeature { id: u64::from(cell.index), ring: cell.ring(), tags }
    });
    polygon_tile(tile, TileLayer::TravelTime.name(), features).map_err(|e| ApiError::internal(&e))
}

/// The residential areas in `tile` with their coverage: `coverageByArea` of the tile's
/// rectangle.
pub async fn residential_area_tile(
    services: &Services<'_>,
    tile: TileId,
    filter: FacilityFilter,
    travel: Travel,
) -> ApiResult<Vec<u8>> {
    let question = CoverageQuestion { filter, travel, scope: Scope { prefix: None, within: Some(rectangle(tile)) } };
    let areas = area_coverage(services, question).await?;
    let ids: Vec<String> = areas.iter().map(|a| a.area.id.encode()).collect();
    let features = areas.iter().zip(&ids).map(|(a, id)| {
        let d = &a.area.draft;
        let mut tags = vec![
            ("id", Tag::Text(id)),
            ("name", Tag::Text(&d.name)),
            ("population", Tag::Uint(u64::try_from(d.population).unwrap_or_default())),
            ("elderlyPopulation", Tag::Uint(u64::try_from(d.elderly_population).unwrap_or_default())),
            ("covered", Tag::Bool(a.covered)),
        ];
        if let Some(code) = &d.community_code {
            tags.push(("communityCode", Tag::Text(code)));
        }
        if let Some(t) = a.nearest {
            tags.push(("travelMinutes", Tag::Double(t.minutes)));
        }
        PointFeature { id: u64::try_from(a.area.id.0).unwrap_or_default(), at: d.location, tags }
    });
    point_tile(tile, TileLayer::ResidentialAreas.name(), features).map_err(|e| ApiError::internal(&e))
}

/// The tile's rectangle as a `within` scope.
fn rectangle(tile: TileId) -> Within {
    let b = tile.bounds();
    let rect = ::geo::Rect::new((b.sw.lon, b.sw.lat), (b.ne.lon, b.ne.lat)).to_polygon();
    Within::new(::geo::MultiPolygon::new(vec![rect]))
}

/// The area the layer's data covers, for TileJSON's `bounds`; none when it is empty.
pub async fn facility_bounds(store: &Store, filter: &FacilityFilter) -> ApiResult<Option<Bounds>> {
    Ok(Bounds::around(store.facility_locations(filter).await?))
}
