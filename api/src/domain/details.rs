//! Category-specific details of a facility: what a canteen serves and charges, what an
//! elder-care facility offers, what a rest station provides. Each type is both the stored
//! JSON and the GraphQL object/input, so the three can never drift apart.

use super::{Invalid, validate};
use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

/// A meal a canteen serves.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Meal {
    /// Breakfast (早餐).
    Breakfast,
    /// Lunch (午餐).
    Lunch,
    /// Dinner (晚餐).
    Dinner,
}

/// A special diet a canteen can cook.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Diet {
    /// Low-salt dishes (低盐), e.g. for high blood pressure.
    LowSalt,
    /// Low-oil dishes (少油).
    LowOil,
    /// Low-sugar dishes (低糖), e.g. for diabetes.
    LowSugar,
    /// Soft or minced food (软食) for diners who chew with difficulty.
    SoftFood,
    /// Vegetarian dishes (素食).
    Vegetarian,
}

/// The price a diner of an age band pays for a meal.
#[derive(SimpleObject, InputObject, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[graphql(input_name = "AgePriceInput")]
#[serde(rename_all = "camelCase")]
pub struct AgePrice {
    /// Youngest age of the band, in years (inclusive).
    pub min_age: i32,
    /// Oldest age of the band, in years (inclusive); null for no upper bound.
    pub max_age: Option<i32>,
    /// Price of one meal in yuan; 0 means free.
    pub price_yuan: f64,
}

/// What a community canteen, meal point or partner restaurant offers.
#[derive(SimpleObject, Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanteenDetails {
    /// Meals served, in the order given.
    pub meals: Vec<Meal>,
    /// Number of seats.
    pub seats: Option<i32>,
    /// Price of a meal for diners without an age discount, in yuan.
    pub base_price_yuan: Option<f64>,
    /// Age-tiered prices for elderly diners (e.g. 60-69 pay 7, 70-89 pay 5, 90+ free);
    /// sorted by `minAge`, bands never overlap.
    pub age_prices: Vec<AgePrice>,
    /// Special diets the kitchen cooks.
    pub diets: Vec<Diet>,
    /// Halal (清真) kitchen.
    pub halal: bool,
    /// Whether meals are delivered to homes.
    pub delivery: bool,
    /// Delivery fee in yuan, when meals are delivered.
    pub delivery_fee_yuan: Option<f64>,
    /// Who runs the canteen.
    pub operator: Option<String>,
}

/// A service an elder-care facility offers.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CareService {
    /// Meals for residents and visitors (助餐).
    Meals,
    /// Rehabilitation and physiotherapy (康复).
    Rehabilitation,
    /// Medical care, e.g. a clinic or visiting doctors (医疗).
    Medical,
    /// Psychological counselling and companionship (心理慰藉).
    Counselling,
    /// Help with bathing (助浴).
    Bathing,
    /// Care during the day, going home at night (日间照料).
    DayCare,
    /// Short residential stays, e.g. respite care (短期托养).
    ShortStay,
    /// Cultural and leisure activities (文体娱乐).
    Recreation,
}

/// What a day-care center, senior activity center, rural happiness home, nursing home or
/// community care station offers.
#[derive(SimpleObject, Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ElderCareDetails {
    /// Residential care beds.
    pub beds: Option<i32>,
    /// Day-care places.
    pub day_care_places: Option<i32>,
    /// Services offered, in the order given.
    pub care_services: Vec<CareService>,
    /// Floor area in square metres.
    pub floor_area_square_meters: Option<f64>,
}

/// An amenity of an outdoor workers' rest station.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Amenity {
    /// Drinking water (饮用水).
    DrinkingWater,
    /// Hot water (热水).
    HotWater,
    /// Tea (茶水).
    Tea,
    /// A microwave oven for heating food (微波炉).
    Microwave,
    /// A fridge (冰箱).
    Fridge,
    /// Mobile phone charging (手机充电).
    PhoneCharging,
    /// Charging for electric bikes and scooters (电动车充电).
    EbikeCharging,
    /// A toilet (卫生间).
    Toilet,
    /// Seats to rest on (休息座椅).
    Seating,
    /// Air conditioning or heating (空调).
    AirConditioning,
    /// A first-aid kit (急救药箱).
    FirstAid,
    /// Wi-Fi.
    Wifi,
    /// Umbrellas to borrow (爱心雨伞).
    Umbrella,
    /// A tyre pump (打气筒).
    TyrePump,
    /// Car washing (洗车).
    CarWash,
}

/// How a worker gets into a rest station.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StationAccess {
    /// Walk in.
    #[default]
    Open,
    /// Scan a QR code to open the door.
    QrCode,
    /// Staff let workers in.
    Staffed,
}

/// Who a rest station is meant for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkerGroup {
    /// Sanitation workers and street cleaners (环卫工人).
    Sanitation,
    /// Food-delivery riders (外卖骑手).
    Delivery,
    /// Parcel couriers (快递员).
    Courier,
    /// Taxi, ride-hailing and other professional drivers (司机).
    Driver,
}

/// What an outdoor workers' service station (户外劳动者服务站, 红色驿站) or enterprise care
/// point provides.
#[derive(SimpleObject, Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RestStationDetails {
    /// Amenities, in the order given.
    pub amenities: Vec<Amenity>,
    /// How workers get in.
    pub access: StationAccess,
    /// Open around the clock.
    pub open_24_hours: bool,
    /// The workers it is meant for.
    pub target_groups: Vec<WorkerGroup>,
    /// A mobile station (for example a converted bus) rather than a fixed room.
    pub mobile: bool,
}

/// The details of one facility; the variant must match the facility's category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "category", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FacilityDetails {
    Canteen(CanteenDetails),
    ElderCare(ElderCareDetails),
    RestStation(RestStationDetails),
}

impl CanteenDetails {
    /// Checks counts and prices, drops repeated meals and diets, and sorts the age bands.
    pub fn validated(mut self) -> Result<Self, Invalid> {
        self.meals = validate::dedup_keep_order(&self.meals);
        self.diets = validate::dedup_keep_order(&self.diets);
        if let Some(seats) = self.seats {
            validate::non_negative("canteen.seats", seats)?;
        }
        if let Some(price) = self.base_price_yuan {
            validate::price_yuan("canteen.basePriceYuan", price)?;
        }
        if let Some(fee) = self.delivery_fee_yuan {
            validate::price_yuan("canteen.deliveryFeeYuan", fee)?;
        }
        self.operator = validate::optional_text("canteen.operator", self.operator.as_deref(), 200)?;
        for band in &self.age_prices {
            validate::price_yuan("canteen.agePrices.priceYuan", band.price_yuan)?;
            let max = band.max_age.unwrap_or(150);
            if !(0..=150).contains(&band.min_age) || !(band.min_age..=150).contains(&max) {
                return Err(Invalid::new("canteen.agePrices: ages must satisfy 0 <= minAge <= maxAge <= 150"));
            }
        }
        self.age_prices.sort_by_key(|b| b.min_age);
        for pair in self.age_prices.windows(2) {
            if pair[0].max_age.is_none_or(|max| max >= pair[1].min_age) {
                return Err(Invalid::new("canteen.agePrices: age bands must not overlap"));
            }
        }
        Ok(self)
    }
}

impl ElderCareDetails {
    pub fn validated(mut self) -> Result<Self, Invalid> {
        self.care_services = validate::dedup_keep_order(&self.care_services);
        if let Some(beds) = self.beds {
            validate::non_negative("elderCare.beds", beds)?;
        }
        if let Some(places) = self.day_care_places {
            validate::non_negative("elderCare.dayCarePlaces", places)?;
        }
        if let Some(area) = self.floor_area_square_meters
            && (!area.is_finite() || !(0.0..=1_000_000.0).contains(&area))
        {
            return Err(Invalid::new("elderCare.floorAreaSquareMeters must be between 0 and 1000000"));
        }
        Ok(self)
    }
}

impl RestStationDetails {
    pub fn validated(mut self) -> Result<Self, Invalid> {
        self.amenities = validate::dedup_keep_order(&self.amenities);
        self.target_groups = validate::dedup_keep_order(&self.target_groups);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(min_age: i32, max_age: Option<i32>, price_yuan: f64) -> AgePrice {
        AgePrice { min_age, max_age, price_yuan }
    }

    #[test]
    fn age_bands_are_sorted_and_must_not_overlap() {
        let ok = CanteenDetails {
            age_prices: vec![band(90, None, 0.0), band(60, Some(69), 7.0), band(70, Some(89), 5.0)],
            ..Default::default()
        };
        let v = ok.validated().unwrap();
        assert_eq!(v.age_prices.iter().map(|b| b.min_age).collect::<Vec<_>>(), vec![60, 70, 90]);
        let overlap =
            CanteenDetails { age_prices: vec![band(60, Some(70), 7.0), band(70, None, 5.0)], ..Default::default() };
        assert!(overlap.validated().is_err());
        let open_ended_first =
            CanteenDetails { age_prices: vec![band(60, None, 7.0), band(70, None, 5.0)], ..Default::default() };
        assert!(open_ended_first.validated().is_err());
        let negative = CanteenDetails { base_price_yuan: Some(-1.0), ..Default::default() };
        assert!(negative.validated().is_err());
    }

    #[test]
    fn details_survive_a_json_round_trip() {
        let d = FacilityDetails::RestStation(RestStationDetails {
            amenities: vec![Amenity::HotWater, Amenity::Tea],
            open_24_hours: true,
            ..Default::default()
        });
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<FacilityDetails>(&json).unwrap(), d);
    }
}
