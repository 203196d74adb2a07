//! The travel model's inputs.

use super::walking_network;
use crate::domain::Invalid;
pub use crate::domain::travel::DistanceModel;
use crate::domain::travel::{NetworkSettings, Travel, TravelProfile};
use crate::error::{ApiError, ApiResult};
use crate::geo::walk_times::{By, NetworkUse, OffNetwork, Walker};
use crate::store::LoadedNetwork;
use async_graphql::{Context, InputObject};
use std::sync::Arc;

/// How people travel: who walks, how fast, and what model turns distance into time.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct TravelInput {
    /// WALK is 1.0 m/s, ELDERLY_WALK 0.75 m/s.
    #[graphql(default)]
    pub profile: TravelProfile,
    /// Overrides the profile's speed; (0, 10].
    pub speed_meters_per_second: Option<f64>,
    #[graphql(default)]
    pub model: DistanceModel,
    /// Walking distance over straight-line distance for STRAIGHT_LINE; [1, 3].
    #[graphql(default = 1.3)]
    pub detour_factor: f64,
}

impl TravelInput {
    /// The checked travel question for a budget of `minutes`.
    pub fn parse(travel: Option<Self>, minutes: f64) -> Result<Travel, Invalid> {
        match travel {
            None => Travel::default_for(minutes),
            Some(t) => Travel::new(minutes, t.profile, t.speed_meters_per_second, t.model, t.detour_factor),
        }
    }
}

/// A travel question with the walking network it may use: what every resolver that times a
/// trip works from.
pub struct TravelPlan {
    pub travel: Travel,
    network: Option<Arc<LoadedNetwork>>,
    settings: NetworkSettings,
}

impl TravelPlan {
    /// Loads the network when the model may use it. NETWORK without an imported network is
    /// `BAD_USER_INPUT`.
    pub async fn new(ctx: &Context<'_>, travel: Travel) -> ApiResult<Self> {
        let settings = ctx.data_opt::<NetworkSettings>().copied().unwrap_or_default();
        // AUTO falls back to straight lines only for points off the network, never because
        // the network could not be read: the same question must get the same answer under
        // load (a failed read is SERVICE_UNAVAILABLE, and the client may retry).
        let network = match travel.model {
            DistanceModel::StraightLine => None,
            DistanceModel::Network | DistanceModel::Auto => walking_network(ctx).await?,
        };
        if travel.model == DistanceModel::Network && network.is_none() {
            return Err(ApiError::BadUserInput(
                "the NETWORK model needs an imported walking network (import-osm)".into(),
            ));
        }
        Ok(Self { travel, network, settings })
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

/// The model that produced a time, as the API names it.
pub fn model_of(by: By) -> DistanceModel {
    match by {
        By::StraightLine => DistanceModel::StraightLine,
        By::Network => DistanceModel::Network,
    }
}
