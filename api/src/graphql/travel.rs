//! The travel model's inputs.

use crate::domain::Invalid;
pub use crate::domain::travel::DistanceModel;
use crate::domain::travel::{Travel, TravelProfile};
use crate::geo::travel::DEFAULT_DETOUR_FACTOR;
use crate::geo::walk_times::By;
use async_graphql::InputObject;

/// How people travel: who walks, how fast, and what model turns distance into time.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct TravelInput {
    /// WALK is 1.0 m/s, ELDERLY_WALK 0.75 m/s.
    #[graphql(default_with = "Some(TravelProfile::default())")]
    pub profile: Option<TravelProfile>,
    /// Overrides the profile's speed; (0, 10].
    pub speed_meters_per_second: Option<f64>,
    /// How distance becomes time: STRAIGHT_LINE, NETWORK (the imported walking network) or
    /// AUTO (the network where it covers the point, else the straight line).
    #[graphql(default_with = "Some(DistanceModel::default())")]
    pub model: Option<DistanceModel>,
    /// Walking distance over straight-line distance for STRAIGHT_LINE; [1, 3].
    #[graphql(default_with = "Some(DEFAULT_DETOUR_FACTOR)")]
    pub detour_factor: Option<f64>,
}

impl TravelInput {
    /// The checked travel question for a budget of `minutes`.
    pub fn parse(travel: Option<Self>, minutes: f64) -> Result<Travel, Invalid> {
        match travel {
            None => Travel::default_for(minutes),
            // An explicit null means the default, as an omitted field does.
            Some(t) => Travel::new(
                minutes,
                t.profile.unwrap_or_default(),
                t.speed_meters_per_second,
                t.model.unwrap_or_default(),
                t.detour_factor.unwrap_or(DEFAULT_DETOUR_FACTOR),
            ),
        }
    }
}

/// The model that produced a time, as the API names it.
pub fn model_of(by: By) -> DistanceModel {
    match by {
        By::StraightLine => DistanceModel::StraightLine,
        By::Network => DistanceModel::Network,
    }
}
