//! The straight-line travel model: how long a walk takes, and how far one gets in a time.

/// Walking speed of the general population, metres per second.
pub const WALK_SPEED_M_PER_S: f64 = 1.0;
/// Walking speed used for elderly residents, metres per second.
pub const ELDERLY_WALK_SPEED_M_PER_S: f64 = 0.75;
/// How much longer a walk is than the straight line, when no network is known.
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.3;

/// Speed and detour of a walk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TravelSettings {
    pub speed_m_per_s: f64,
    pub detour_factor: f64,
}

impl Default for TravelSettings {
    /// An elderly walker with the default detour factor.
    fn default() -> Self {
        Self { speed_m_per_s: ELDERLY_WALK_SPEED_M_PER_S, detour_factor: DEFAULT_DETOUR_FACTOR }
    }
}

impl TravelSettings {
    /// Minutes to walk to a point `distance_m` metres away in a straight line.
    pub fn straight_line_minutes(&self, distance_m: f64) -> f64 {
        distance_m * self.detour_factor / self.speed_m_per_s / 60.0
    }

    /// The straight-line distance, in metres, that can be walked in `minutes`.
    pub fn straight_line_reach_m(&self, minutes: f64) -> f64 {
        minutes * 60.0 * self.speed_m_per_s / self.detour_factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_elderly_minutes_reach_675_m_of_walking() {
        let plain = TravelSettings { detour_factor: 1.0, ..TravelSettings::default() };
        assert!((plain.straight_line_reach_m(15.0) - 675.0).abs() < 1e-9);
        let d = TravelSettings::default();
        assert!((d.straight_line_minutes(d.straight_line_reach_m(15.0)) - 15.0).abs() < 1e-9);
        assert!((d.straight_line_minutes(600.0) - 600.0 * 1.3 / 0.75 / 60.0).abs() < 1e-12);
    }
}
