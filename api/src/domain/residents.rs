//! Residential areas (小区, villages): where the demand for services lives.

use super::community_code::CommunityCode;
use super::{Invalid, ids::ResidentialAreaId, validate};
use crate::geo::LonLat;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A stored residential area. `location` is WGS-84.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentialArea {
    pub id: ResidentialAreaId,
    pub draft: ResidentialAreaDraft,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Name of the token that created it.
    pub created_by: Option<Arc<str>>,
}

/// What coverage questions read of a stored residential area: its id and checked fields (when
/// and by whom it was written stay in the database, read when a client asks for them).
#[derive(Clone, Debug, PartialEq)]
pub struct AreaEntry {
    pub id: ResidentialAreaId,
    pub draft: ResidentialAreaDraft,
}

/// The most residents one residential area may have.
pub const MAX_AREA_POPULATION: i32 = 1_000_000;

/// A checked residential area: 0 <= elderly <= population.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentialAreaDraft {
    pub name: String,
    pub location: LonLat,
    pub population: i32,
    pub elderly_population: i32,
    pub community_code: Option<CommunityCode>,
}

impl ResidentialAreaDraft {
    pub fn new(
        name: &str,
        location: LonLat,
        population: i32,
        elderly_population: i32,
        community_code: Option<&str>,
    ) -> Result<Self, Invalid> {
        let population = validate::non_negative("population", population)?;
        // No residential area holds more; larger figures are typing errors, and sums of them
        // would overflow a report's 32-bit totals.
        if population > MAX_AREA_POPULATION {
            return Err(Invalid::new(format!("population must be at most {MAX_AREA_POPULATION}, got {population}")));
        }
        let elderly_population = validate::non_negative("elderlyPopulation", elderly_population)?;
        if elderly_population > population {
            return Err(Invalid::new(format!(
                "elderlyPopulation ({elderly_population}) must not exceed population ({population})"
            )));
        }
        Ok(Self {
            name: validate::required_text("name", name, 200)?,
            location,
            population,
            elderly_population,
            community_code: validate::community_code(community_code)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elderly_cannot_outnumber_residents() {
        let at = LonLat { lon: 106.3, lat: 38.5 };
        assert!(ResidentialAreaDraft::new("a", at, 10, 11, None).is_err());
        assert!(ResidentialAreaDraft::new("a", at, -1, 0, None).is_err());
        assert!(ResidentialAreaDraft::new("a", at, 10, 10, Some("640104001001")).is_ok());
    }
}
