//! The details a client gives with a facility. They are the domain's details with every field
//! that has a default nullable (the contract: an omitted field and an explicit null both mean
//! the default), so they are input types of their own.

use crate::domain::details::{
    AgePrice, Amenity, CanteenDetails, CareService, Diet, ElderCareDetails, Meal, RestStationDetails, StationAccess,
    WorkerGroup,
};
use async_graphql::InputObject;

/// What a community canteen, meal point or partner restaurant offers.
#[derive(InputObject, Clone, Debug)]
pub struct CanteenDetailsInput {
    /// Meals served, in the order given.
    #[graphql(default_with = "Some(Vec::new())")]
    pub meals: Option<Vec<Meal>>,
    /// Number of seats.
    pub seats: Option<i32>,
    /// Price of a meal for diners without an age discount, in yuan.
    pub base_price_yuan: Option<f64>,
    /// Age-tiered prices for elderly diners (e.g. 60-69 pay 7, 70-89 pay 5, 90+ free);
    /// sorted by `minAge`, bands never overlap.
    #[graphql(default_with = "Some(Vec::new())")]
    pub age_prices: Option<Vec<AgePrice>>,
    /// Special diets the kitchen cooks.
    #[graphql(default_with = "Some(Vec::new())")]
    pub diets: Option<Vec<Diet>>,
    /// Halal (清真) kitchen.
    #[graphql(default_with = "Some(false)")]
    pub halal: Option<bool>,
    /// Whether meals are delivered to homes.
    #[graphql(default_with = "Some(false)")]
    pub delivery: Option<bool>,
    /// Delivery fee in yuan, when meals are delivered.
    pub delivery_fee_yuan: Option<f64>,
    /// Who runs the canteen.
    pub operator: Option<String>,
}

impl From<CanteenDetailsInput> for CanteenDetails {
    fn from(given: CanteenDetailsInput) -> Self {
        Self {
            meals: given.meals.unwrap_or_default(),
            seats: given.seats,
            base_price_yuan: given.base_price_yuan,
            age_prices: given.age_prices.unwrap_or_default(),
            diets: given.diets.unwrap_or_default(),
            halal: given.halal.unwrap_or_default(),
            delivery: given.delivery.unwrap_or_default(),
            delivery_fee_yuan: given.delivery_fee_yuan,
            operator: given.operator,
        }
    }
}

/// What a day-care center, senior activity center, rural happiness home, nursing home or
/// community care station offers.
#[derive(InputObject, Clone, Debug)]
pub struct ElderCareDetailsInput {
    /// Residential care beds.
    pub beds: Option<i32>,
    /// Day-care places.
    pub day_care_places: Option<i32>,
    /// Services offered, in the order given.
    #[graphql(default_with = "Some(Vec::new())")]
    pub care_services: Option<Vec<CareService>>,
    /// Floor area in square metres.
    pub floor_area_square_meters: Option<f64>,
}

impl From<ElderCareDetailsInput> for ElderCareDetails {
    fn from(given: ElderCareDetailsInput) -> Self {
        Self {
            beds: given.beds,
            day_care_places: given.day_care_places,
            care_services: given.care_services.unwrap_or_default(),
            floor_area_square_meters: given.floor_area_square_meters,
        }
    }
}

/// What an outdoor workers' service station (户外劳动者服务站, 红色驿站) or enterprise care
/// point provides.
#[derive(InputObject, Clone, Debug)]
pub struct RestStationDetailsInput {
    /// Amenities, in the order given.
    #[graphql(default_with = "Some(Vec::new())")]
    pub amenities: Option<Vec<Amenity>>,
    /// How workers get in.
    #[graphql(default_with = "Some(StationAccess::default())")]
    pub access: Option<StationAccess>,
    /// Open around the clock.
    #[graphql(default_with = "Some(false)")]
    pub open_24_hours: Option<bool>,
    /// The workers it is meant for.
    #[graphql(default_with = "Some(Vec::new())")]
    pub target_groups: Option<Vec<WorkerGroup>>,
    /// A mobile station (for example a converted bus) rather than a fixed room.
    #[graphql(default_with = "Some(false)")]
    pub mobile: Option<bool>,
}

impl From<RestStationDetailsInput> for RestStationDetails {
    fn from(given: RestStationDetailsInput) -> Self {
        Self {
            amenities: given.amenities.unwrap_or_default(),
            access: given.access.unwrap_or_default(),
            open_24_hours: given.open_24_hours.unwrap_or_default(),
            target_groups: given.target_groups.unwrap_or_default(),
            mobile: given.mobile.unwrap_or_default(),
        }
    }
}
