//! The demo data set: a synthetic but plausible Xingqing district, Yinchuan (division code
//! 640104). Counts follow the district report (105 senior activity centers, 47 meal points,
//! 31 rural happiness homes, 23 day-care centers, 180 outdoor-worker stations) plus some
//! canteens, partner restaurants, nursing homes, care stations and enterprise care points,
//! and 2,000 residential areas. Places are random (fixed seed) inside the district's real
//! extent: the city in the west, villages in the east. None of it describes real places.

use crate::domain::community_code::CommunityCode;
use crate::domain::details::*;
use crate::domain::facility::{FacilityDraft, FacilityKind};
use crate::domain::residents::ResidentialAreaDraft;
use crate::geo::LonLat;
use crate::store::{Store, StoreResult};
use rand::{Rng, SeedableRng, rngs::StdRng};

pub mod streets;

/// The district's extent (WGS-84) and where the city gives way to countryside.
const WEST: f64 = 106.22;
const EAST: f64 = 106.56;
const SOUTH: f64 = 38.33;
const NORTH: f64 = 38.58;
const CITY_EDGE_LON: f64 = 106.36;
const SEED: u64 = 640_104;
const RESIDENTIAL_AREAS: usize = 2_000;
const CITY_SHARE: f64 = 0.75;

pub struct DemoCounts {
    pub facilities: usize,
    pub residential_areas: usize,
    /// Edges of the synthetic walking network.
    pub network_edges: usize,
}

const STREETS: [&str; 10] =
    ["凤凰北街", "解放街", "文化街", "新华街", "前进街", "玉皇阁北街", "中山南街", "胜利街", "富宁街", "银古路"];
const TOWNS: [&str; 4] = ["掌政镇", "大新镇", "通贵乡", "月牙湖乡"];
const ESTATE_WORDS: [&str; 10] = ["阳光", "丽景", "金凤", "富宁", "湖滨", "唐徕", "清和", "银河", "玉泉", "凤凰"];
const ESTATE_SUFFIXES: [&str; 6] = ["花园", "家园", "小区", "苑", "新村", "嘉园"];

/// The 12-digit code of the synthetic community at a position: ten streets (001-010) of
/// sixteen urban communities in the city, four towns (100-103) of sixteen villages outside.
pub fn community_code_at(p: LonLat) -> CommunityCode {
    let frac =
        |v: f64, lo: f64, hi: f64, n: usize| (((v - lo) / (hi - lo)) * n as f64).clamp(0.0, n as f64 - 1.0) as usize;
    if p.lon < CITY_EDGE_LON {
        let street = frac(p.lat, SOUTH, NORTH, 5) * 2 + frac(p.lon, WEST, CITY_EDGE_LON, 2);
        let community = frac(p.lat, SOUTH, NORTH, 20) % 4 * 4 + frac(p.lon, WEST, CITY_EDGE_LON, 8) % 4;
        CommunityCode::from_parts(640104, street as u32 + 1, community as u32 + 1)
    } else {
        let town = frac(p.lat, SOUTH, NORTH, 4);
        let village = frac(p.lat, SOUTH, NORTH, 16) % 4 * 4 + frac(p.lon, CITY_EDGE_LON, EAST, 4);
        CommunityCode::from_parts(640104, 100 + town as u32, 200 + village as u32)
    }
}

fn place_name(code: &str) -> &'static str {
    let township: usize = code[6..9].parse().unwrap_or(1);
    if township >= 100 { TOWNS[(township - 100) % TOWNS.len()] } else { STREETS[(township - 1) % STREETS.len()] }
}

struct Generator {
    rng: StdRng,
    city_centres: Vec<LonLat>,
}

impl Generator {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(SEED);
        let city_centres = (0..12)
            .map(|_| LonLat {
                lon: rng.random_range(WEST + 0.01..CITY_EDGE_LON - 0.01),
                lat: rng.random_range(SOUTH + 0.03..NORTH - 0.03),
            })
            .collect();
        Self { rng, city_centres }
    }

    /// A roughly normal offset (Irwin-Hall), in degrees.
    fn jitter(&mut self, sd: f64) -> f64 {
        let sum: f64 = (0..4).map(|_| self.rng.random::<f64>()).sum();
        (sum - 2.0) * sd * 1.73
    }

    fn city_point(&mut self) -> LonLat {
        let c = self.city_centres[self.rng.random_range(0..self.city_centres.len())];
        let lon = (c.lon + self.jitter(0.02)).clamp(WEST, CITY_EDGE_LON - 0.001);
        let lat = (c.lat + self.jitter(0.018)).clamp(SOUTH, NORTH);
        LonLat { lon, lat }
    }

    fn rural_point(&mut self) -> LonLat {
        LonLat { lon: self.rng.random_range(CITY_EDGE_LON..EAST), lat: self.rng.random_range(SOUTH..NORTH) }
    }

    fn near(&mut self, p: LonLat, sd_deg: f64) -> LonLat {
        LonLat {
            lon: (p.lon + self.jitter(sd_deg)).clamp(WEST, EAST),
            lat: (p.lat + self.jitter(sd_deg)).clamp(SOUTH, NORTH),
        }
    }

    fn residential_area(&mut self, index: usize) -> ResidentialAreaDraft {
        let city = index < (RESIDENTIAL_AREAS as f64 * CITY_SHARE) as usize;
        let location = if city { self.city_point() } else { self.rural_point() };
        let code = community_code_at(location);
        // About 0.9 million residents in all, as in the real district.
        let population = if city { self.rng.random_range(150..900) } else { self.rng.random_range(50..400) };
        let elderly_share = if city { self.rng.random_range(0.12..0.24) } else { self.rng.random_range(0.18..0.32) };
        let elderly = (f64::from(population) * elderly_share).round() as i32;
        let name = if city {
            let word = ESTATE_WORDS[self.rng.random_range(0..ESTATE_WORDS.len())];
            let suffix = ESTATE_SUFFIXES[self.rng.random_range(0..ESTATE_SUFFIXES.len())];
            format!("{word}{suffix}{}期", index % 7 + 1)
        } else {
            format!("{}{}村{}组", place_name(&code), &code[9..], index % 9 + 1)
        };
        ResidentialAreaDraft { name, location, population, elderly_population: elderly, community_code: Some(code) }
    }

    fn facility(&mut self, kind: FacilityKind, number: usize, areas: &[ResidentialAreaDraft]) -> FacilityDraft {
        use FacilityKind::*;
        let rural =
            matches!(kind, RuralHappinessHome) || (matches!(kind, SeniorActivityCenter) && number.is_multiple_of(4));
        let location = match kind {
            OutdoorWorkerStation | EnterpriseCarePoint => self.city_point(),
            _ => {
                let pool: Vec<&ResidentialAreaDraft> =
                    areas.iter().filter(|a| (a.location.lon >= CITY_EDGE_LON) == rural).collect();
                match pool.len() {
                    0 if rural => self.rural_point(),
                    0 => self.city_point(),
                    n => {
                        let anchor = pool[self.rng.random_range(0..n)].location;
                        self.near(anchor, 0.003)
                    }
                }
            }
        };
        let code = community_code_at(location);
        let place = place_name(&code);
        let (label, hours) = match kind {
            CommunityCanteen => ("社区食堂", Some("Mo-Su 06:30-08:30,11:00-13:00,17:00-19:00")),
            MealPoint => ("老年助餐点", Some("Mo-Sa 11:00-13:00")),
            PartnerRestaurant => ("爱心助餐商户", Some("Mo-Su 10:00-21:00")),
            DayCareCenter => ("日间照料中心", Some("Mo-Fr 08:00-18:00; PH off")),
            SeniorActivityCenter => ("老年活动中心", Some("Mo-Su 08:30-21:00")),
            RuralHappinessHome => ("农村幸福院", Some("Mo-Su 08:00-17:30")),
            NursingHome => ("养老院", Some("24/7")),
            CommunityCareStation => ("社区养老服务站", Some("Mo-Fr 08:30-17:30; PH off")),
            OutdoorWorkerStation => {
                ("户外劳动者服务站", if number.is_multiple_of(3) { Some("24/7") } else { Some("Mo-Su 07:00-21:00") })
            }
            EnterpriseCarePoint => ("爱心驿站", None),
        };
        let (services, details) = self.details(kind, hours == Some("24/7"));
        FacilityDraft {
            kind,
            name: format!("{place}{label}（{}号）", number + 1),
            address: Some(format!("银川市兴庆区{place}{}号", self.rng.random_range(1..400))),
            lon: location.lon,
            lat: location.lat,
            community_code: Some(code),
            opening_hours: hours.map(str::to_owned),
            phone: Some(format!("0951-{}", self.rng.random_range(5_000_000..7_000_000))),
            capacity: Some(self.rng.random_range(10..120)),
            services,
            details: Some(Box::new(details)),
        }
    }

    fn pick<T: Copy>(&mut self, options: &[T], p: f64) -> Vec<T> {
        options.iter().copied().filter(|_| self.rng.random_bool(p)).collect()
    }

    fn details(&mut self, kind: FacilityKind, open_24_hours: bool) -> (Vec<String>, FacilityDetails) {
        use crate::domain::facility::FacilityCategory::*;
        match kind.category() {
            Canteen => {
                let halal = self.rng.random_bool(0.3);
                let delivery = self.rng.random_bool(0.4);
                let mut tags = vec!["LOW_SALT_MEALS".to_owned()];
                if halal {
                    tags.push("HALAL".into());
                }
                if delivery {
                    tags.push("DELIVERY".into());
                }
                let details = CanteenDetails {
                    meals: if kind == FacilityKind::CommunityCanteen {
                        vec![Meal::Breakfast, Meal::Lunch, Meal::Dinner]
                    } else {
                        vec![Meal::Lunch]
                    },
                    seats: Some(self.rng.random_range(12..90)),
                    base_price_yuan: Some(f64::from(self.rng.random_range(10..16))),
                    age_prices: vec![
                        AgePrice { min_age: 60, max_age: Some(69), price_yuan: 7.0 },
                        AgePrice { min_age: 70, max_age: Some(89), price_yuan: 5.0 },
                        AgePrice { min_age: 90, max_age: None, price_yuan: 0.0 },
                    ],
                    diets: self.pick(&[Diet::LowSalt, Diet::LowOil, Diet::LowSugar, Diet::SoftFood], 0.5),
                    halal,
                    delivery,
                    delivery_fee_yuan: delivery.then_some(2.0),
                    operator: Some("兴庆区社区服务中心".into()),
                };
                (tags, FacilityDetails::Canteen(details))
            }
            ElderCare => {
                let residential = matches!(kind, FacilityKind::NursingHome | FacilityKind::RuralHappinessHome);
                let details = ElderCareDetails {
                    beds: residential.then(|| self.rng.random_range(8..150)),
                    day_care_places: (!residential).then(|| self.rng.random_range(10..60)),
                    care_services: self.pick(
                        &[
                            CareService::Meals,
                            CareService::Rehabilitation,
                            CareService::Medical,
                            CareService::Counselling,
                            CareService::Bathing,
                            CareService::Recreation,
                        ],
                        0.5,
                    ),
                    floor_area_square_meters: Some(f64::from(self.rng.random_range(150..2_000))),
                };
                (Vec::new(), FacilityDetails::ElderCare(details))
            }
            RestStation => {
                let amenities = self.pick(
                    &[
                        Amenity::DrinkingWater,
                        Amenity::HotWater,
                        Amenity::Tea,
                        Amenity::Microwave,
                        Amenity::PhoneCharging,
                        Amenity::EbikeCharging,
                        Amenity::Toilet,
                        Amenity::Seating,
                        Amenity::AirConditioning,
                        Amenity::FirstAid,
                        Amenity::Wifi,
                        Amenity::Umbrella,
                        Amenity::TyrePump,
                    ],
                    0.6,
                );
                let tags = amenities
                    .iter()
                    .filter_map(|a| match a {
                        Amenity::HotWater => Some("HOT_WATER"),
                        Amenity::Tea => Some("TEA"),
                        Amenity::PhoneCharging | Amenity::EbikeCharging => Some("CHARGING"),
                        Amenity::Toilet => Some("TOILET"),
                        _ => None,
                    })
                    .map(str::to_owned)
                    .collect::<Vec<_>>();
                let details = RestStationDetails {
                    amenities,
                    access: [StationAccess::Open, StationAccess::QrCode, StationAccess::Staffed]
                        [self.rng.random_range(0..3)],
                    open_24_hours,
                    target_groups: self.pick(
                        &[WorkerGroup::Sanitation, WorkerGroup::Delivery, WorkerGroup::Courier, WorkerGroup::Driver],
                        0.7,
                    ),
                    mobile: self.rng.random_bool(0.05),
                };
                (
                    crate::domain::validate::service_tags(&tags).unwrap_or_default(),
                    FacilityDetails::RestStation(details),
                )
            }
        }
    }
}

/// How many of each kind the demo district has.
pub const FACILITY_COUNTS: [(FacilityKind, usize); 10] = [
    (FacilityKind::SeniorActivityCenter, 105),
    (FacilityKind::MealPoint, 47),
    (FacilityKind::RuralHappinessHome, 31),
    (FacilityKind::DayCareCenter, 23),
    (FacilityKind::OutdoorWorkerStation, 180),
    (FacilityKind::CommunityCanteen, 18),
    (FacilityKind::PartnerRestaurant, 25),
    (FacilityKind::NursingHome, 6),
    (FacilityKind::CommunityCareStation, 12),
    (FacilityKind::EnterpriseCarePoint, 20),
];

/// Writes the demo data set through the store (so it gets versions and timestamps like
/// anything a user saves).
pub async fn load(store: &Store) -> StoreResult<DemoCounts> {
    let mut generator = Generator::new();
    let areas: Vec<ResidentialAreaDraft> = (0..RESIDENTIAL_AREAS).map(|i| generator.residential_area(i)).collect();
    let mut facilities = 0;
    for (kind, count) in FACILITY_COUNTS {
        for number in 0..count {
            store.create_facility(generator.facility(kind, number, &areas), "demo").await?;
            facilities += 1;
        }
    }
    let residential_areas =
        store.import_residential_areas(areas.into_iter().map(|a| (a, None)).collect(), "demo", &|_| {}).await?;
    // The example life-circle norms (labelled as an example), so normCompliance answers.
    store.load_norms(&crate::domain::norms::example()?, "demo").await?;
    // A synthetic walking network, so isochrones, NETWORK coverage and heatmaps show.
    let s = streets::streets();
    let network = store.import_walk_network(streets::SOURCE, &s.positions, &s.ids, &s.edges).await?;
    Ok(DemoCounts { facilities, residential_areas, network_edges: network.edge_count })
}

/// `count` more facilities of every kind scattered over the district (for load tests), written
/// in batches of 5,000 per transaction.
pub async fn load_scattered(store: &Store, count: usize) -> StoreResult<usize> {
    let mut generator = Generator::new();
    let areas: Vec<ResidentialAreaDraft> = (0..RESIDENTIAL_AREAS).map(|i| generator.residential_area(i)).collect();
    let mut written = 0;
    while written < count {
        let batch: Vec<FacilityDraft> = (written..count.min(written + 5_000))
            .map(|i| {
                let kind = FacilityKind::ALL[i % FacilityKind::ALL.len()];
                let mut f = generator.facility(kind, i, &areas);
                let p = if i % 4 == 3 { generator.rural_point() } else { generator.city_point() };
                (f.lon, f.lat) = (p.lon, p.lat);
                f.community_code = Some(community_code_at(p));
                f
            })
            .collect();
        written += store.create_facilities(batch, "demo").await?.len();
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::community_code;

    #[test]
    fn demo_places_lie_in_the_district_with_valid_codes() {
        let mut g = Generator::new();
        let areas: Vec<_> = (0..RESIDENTIAL_AREAS).map(|i| g.residential_area(i)).collect();
        for a in &areas {
            assert!((WEST..=EAST).contains(&a.location.lon) && (SOUTH..=NORTH).contains(&a.location.lat));
            assert!(a.elderly_population <= a.population);
            let code = a.community_code.as_deref().unwrap();
            assert!(code.starts_with("640104") && community_code(Some(code)).is_ok());
        }
        for (kind, _) in FACILITY_COUNTS {
            let f = g.facility(kind, 0, &areas);
            assert_eq!(f.details.as_ref().map(|d| d.category()), Some(kind.category()));
        }
    }
}
