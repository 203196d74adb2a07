//! The travel-time heatmap: minutes to the nearest matching facility for every H3 cell
//! covering a scope, as objects and as GeoJSON hexagons. The resolver parses the input into an
//! `app::grid` question.

use super::coverage::int;
use super::facility::FacilityFilter;
use super::geojson::{self, GeoJson};
use super::geometry::{Crs, Point};
use super::norms::ScopeInput;
use super::travel::{DistanceModel, TravelInput, model_of};
use super::{cost, services};
use crate::app::grid::{self as app, CellReach, Grid, GridQuestion};
use crate::error::{ApiError, ApiResult};
use crate::geo::h3_grid::{self, GridCell};
use async_graphql::{Context, Enum, Object};
use serde_json::json;
use std::sync::Arc;

/// The default H3 resolution: cells of about 0.1 km2 (edges of about 200 m), a few per
/// 15-minute walk.
const DEFAULT_RESOLUTION: i32 = 9;
/// The default longest trip timed, minutes.
const DEFAULT_MAX_MINUTES: f64 = 30.0;

/// What a cell's centre reaches.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellReachKind {
    /// A matching facility within `maxMinutes`: `minutes` is the nearest.
    Reached,
    /// Nothing matching within `maxMinutes`.
    Beyond,
    /// The NETWORK model cannot start from the centre: it is farther from the walking network
    /// than the snapping limit (AUTO would time it in a straight line).
    OffNetwork,
}

/// A travel-time heatmap.
pub struct TravelTimeGrid(Arc<Grid>);

/// One H3 cell of a heatmap.
pub struct TravelTimeCell {
    cell: GridCell,
    reach: CellReach,
}

fn reach_kind(reach: CellReach) -> CellReachKind {
    match reach {
        CellReach::Reached(_) => CellReachKind::Reached,
        CellReach::Beyond => CellReachKind::Beyond,
        CellReach::OffNetwork => CellReachKind::OffNetwork,
    }
}

/// One H3 cell and the trip from its centre to the nearest matching facility.
#[Object]
impl TravelTimeCell {
    /// The cell's H3 index (hexadecimal, as H3 libraries print it).
    async fn h3(&self) -> String {
        self.cell.index.to_string()
    }

    /// The cell's centre, where trips start.
    async fn center(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the point; default WGS84.")]
        crs: Option<Crs>,
    ) -> Point {
        Point::from_wgs84(self.cell.center, crs.unwrap_or_default())
    }

    /// Minutes to the nearest matching facility; null when none is within `maxMinutes` or the
    /// cell is off the network.
    async fn minutes(&self) -> Option<f64> {
        match self.reach {
            CellReach::Reached(t) => Some(t.minutes),
            _ => None,
        }
    }

    /// The model that timed the trip; null when there is none.
    async fn model(&self) -> Option<DistanceModel> {
        match self.reach {
            CellReach::Reached(t) => Some(model_of(t.by)),
            _ => None,
        }
    }

    /// Whether the cell reaches a facility, reaches none in time, or is off the network.
    async fn reach(&self) -> CellReachKind {
        reach_kind(self.reach)
    }
}

/// Minutes to the nearest matching facility from every H3 cell covering the scope.
#[Object]
impl TravelTimeGrid {
    /// The H3 resolution of the cells.
    async fn resolution(&self) -> i32 {
        i32::from(self.0.resolution)
    }

    /// The longest trip timed, minutes.
    async fn max_minutes(&self) -> f64 {
        self.0.max_minutes
    }

    /// How many cells the grid has.
    async fn cell_count(&self) -> i32 {
        int(self.0.cells.len() as i64)
    }

    /// Every cell, in H3 index order.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn cells(&self) -> Vec<TravelTimeCell> {
        self.0.cells.iter().map(|&(cell, reach)| TravelTimeCell { cell, reach }).collect()
    }

    /// Every cell as a GeoJSON Polygon feature (its hexagon) with `h3`, `minutes`, `model` and
    /// `reach`, for a heatmap.
    #[graphql(complexity = "cost::COLLECTION")]
    async fn features(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the cells; default WGS84.")]
        crs: Option<Crs>,
    ) -> GeoJson {
        let crs = crs.unwrap_or_default();
        let features = self
            .0
            .cells
            .iter()
            .map(|(cell, reach)| {
                let (minutes, model) = match reach {
                    CellReach::Reached(t) => (Some(t.minutes), Some(model_of(t.by).code())),
                    _ => (None, None),
                };
                geojson::feature(
                    geojson::polygon(&cell.ring(), crs).0,
                    json!({
                        "h3": cell.index.to_string(),
                        "minutes": minutes,
                        "model": model,
                        "reach": reach.name(),
                    }),
                )
            })
            .collect();
        geojson::feature_collection(features)
    }
}

#[derive(Default)]
pub struct GridQuery;

#[Object]
impl GridQuery {
    /// A travel-time heatmap: for every H3 cell covering the scope (the `within` polygon, or
    /// the convex hull of the residential areas of `communityCodePrefix`, or of all of them),
    /// the minutes from its centre to the nearest matching facility. At most 50,000 cells: a
    /// finer resolution than the scope allows is refused, naming one that fits.
    #[graphql(complexity = "cost::COLLECTION + cost::planning(ScopeInput::vertices(scope.as_ref()), child_complexity)")]
    async fn travel_time_grid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facilities count; default: all.")] filter: Option<FacilityFilter>,
        #[graphql(
            desc = "The area to cover: `within` or `communityCodePrefix`, not both; default: every residential area."
        )]
        scope: Option<ScopeInput>,
        #[graphql(
            default_with = "Some(DEFAULT_RESOLUTION)",
            desc = "The H3 resolution, 0 (continents) to 15 (a square metre); default 9 (cells of about 0.1 km2)."
        )]
        resolution: Option<i32>,
        #[graphql(
            default_with = "Some(DEFAULT_MAX_MINUTES)",
            desc = "The longest trip timed, minutes, (0, 120]; default 30."
        )]
        max_minutes: Option<f64>,
        #[graphql(desc = "How people travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.")]
        travel: Option<TravelInput>,
    ) -> ApiResult<TravelTimeGrid> {
        let r = resolution.unwrap_or(DEFAULT_RESOLUTION);
        let resolution = u8::try_from(r)
            .ok()
            .and_then(h3_grid::resolution)
            .ok_or_else(|| ApiError::BadUserInput(format!("resolution must be 0 to 15, got {r}")))?;
        let travel = TravelInput::parse(travel, max_minutes.unwrap_or(DEFAULT_MAX_MINUTES))?;
        if scope.as_ref().is_some_and(|s| s.within.is_some() && s.community_code_prefix.is_some()) {
            return Err(ApiError::BadUserInput(
                "scope: give within or communityCodePrefix, not both (the cells cover one area)".into(),
            ));
        }
        let scope = ScopeInput::parse(scope)?;
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let question = GridQuestion { filter, scope, resolution, travel };
        Ok(TravelTimeGrid(Arc::new(app::travel_time_grid(&services(ctx)?, question).await?)))
    }
}
