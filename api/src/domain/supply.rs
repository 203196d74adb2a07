//! What counts as a facility's places when supply is weighed against demand (accessibility
//! scores, norms with places per 1,000 elderly residents).

use super::details::FacilityDetails;
use super::facility::Facility;
use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// Which of a facility's numbers counts as its places.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "SupplyMeasure")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Supply {
    /// The facility's `capacity`.
    #[default]
    Capacity,
    /// Residential care beds (`elderCare.beds`).
    Beds,
    /// Day-care places (`elderCare.dayCarePlaces`).
    DayCarePlaces,
    /// Beds and day-care places together.
    CarePlaces,
    /// Canteen seats (`canteen.seats`).
    Seats,
}

impl Supply {
    /// The facility's places by this measure; none when it does not state them.
    pub fn of(self, f: &Facility) -> Option<f64> {
        let details = f.draft.details.as_deref();
        let care = match details {
            Some(FacilityDetails::ElderCare(c)) => Some(c),
            _ => None,
        };
        let places = match self {
            Supply::Capacity => f.draft.capacity,
            Supply::Beds => care.and_then(|c| c.beds),
            Supply::DayCarePlaces => care.and_then(|c| c.day_care_places),
            Supply::CarePlaces => care.and_then(|c| match (c.beds, c.day_care_places) {
                (None, None) => None,
                (beds, day) => Some(beds.unwrap_or(0).saturating_add(day.unwrap_or(0))),
            }),
            Supply::Seats => match details {
                Some(FacilityDetails::Canteen(c)) => c.seats,
                _ => None,
            },
        };
        places.map(f64::from)
    }

    /// The field it reads, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Supply::Capacity => "capacity",
            Supply::Beds => "beds (elderCare.beds)",
            Supply::DayCarePlaces => "day-care places (elderCare.dayCarePlaces)",
            Supply::CarePlaces => "beds or day-care places",
            Supply::Seats => "seats (canteen.seats)",
        }
    }
}
