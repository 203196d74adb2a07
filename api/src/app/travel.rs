//! A travel question with the part of the walking network it may use.

use super::Services;
use crate::domain::travel::{DistanceModel, NetworkSettings, Travel};
use crate::error::{ApiError, ApiResult};
use crate::geo::LonLat;
use crate::geo::bounds::Bounds;
use crate::geo::network::WalkingNetwork;
use crate::geo::walk_times::{NetworkUse, OffNetwork, Walker};
use crate::store::LoadedNetwork;
use std::sync::Arc;

/// A travel question with the walking network it may use: what every resolver that times a
/// trip works from.
pub struct TravelPlan {
    pub travel: Travel,
    network: Option<Arc<LoadedNetwork>>,
    settings: NetworkSettings,
}

impl TravelPlan {
    /// Loads the part of the network the question can touch when the model may use it: the
    /// tiles within reach of `places` (the origin, or the demand of a planning question) for
    /// trips of up to `horizon_minutes` (at least the travel budget). NETWORK without an
    /// imported network is `BAD_USER_INPUT`.
    pub async fn new(
        services: &Services<'_>,
        travel: Travel,
        places: &[LonLat],
        horizon_minutes: f64,
    ) -> ApiResult<Self> {
        let settings = services.network_settings;
        // AUTO falls back to straight lines only for points off the network, never because
        // the network could not be read: the same question must get the same answer under
        // load (a failed read is SERVICE_UNAVAILABLE, and the client may retry).
        let network = match travel.model {
            DistanceModel::StraightLine => None,
            DistanceModel::Network | DistanceModel::Auto => {
                let directory = services.network_directory().await?;
                match Bounds::around(places.iter().copied()) {
                    Some(around) => {
                        let region = around.widened(Self::reach_m(&travel, &settings, horizon_minutes));
                        services.store().walking_network_over(&directory, region.sw, region.ne).await?
                    }
                    // Nothing to walk from or to: no tiles needed.
                    None => (!directory.is_empty())
                        .then(|| Arc::new(LoadedNetwork { network: WalkingNetwork::new(Vec::new(), []) })),
                }
            }
        };
        if travel.model == DistanceModel::Network && network.is_none() {
            return Err(ApiError::BadUserInput(
                "the NETWORK model needs an imported walking network (import-osm)".into(),
            ));
        }
        Ok(Self { travel, network, settings })
    }

    /// How far from a place anything a trip of `horizon_minutes` touches can lie: the
    /// farthest a trip reaches in a straight line, plus the snapping distance at its far end.
    fn reach_m(travel: &Travel, settings: &NetworkSettings, horizon_minutes: f64) -> f64 {
        trip_reach_m(travel, horizon_minutes) + settings.snap_limit_m
    }

    /// The facilities (by their positions' rectangle) a question about `places` may count:
    /// those within reach of them for trips of `horizon_minutes`.
    pub fn facility_bounds(&self, places: &[LonLat], horizon_minutes: f64) -> Option<Bounds> {
        within_reach(&self.travel, places, horizon_minutes)
    }

    /// Whether trips may be timed on the walking network.
    pub fn uses_network(&self) -> bool {
        self.network.is_some()
    }

    pub fn walker(&self) -> Walker<'_> {
        Walker {
            settings: self.travel.settings,
            network: self.network.as_ref().map(|n| NetworkUse {
                net: &n.network,
                snap_limit_m: self.settings.snap_limit_m,
                fallback: self.travel.model == DistanceModel::Auto,
            }),
        }
    }

    /// The error for an origin the NETWORK model cannot start from.
    pub fn off_network(&self, _: OffNetwork) -> ApiError {
        ApiError::BadUserInput(format!(
            "the point is more than {} m from the walking network; use AUTO or STRAIGHT_LINE",
            self.settings.snap_limit_m
        ))
    }
}

/// The rectangle holding everything a trip of `horizon_minutes` with `travel` from any of
/// `places` can reach; None for no places.
pub fn within_reach(travel: &Travel, places: &[LonLat], horizon_minutes: f64) -> Option<Bounds> {
    let reach = trip_reach_m(travel, horizon_minutes);
    Bounds::around(places.iter().copied()).map(|b| b.widened(reach))
}

/// The farthest, in a straight line, a trip of `minutes` can end: the straight-line model's
/// reach, or a walk of that long (never shorter than the geodesic; 1% head-room for the local
/// projection used in snapping), as `Walker::search_radius_m` counts it.
fn trip_reach_m(travel: &Travel, minutes: f64) -> f64 {
    let walk_m = minutes * 60.0 * travel.settings.speed_m_per_s;
    travel.settings.straight_line_reach_m(minutes).max(walk_m * 1.01)
}
