//! The travel model's inputs.

use crate::domain::Invalid;
pub use crate::domain::travel::DistanceModel;
use crate::domain::travel::{Travel, TravelProfile};
use async_graphql::InputObject;

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
