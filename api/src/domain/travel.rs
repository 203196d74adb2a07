//! Travel parameters as a client gives them, checked: the time budget, the walker, the model.

use super::Invalid;
use crate::geo::travel::{DEFAULT_DETOUR_FACTOR, ELDERLY_WALK_SPEED_M_PER_S, TravelSettings, WALK_SPEED_M_PER_S};
use async_graphql::Enum;

/// The travel budget when a question names none: the 15-minute service circle.
pub const DEFAULT_MINUTES: f64 = 15.0;

/// The longest travel budget a question may ask for, minutes.
pub const MAX_MINUTES: f64 = 120.0;

/// Who walks.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum TravelProfile {
    /// 1.0 m/s.
    Walk,
    /// 0.75 m/s, as elderly accessibility studies use.
    #[default]
    ElderlyWalk,
}

/// What produces a travel time.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum DistanceModel {
    /// Geodesic distance times the detour factor, at the walking speed.
    StraightLine,
    /// Shortest path on the imported walking network.
    Network,
    /// The network where it covers the point, else the straight line.
    #[default]
    Auto,
}

impl DistanceModel {
    /// The name the API gives it (GeoJSON properties carry it as text).
    pub fn code(self) -> &'static str {
        match self {
            DistanceModel::StraightLine => "STRAIGHT_LINE",
            DistanceModel::Network => "NETWORK",
            DistanceModel::Auto => "AUTO",
        }
    }
}

/// A checked travel question: `minutes` of walking with `settings`, by `model`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Travel {
    pub minutes: f64,
    pub settings: TravelSettings,
    /// The model asked for; AUTO and NETWORK are settled against the loaded network.
    pub model: DistanceModel,
}

impl Travel {
    pub fn new(
        minutes: f64,
        profile: TravelProfile,
        speed_m_per_s: Option<f64>,
        model: DistanceModel,
        detour_factor: f64,
    ) -> Result<Self, Invalid> {
        if !(minutes > 0.0 && minutes <= MAX_MINUTES) {
            return Err(Invalid::new(format!("minutes must be in (0, {MAX_MINUTES}], got {minutes}")));
        }
        let profile_speed = match profile {
            TravelProfile::Walk => WALK_SPEED_M_PER_S,
            TravelProfile::ElderlyWalk => ELDERLY_WALK_SPEED_M_PER_S,
        };
        let speed = speed_m_per_s.unwrap_or(profile_speed);
        if !(speed > 0.0 && speed <= 10.0) {
            return Err(Invalid::new(format!("speedMetersPerSecond must be in (0, 10], got {speed}")));
        }
        if !(1.0..=3.0).contains(&detour_factor) {
            return Err(Invalid::new(format!("detourFactor must be in [1, 3], got {detour_factor}")));
        }
        Ok(Self { minutes, settings: TravelSettings { speed_m_per_s: speed, detour_factor }, model })
    }

    /// The default question: 15 minutes at the elderly walking speed.
    pub fn default_for(minutes: f64) -> Result<Self, Invalid> {
        Self::new(minutes, TravelProfile::default(), None, DistanceModel::default(), DEFAULT_DETOUR_FACTOR)
    }

    /// How far, in a straight line, the budget reaches.
    pub fn reach_m(&self) -> f64 {
        self.settings.straight_line_reach_m(self.minutes)
    }

    pub fn minutes_for(&self, distance_m: f64) -> f64 {
        self.settings.straight_line_minutes(distance_m)
    }
}

/// How the walking network is used (declared as the server's flags).
#[derive(Clone, Copy, Debug, PartialEq, clap::Args)]
pub struct NetworkSettings {
    /// Points farther than this from the walking network are not on it (metres): AUTO then
    /// uses the straight line and NETWORK refuses them.
    #[arg(long = "snap-limit-meters", env = "SNAP_LIMIT_METERS", default_value_t = 500.0, value_name = "METERS",
          value_parser = parse_snap_limit)]
    pub snap_limit_m: f64,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

fn parse_snap_limit(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 10_000.0 => Ok(m),
        _ => Err(format!("expected metres in (0, 10000], got {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travel_parameters_are_range_checked() {
        let ok = |m, s, d| Travel::new(m, TravelProfile::Walk, s, DistanceModel::Auto, d);
        assert!(ok(15.0, None, 1.3).is_ok());
        assert!(ok(0.0, None, 1.3).is_err());
        assert!(ok(120.5, None, 1.3).is_err());
        assert!(ok(15.0, Some(0.0), 1.3).is_err());
        assert!(ok(15.0, Some(10.5), 1.3).is_err());
        assert!(ok(15.0, None, 0.9).is_err());
        assert!(ok(15.0, None, 3.1).is_err());
        let t = ok(15.0, Some(2.0), 1.0).unwrap();
        assert_eq!(t.reach_m(), 1_800.0);
        assert_eq!(t.model, DistanceModel::Auto);
    }
}
