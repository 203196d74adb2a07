//! Travel-time heatmaps: the minutes from every H3 cell covering a scope to the nearest
//! matching facility (`geo::h3_grid` for the cells, one multi-source walk for the times).

use super::Services;
use super::coverage::Scope;
use super::travel::TravelPlan;
use crate::domain::facility::FacilityFilter;
use crate::domain::travel::{DistanceModel, Travel};
use crate::error::{ApiError, ApiResult};
use crate::geo::LonLat;
use crate::geo::h3_grid::{self, GridCell, GridRefusal};
use crate::geo::walk_times::Timed;
use h3o::Resolution;

/// Most cells one grid may have.
pub const MAX_CELLS: usize = 50_000;

/// Which facilities, over which cells, how people travel (its minutes: the longest trip
/// timed).
pub struct GridQuestion {
    pub filter: FacilityFilter,
    /// The cells cover `within` when given, else the convex hull of the residential areas in
    /// scope.
    pub scope: Scope,
    pub resolution: Resolution,
    pub travel: Travel,
}

/// What a cell's centre reaches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellReach {
    /// The nearest matching facility, and how it was timed.
    Reached(Timed),
    /// Nothing within the travel's minutes.
    Beyond,
    /// The NETWORK model cannot start from it: the centre is farther from the walking network
    /// than the snapping limit.
    OffNetwork,
}

impl CellReach {
    /// Its name in GeoJSON properties and tiles (the GraphQL enum's value).
    pub fn name(self) -> &'static str {
        match self {
            CellReach::Reached(_) => "REACHED",
            CellReach::Beyond => "BEYOND",
            CellReach::OffNetwork => "OFF_NETWORK",
        }
    }
}

pub struct Grid {
    pub resolution: u8,
    pub max_minutes: f64,
    /// In cell index order.
    pub cells: Vec<(GridCell, CellReach)>,
}

/// The grid for `question`: refused with `BAD_USER_INPUT` when it would have more than
/// `MAX_CELLS` cells (the message names the finest resolution that fits).
pub async fn travel_time_grid(services: &Services<'_>, question: GridQuestion) -> ApiResult<Grid> {
    let GridQuestion { filter, scope, resolution, travel } = question;
    let deadline = services.deadline;
    let r = u8::from(resolution);
    let cells = match scope.within.as_ref() {
        Some(within) => {
            let area = within.area().clone();
            services.compute(move || covering(&area, resolution, r)).await?
        }
        None => {
            let (areas, _) = scope.gather(services).await?;
            let places: Vec<LonLat> = areas.iter().map(|a| a.draft.location).collect();
            services
                .compute(move || match h3_grid::hull(&places) {
                    Some(area) => covering(&area, resolution, r),
                    None => Ok(h3_grid::holding(&places, resolution)),
                })
                .await?
        }
    };
    let centers: Vec<LonLat> = cells.iter().map(|c| c.center).collect();
    let horizon = travel.minutes;
    let plan = TravelPlan::new(services, travel, &centers, horizon).await?;
    let facilities: Vec<LonLat> = match plan.facility_bounds(&centers, horizon) {
        Some(bounds) => {
            let (store, _slot) = services.reading().await?;
            store.facility_locations_within(&filter, bounds).await?
        }
        None => Vec::new(),
    };
    services
        .compute(move || {
            let walker = plan.walker();
            let times = walker.nearest_times_marked(&facilities, &centers, horizon, &deadline)?;
            deadline.check()?;
            let needs_network = plan.travel.model == DistanceModel::Network;
            let cells = cells
                .into_iter()
                .zip(times)
                .map(|(cell, time)| {
                    let reach = match time {
                        (Some(t), _) => CellReach::Reached(t),
                        (None, false) if needs_network => CellReach::OffNetwork,
                        (None, _) => CellReach::Beyond,
                    };
                    (cell, reach)
                })
                .collect();
            Ok(Grid { resolution: r, max_minutes: horizon, cells })
        })
        .await
}

fn covering(area: &::geo::MultiPolygon<f64>, resolution: Resolution, r: u8) -> ApiResult<Vec<GridCell>> {
    h3_grid::covering(area, resolution, MAX_CELLS).map_err(|refusal| match refusal {
        GridRefusal::TooManyCells { cells, finest } => ApiError::BadUserInput(format!(
            "resolution {r} needs about {cells} cells here, more than {MAX_CELLS}: {}",
            match finest {
                Some(f) => format!("use resolution {f} or coarser, or a smaller scope"),
                None => "use a smaller scope".to_owned(),
            }
        )),
        GridRefusal::InvalidArea(why) => ApiError::BadUserInput(format!("within cannot be tiled: {why}")),
    })
}
