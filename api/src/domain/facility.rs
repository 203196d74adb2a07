//! Facilities: kinds and categories, the validated draft of a new or changed facility, and
//! the filter every facility query shares.

use super::community_code::CommunityCode;
use super::details::{CanteenDetails, ElderCareDetails, FacilityDetails, RestStationDetails};
use super::hours::OpenMoment;
use super::{Invalid, ids::FacilityId, validate};
use crate::geo::LonLat;
use async_graphql::Enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The three families of service a 15-minute circle is measured for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FacilityCategory {
    /// Community canteens, meal points and partner restaurants.
    Canteen,
    /// Day care, activity centers, rural happiness homes, nursing homes, care stations.
    ElderCare,
    /// Rest stations for outdoor workers.
    RestStation,
}

impl FacilityCategory {
    /// The GraphQL name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Canteen => "CANTEEN",
            Self::ElderCare => "ELDER_CARE",
            Self::RestStation => "REST_STATION",
        }
    }
}

/// What a facility is; its category follows from it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FacilityKind {
    /// 社区食堂.
    CommunityCanteen,
    /// 助餐点 / 老饭桌.
    MealPoint,
    /// 爱心商户: a restaurant giving seniors a discount.
    PartnerRestaurant,
    /// 日间照料中心.
    DayCareCenter,
    /// 老年活动中心.
    SeniorActivityCenter,
    /// 农村幸福院.
    RuralHappinessHome,
    /// 护理院 / 养老院: residential care with beds.
    NursingHome,
    /// 社区养老服务站: a small elder-care service point inside a community.
    CommunityCareStation,
    /// 户外劳动者服务站 / 红色驿站.
    OutdoorWorkerStation,
    /// A rest point run by an enterprise for outdoor workers.
    EnterpriseCarePoint,
}

impl FacilityKind {
    pub const ALL: [Self; 10] = [
        Self::CommunityCanteen,
        Self::MealPoint,
        Self::PartnerRestaurant,
        Self::DayCareCenter,
        Self::SeniorActivityCenter,
        Self::RuralHappinessHome,
        Self::NursingHome,
        Self::CommunityCareStation,
        Self::OutdoorWorkerStation,
        Self::EnterpriseCarePoint,
    ];

    pub fn category(self) -> FacilityCategory {
        use FacilityKind::*;
        match self {
            CommunityCanteen | MealPoint | PartnerRestaurant => FacilityCategory::Canteen,
            DayCareCenter | SeniorActivityCenter | RuralHappinessHome | NursingHome | CommunityCareStation => {
                FacilityCategory::ElderCare
            }
            OutdoorWorkerStation | EnterpriseCarePoint => FacilityCategory::RestStation,
        }
    }

    /// The stored code (the GraphQL name).
    pub fn code(self) -> &'static str {
        use FacilityKind::*;
        match self {
            CommunityCanteen => "COMMUNITY_CANTEEN",
            MealPoint => "MEAL_POINT",
            PartnerRestaurant => "PARTNER_RESTAURANT",
            DayCareCenter => "DAY_CARE_CENTER",
            SeniorActivityCenter => "SENIOR_ACTIVITY_CENTER",
            RuralHappinessHome => "RURAL_HAPPINESS_HOME",
            NursingHome => "NURSING_HOME",
            CommunityCareStation => "COMMUNITY_CARE_STATION",
            OutdoorWorkerStation => "OUTDOOR_WORKER_STATION",
            EnterpriseCarePoint => "ENTERPRISE_CARE_POINT",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A stored facility. Positions are WGS-84.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facility {
    pub id: FacilityId,
    #[serde(flatten)]
    pub draft: FacilityDraft,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Name of the token that created it (none for rows from before authors were recorded).
    #[serde(default)]
    pub created_by: Option<Arc<str>>,
    /// Name of the token that made this version.
    #[serde(default)]
    pub updated_by: Option<Arc<str>>,
}

/// Everything a user says about a facility, already checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilityDraft {
    pub kind: FacilityKind,
    pub name: String,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub community_code: Option<CommunityCode>,
    pub opening_hours: Option<String>,
    pub phone: Option<String>,
    pub capacity: Option<i32>,
    pub services: Vec<String>,
    /// Boxed: most facilities have none, and a province holds a million of them.
    pub details: Option<Box<FacilityDetails>>,
}

impl FacilityDraft {
    pub fn location(&self) -> LonLat {
        LonLat { lon: self.lon, lat: self.lat }
    }
}

/// Raw fields of a facility, as a client sends them (location already in WGS-84).
#[derive(Clone, Debug, Default)]
pub struct FacilityFields {
    pub kind: Option<FacilityKind>,
    pub name: Option<String>,
    pub location: Option<LonLat>,
    /// `None`: leave as is; `Some(None)`: clear.
    pub address: Option<Option<String>>,
    pub community_code: Option<Option<String>>,
    pub opening_hours: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub capacity: Option<Option<i32>>,
    pub services: Option<Vec<String>>,
    pub canteen: Option<Option<CanteenDetails>>,
    pub elder_care: Option<Option<ElderCareDetails>>,
    pub rest_station: Option<Option<RestStationDetails>>,
}

impl FacilityFields {
    /// A new facility from these fields; kind, name and location are required.
    pub fn create(self) -> Result<FacilityDraft, Invalid> {
        let kind = self.kind.ok_or_else(|| Invalid::new("kind is required"))?;
        let name = self.name.clone().ok_or_else(|| Invalid::new("name is required"))?;
        let location = self.location.ok_or_else(|| Invalid::new("location is required"))?;
        let base = FacilityDraft {
            kind,
            name,
            address: None,
            lon: location.lon,
            lat: location.lat,
            community_code: None,
            opening_hours: None,
            phone: None,
            capacity: None,
            services: Vec::new(),
            details: None,
        };
        self.apply_to(base)
    }

    /// `current` with the given fields changed, checked as a whole. Details are replaced as a
    /// unit; changing the kind to another category drops details of the old category (the
    /// history row keeps them).
    pub fn apply_to(self, current: FacilityDraft) -> Result<FacilityDraft, Invalid> {
        let kind = self.kind.unwrap_or(current.kind);
        let location = self.location.unwrap_or(current.location());
        let pick = |given: Option<Option<String>>, old: Option<String>| given.unwrap_or(old);
        let services = match &self.services {
            Some(tags) => validate::service_tags(tags)?,
            None => current.services,
        };
        let capacity = self.capacity.unwrap_or(current.capacity);
        if let Some(c) = capacity {
            validate::non_negative("capacity", c)?;
        }
        let details = merge_details(kind, current.details, self.canteen, self.elder_care, self.rest_station)?;
        Ok(FacilityDraft {
            kind,
            name: validate::required_text("name", self.name.as_deref().unwrap_or(&current.name), 200)?,
            address: validate::optional_text("address", pick(self.address, current.address).as_deref(), 500)?,
            lon: location.lon,
            lat: location.lat,
            community_code: match self.community_code {
                Some(given) => validate::community_code(given.as_deref())?,
                None => current.community_code,
            },
            opening_hours: validate::opening_hours(pick(self.opening_hours, current.opening_hours).as_deref())?,
            phone: validate::phone(pick(self.phone, current.phone).as_deref())?,
            capacity,
            services,
            details,
        })
    }
}

fn merge_details(
    kind: FacilityKind,
    current: Option<Box<FacilityDetails>>,
    canteen: Option<Option<CanteenDetails>>,
    elder_care: Option<Option<ElderCareDetails>>,
    rest_station: Option<Option<RestStationDetails>>,
) -> Result<Option<Box<FacilityDetails>>, Invalid> {
    let category = kind.category();
    let given = [
        (FacilityCategory::Canteen, "canteen", matches!(canteen, Some(Some(_)))),
        (FacilityCategory::ElderCare, "elderCare", matches!(elder_care, Some(Some(_)))),
        (FacilityCategory::RestStation, "restStation", matches!(rest_station, Some(Some(_)))),
    ];
    for (cat, field, is_given) in given {
        if is_given && cat != category {
            return Err(Invalid::new(format!("{field} details do not fit a facility of kind {}", kind.code())));
        }
    }
    let replaced = match category {
        FacilityCategory::Canteen => {
            canteen.map(|d| d.map(|d| d.validated().map(|d| Box::new(FacilityDetails::Canteen(d)))).transpose())
        }
        FacilityCategory::ElderCare => {
            elder_care.map(|d| d.map(|d| d.validated().map(|d| Box::new(FacilityDetails::ElderCare(d)))).transpose())
        }
        FacilityCategory::RestStation => rest_station
            .map(|d| d.map(|d| d.validated().map(|d| Box::new(FacilityDetails::RestStation(d)))).transpose()),
    };
    match replaced {
        Some(result) => result,
        None => Ok(current.filter(|d| d.category() == category)),
    }
}

impl FacilityDetails {
    pub fn category(&self) -> FacilityCategory {
        match self {
            FacilityDetails::Canteen(_) => FacilityCategory::Canteen,
            FacilityDetails::ElderCare(_) => FacilityCategory::ElderCare,
            FacilityDetails::RestStation(_) => FacilityCategory::RestStation,
        }
    }
}

/// The fields of a facility a filter reads.
#[derive(Clone, Copy, Debug)]
pub struct FilteredFields<'a> {
    pub kind: FacilityKind,
    pub services: &'a [String],
    pub community_code: Option<&'a str>,
    pub opening_hours: Option<&'a str>,
}

/// Which facilities a query counts: fields combine with AND, values of one list with OR,
/// except `services`, all of which a facility must offer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FacilityFilter {
    pub categories: Option<Vec<FacilityCategory>>,
    pub kinds: Option<Vec<FacilityKind>>,
    pub services: Vec<String>,
    pub community_code_prefix: Option<String>,
    /// Only facilities known to be open then (unknown hours are left out).
    pub open_at: Option<OpenMoment>,
}

impl FacilityFilter {
    /// Whether `facility` passes the filter (the same rule the database query applies; the
    /// database cannot read opening hours, so `open_at` is only ever checked here).
    pub fn matches(&self, facility: &FacilityDraft) -> bool {
        self.admits(FilteredFields {
            kind: facility.kind,
            services: &facility.services,
            community_code: facility.community_code.as_deref(),
            opening_hours: facility.opening_hours.as_deref(),
        })
    }

    /// Whether a facility with these fields passes the filter.
    pub fn admits(&self, facility: FilteredFields<'_>) -> bool {
        self.categories.as_ref().is_none_or(|c| c.contains(&facility.kind.category()))
            && self.kinds.as_ref().is_none_or(|k| k.contains(&facility.kind))
            && self.services.iter().all(|tag| facility.services.contains(tag))
            && self
                .community_code_prefix
                .as_ref()
                .is_none_or(|p| facility.community_code.is_some_and(|code| code.starts_with(p.as_str())))
            && self.open_at.as_ref().is_none_or(|at| at.is_open(facility.opening_hours) == Some(true))
    }

    /// The kinds the filter admits, combining `categories` and `kinds`.
    pub fn admitted_kinds(&self) -> Option<Vec<FacilityKind>> {
        if self.categories.is_none() && self.kinds.is_none() {
            return None;
        }
        Some(
            FacilityKind::ALL
                .into_iter()
                .filter(|k| self.categories.as_ref().is_none_or(|c| c.contains(&k.category())))
                .filter(|k| self.kinds.as_ref().is_none_or(|ks| ks.contains(k)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> FacilityFields {
        FacilityFields {
            kind: Some(FacilityKind::MealPoint),
            name: Some(" 老饭桌 ".into()),
            location: Some(LonLat { lon: 106.27, lat: 38.47 }),
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_has_a_code_that_reads_back() {
        for k in FacilityKind::ALL {
            assert_eq!(FacilityKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn details_must_fit_the_kind() {
        let mut f = fields();
        f.rest_station = Some(Some(RestStationDetails::default()));
        assert!(f.create().is_err());
        let mut f = fields();
        f.canteen = Some(Some(CanteenDetails { halal: true, ..Default::default() }));
        let d = f.create().unwrap();
        assert_eq!(d.name, "老饭桌");
        assert!(matches!(d.details.as_deref(), Some(FacilityDetails::Canteen(CanteenDetails { halal: true, .. }))));
    }

    #[test]
    fn clearing_the_old_categorys_details_while_changing_kind_is_allowed() {
        let mut f = fields();
        f.canteen = Some(Some(CanteenDetails::default()));
        let current = f.create().unwrap();
        let patch = FacilityFields { kind: Some(FacilityKind::NursingHome), canteen: Some(None), ..Default::default() };
        let next = patch.apply_to(current).unwrap();
        assert_eq!(next.details, None);
    }

    #[test]
    fn a_patch_changes_only_given_fields() {
        let mut f = fields();
        f.address = Some(Some("兴庆区".into()));
        f.phone = Some(Some("0951-1234567".into()));
        let current = f.create().unwrap();
        let patch = FacilityFields { address: Some(None), capacity: Some(Some(30)), ..Default::default() };
        let next = patch.apply_to(current.clone()).unwrap();
        assert_eq!(next.address, None);
        assert_eq!(next.capacity, Some(30));
        assert_eq!(next.phone, current.phone);
        assert_eq!(next.name, current.name);
    }

    #[test]
    fn filters_combine_categories_and_kinds_with_and() {
        let f = FacilityFilter {
            categories: Some(vec![FacilityCategory::Canteen]),
            kinds: Some(vec![FacilityKind::MealPoint, FacilityKind::NursingHome]),
            ..Default::default()
        };
        assert_eq!(f.admitted_kinds(), Some(vec![FacilityKind::MealPoint]));
        assert_eq!(FacilityFilter::default().admitted_kinds(), None);
    }
}
