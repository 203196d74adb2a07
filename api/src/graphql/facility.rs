//! Facilities: lookup, Relay pages, nearby search and versioned writes.

use super::details_input::{CanteenDetailsInput, ElderCareDetailsInput, RestStationDetailsInput};
use super::geojson::{self, GeoJson};
use super::geometry::{Crs, Point, PointInput};
use super::hours;
use super::plain_hits::Hits;
use super::travel::{DistanceModel, TravelInput, model_of};
use super::{cost, reading, require, store};
use crate::app::coverage as app;
use crate::domain::details::{CanteenDetails, ElderCareDetails, FacilityDetails, RestStationDetails};
use crate::domain::facility::{self as domain, FacilityCategory, FacilityFields, FacilityKind};
use crate::domain::ids::{FacilityId, decode_cursor, encode_cursor};
use crate::domain::role::Role;
use crate::domain::travel::{DEFAULT_MINUTES, Travel};
use crate::domain::{Invalid, validate};
use crate::error::{ApiError, ApiResult};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A community service facility: a canteen, an elder-care facility or a rest station.
pub struct Facility(pub Arc<domain::Facility>);

impl From<domain::Facility> for Facility {
    fn from(f: domain::Facility) -> Self {
        Self(Arc::new(f))
    }
}

/// A community service facility: a canteen (社区食堂, 助餐点, 爱心商户), an elder-care facility
/// (日间照料中心, 养老院 and the like) or a rest station for outdoor workers (户外劳动者服务站).
#[Object]
impl Facility {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.encode())
    }
    /// Derived from `kind`.
    async fn category(&self) -> FacilityCategory {
        self.0.draft.kind.category()
    }
    /// What the facility is (e.g. MEAL_POINT, 助餐点); it decides `category` and which details
    /// object applies.
    async fn kind(&self) -> FacilityKind {
        self.0.draft.kind
    }
    /// Display name for maps and lists.
    async fn name(&self) -> &str {
        &self.0.draft.name
    }
    /// Postal address as free text; null when not given.
    async fn address(&self) -> Option<&str> {
        self.0.draft.address.as_deref()
    }
    /// Where the facility is, in the requested coordinate system.
    async fn location(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the point; default WGS84.")]
        crs: Option<Crs>,
    ) -> Point {
        Point::from_wgs84(self.0.draft.location(), crs.unwrap_or_default())
    }
    /// 12-digit statistical division code of the community.
    async fn community_code(&self) -> Option<&str> {
        self.0.draft.community_code.as_deref()
    }
    /// Opening hours in OpenStreetMap `opening_hours` syntax.
    async fn opening_hours(&self) -> Option<&str> {
        self.0.draft.opening_hours.as_deref()
    }
    /// Whether the facility is open at `at` (default: now), by its opening hours read in the
    /// service's time zone (Asia/Shanghai by default) with public holidays and make-up working
    /// days. Null when the hours are unknown.
    async fn is_open(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The instant to test, in the years 1900 to 2199; default: now.")] at: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<bool>> {
        if self.0.draft.opening_hours.is_none() {
            return Ok(None);
        }
        Ok(hours::moment(ctx, at).await?.is_open(self.0.draft.opening_hours.as_deref()))
    }
    /// Contact telephone number (digits, spaces and + - ( ) #); null when not given.
    async fn phone(&self) -> Option<&str> {
        self.0.draft.phone.as_deref()
    }
    /// How many people it serves at once (seats, places).
    async fn capacity(&self) -> Option<i32> {
        self.0.draft.capacity
    }
    /// Free service tags (e.g. HOT_WATER, TEA, LOW_SALT_MEALS, HALAL), in the order given.
    async fn services(&self) -> &[String] {
        &self.0.draft.services
    }
    /// Canteen details; null unless the category is CANTEEN or none were given.
    async fn canteen(&self) -> Option<&CanteenDetails> {
        match self.0.draft.details.as_deref() {
            Some(FacilityDetails::Canteen(d)) => Some(d),
            _ => None,
        }
    }
    /// Elder-care details; null unless the category is ELDER_CARE or none were given.
    async fn elder_care(&self) -> Option<&ElderCareDetails> {
        match self.0.draft.details.as_deref() {
            Some(FacilityDetails::ElderCare(d)) => Some(d),
            _ => None,
        }
    }
    /// Rest-station details; null unless the category is REST_STATION or none were given.
    async fn rest_station(&self) -> Option<&RestStationDetails> {
        match self.0.draft.details.as_deref() {
            Some(FacilityDetails::RestStation(d)) => Some(d),
            _ => None,
        }
    }
    /// The area within `minutes` of travel. On the walking network (NETWORK, or AUTO where the
    /// facility is on it): the isochrone, the walked streets buffered by 40 m and unioned, its
    /// outline generalised by `generalizeMeters`, a Polygon or MultiPolygon, holes allowed. Otherwise a geodesic circle (64 vertices,
    /// counterclockwise) whose radius is what the straight-line model allows, as a Polygon.
    #[graphql(complexity = "cost::GEOMETRY + child_complexity")]
    async fn service_circle(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_MINUTES)", desc = "The travel budget in minutes, (0, 120].")]
        minutes: Option<f64>,
        #[graphql(desc = "How people travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.")]
        travel: Option<TravelInput>,
        #[graphql(
            default_with = "Some(Crs::default())",
            desc = "The coordinate system of the geometry; default WGS84."
        )]
        crs: Option<Crs>,
        #[graphql(
            default = 4.0,
            desc = "Tolerance of the isochrone outline's generalisation (Douglas-Peucker), metres, [0, 1000]."
        )]
        generalize_meters: Option<f64>,
    ) -> ApiResult<GeoJson> {
        let crs = crs.unwrap_or_default();
        let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
        let generalize_m = app::generalize_tolerance(generalize_meters)?;
        let travel = TravelInput::parse(travel, minutes)?;
        let (area, _) =
            app::service_area(&super::services(ctx)?, self.0.draft.location(), travel, generalize_m).await?;
        Ok(geojson::multi_polygon(&area, crs))
    }
    /// Optimistic concurrency: pass it back to `updateFacility` / `deleteFacility`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the facility was created; kept through updates and restores.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When this version was written (by a create, update, import or restore).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Name of the token that created it (null for facilities older than authorship records).
    /// Needs the admin role.
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        require(ctx, Role::Admin).await?;
        Ok(self.0.created_by.as_deref())
    }
    /// Name of the token that made this version. Needs the admin role.
    async fn updated_by(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        require(ctx, Role::Admin).await?;
        Ok(self.0.updated_by.as_deref())
    }
}

/// A facility found by a search, with how far it is.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct FacilityHit {
    /// The facility found.
    pub facility: Facility,
    /// Straight-line geodesic distance on the WGS-84 ellipsoid, in metres.
    pub distance_meters: f64,
    /// Travel time in minutes, by `model`.
    pub travel_minutes: f64,
    /// What produced `travelMinutes`.
    pub model: DistanceModel,
}

impl FacilityHit {
    /// Hits for facilities found at these distances, timed in a straight line by `travel`.
    fn straight_line(found: Vec<(Arc<domain::Facility>, f64)>, travel: &Travel) -> impl Iterator<Item = Self> + '_ {
        found.into_iter().map(|(facility, distance_m)| FacilityHit {
            facility: Facility(facility),
            distance_meters: distance_m,
            travel_minutes: travel.minutes_for(distance_m),
            model: DistanceModel::StraightLine,
        })
    }
}

/// Which facilities to include. Fields combine with AND; values in one list with OR, except
/// `services`, all of which a facility must offer. An empty list matches nothing (for
/// `services`: everything).
#[derive(InputObject, Clone, Debug, Default)]
pub struct FacilityFilter {
    /// Only facilities of one of these categories.
    pub categories: Option<Vec<FacilityCategory>>,
    /// Only facilities of one of these kinds.
    pub kinds: Option<Vec<FacilityKind>>,
    /// Tags a facility must all have.
    pub services: Option<Vec<String>>,
    /// Leading digits of the 12-digit community code (a county, street or community).
    pub community_code_prefix: Option<String>,
    /// Only facilities open at this instant (hours read in the service's time zone, Asia/Shanghai
    /// by default, with the holiday calendar); facilities with unknown hours are left out.
    pub open_at: Option<DateTime<Utc>>,
}

impl FacilityFilter {
    pub async fn parse(ctx: &Context<'_>, filter: Option<Self>) -> ApiResult<domain::FacilityFilter> {
        let Some(f) = filter else {
            return Ok(domain::FacilityFilter::default());
        };
        let open_at = match f.open_at {
            Some(at) => Some(hours::moment(ctx, Some(at)).await?),
            None => None,
        };
        Ok(domain::FacilityFilter {
            open_at,
            categories: f.categories,
            kinds: f.kinds,
            services: validate::service_tags(&f.services.unwrap_or_default())?,
            community_code_prefix: f
                .community_code_prefix
                .as_deref()
                .map(validate::community_code_prefix)
                .transpose()?,
        })
    }
}

/// Extra fields of a facility page.
pub struct FacilityTotals {
    filter: domain::FacilityFilter,
}

#[Object]
impl FacilityTotals {
    /// How many facilities match the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        let (store, _slot) = reading(ctx).await?;
        Ok(store.count_facilities(&self.filter).await?)
    }
}

/// A new facility. Only the details object of the kind's category may be given.
#[derive(InputObject)]
pub struct CreateFacilityInput {
    /// What the facility is; its category decides which details object may be given.
    pub kind: FacilityKind,
    /// Display name for maps and lists, 1 to 200 characters (trimmed).
    pub name: String,
    /// Where it is, in any supported coordinate system; stored as WGS-84.
    pub location: PointInput,
    /// Postal address, up to 500 characters.
    pub address: Option<String>,
    /// 12-digit statistical division code.
    pub community_code: Option<String>,
    /// OpenStreetMap `opening_hours` syntax.
    pub opening_hours: Option<String>,
    /// Contact telephone number, up to 40 characters: digits, spaces and + - ( ) #.
    pub phone: Option<String>,
    /// How many people it serves at once (seats, places); not negative.
    pub capacity: Option<i32>,
    /// Free tags; order kept, repeats dropped.
    pub services: Option<Vec<String>>,
    /// Details of a canteen (COMMUNITY_CANTEEN, MEAL_POINT, PARTNER_RESTAURANT).
    pub canteen: Option<CanteenDetailsInput>,
    /// Details of an elder-care facility (DAY_CARE_CENTER, SENIOR_ACTIVITY_CENTER,
    /// RURAL_HAPPINESS_HOME, NURSING_HOME, COMMUNITY_CARE_STATION).
    pub elder_care: Option<ElderCareDetailsInput>,
    /// Details of a rest station (OUTDOOR_WORKER_STATION, ENTERPRISE_CARE_POINT).
    pub rest_station: Option<RestStationDetailsInput>,
}

/// Changes to a facility: fields left out stay as they are, fields set to null are cleared.
/// A details object replaces the previous details as a whole.
#[derive(InputObject)]
pub struct UpdateFacilityInput {
    /// The new kind (null keeps the current one). A kind of another category drops the old
    /// category's details.
    pub kind: Option<FacilityKind>,
    /// The new name, 1 to 200 characters (null keeps the current one).
    pub name: Option<String>,
    /// The new position, in any supported coordinate system (null keeps the current one).
    pub location: Option<PointInput>,
    /// Postal address, up to 500 characters; null clears it.
    pub address: MaybeUndefined<String>,
    /// 12-digit statistical division code; null clears it.
    pub community_code: MaybeUndefined<String>,
    /// OpenStreetMap `opening_hours` syntax; null clears it (hours unknown).
    pub opening_hours: MaybeUndefined<String>,
    /// Contact telephone number, up to 40 characters: digits, spaces and + - ( ) #; null
    /// clears it.
    pub phone: MaybeUndefined<String>,
    /// How many people it serves at once, not negative; null clears it.
    pub capacity: MaybeUndefined<i32>,
    /// Replaces the whole tag list (order kept, repeats dropped; [] clears it); null keeps it.
    pub services: Option<Vec<String>>,
    /// Replaces the canteen details; null removes them. Only for a canteen kind.
    pub canteen: MaybeUndefined<CanteenDetailsInput>,
    /// Replaces the elder-care details; null removes them. Only for an elder-care kind.
    pub elder_care: MaybeUndefined<ElderCareDetailsInput>,
    /// Replaces the rest-station details; null removes them. Only for a rest-station kind.
    pub rest_station: MaybeUndefined<RestStationDetailsInput>,
}

fn patch<T, U: From<T>>(value: MaybeUndefined<T>) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.into())),
    }
}

impl CreateFacilityInput {
    pub(crate) fn into_fields(self) -> Result<FacilityFields, Invalid> {
        Ok(FacilityFields {
            kind: Some(self.kind),
            name: Some(self.name),
            location: Some(self.location.to_wgs84()?),
            address: Some(self.address),
            community_code: Some(self.community_code),
            opening_hours: Some(self.opening_hours),
            phone: Some(self.phone),
            capacity: Some(self.capacity),
            services: self.services,
            canteen: self.canteen.map(|d| Some(d.into())),
            elder_care: self.elder_care.map(|d| Some(d.into())),
            rest_station: self.rest_station.map(|d| Some(d.into())),
        })
    }
}

impl UpdateFacilityInput {
    pub(crate) fn into_fields(self) -> Result<FacilityFields, Invalid> {
        Ok(FacilityFields {
            kind: self.kind,
            name: self.name,
            location: self.location.map(PointInput::to_wgs84).transpose()?,
            address: patch(self.address),
            community_code: patch(self.community_code),
            opening_hours: patch(self.opening_hours),
            phone: patch(self.phone),
            capacity: patch(self.capacity),
            services: self.services,
            canteen: patch(self.canteen),
            elder_care: patch(self.elder_care),
            rest_station: patch(self.rest_station),
        })
    }
}

const DEFAULT_PAGE_SIZE: i32 = 20;
const MAX_PAGE_SIZE: i32 = 100;
const MAX_NEARBY_LIMIT: i32 = 500;
const DEFAULT_NEARBY_LIMIT: i32 = 20;
const MAX_NEARBY_RADIUS_M: f64 = 100_000.0;

#[derive(Default)]
pub struct FacilityQuery;

#[Object]
impl FacilityQuery {
    /// The facility with this id, or null if there is none.
    async fn facility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The facility's opaque id; a malformed id is BAD_USER_INPUT.")] id: ID,
    ) -> ApiResult<Option<Facility>> {
        let id = FacilityId::decode(&id)?;
        let (store, _slot) = reading(ctx).await?;
        Ok(store.facility(id).await?.map(Facility::from))
    }

    /// Facilities in id order, as a Relay connection.
    #[graphql(complexity = "1 + cost::list(first, DEFAULT_PAGE_SIZE, child_complexity)")]
    async fn facilities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facilities to list; default: all.")] filter: Option<FacilityFilter>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ApiResult<Connection<String, Facility, FacilityTotals>> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&first) {
            return Err(ApiError::BadUserInput(format!("first must be between 1 and {MAX_PAGE_SIZE}, got {first}")));
        }
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let (store, _slot) = reading(ctx).await?;
        let (rows, has_next) = store.facility_page(&filter, after, first as u64).await?;
        let mut connection = Connection::with_additional_fields(after.is_some(), has_next, FacilityTotals { filter });
        connection.edges.extend(rows.into_iter().map(|f| Edge::new(encode_cursor(f.id.0), Facility::from(f))));
        Ok(connection)
    }

    /// Every facility reachable within `minutes` of travel, by travel time, then id.
    #[graphql(complexity = "cost::SEARCH + cost::unbounded(child_complexity)")]
    async fn reachable_facilities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the trip starts, e.g. a resident's home.")] from: PointInput,
        #[graphql(default_with = "Some(DEFAULT_MINUTES)", desc = "The travel budget, (0, 120].")] minutes: Option<f64>,
        #[graphql(desc = "How people travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.")]
        travel: Option<TravelInput>,
        #[graphql(desc = "Which facilities to look for; default: all.")] filter: Option<FacilityFilter>,
    ) -> ApiResult<Hits> {
        let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
        let from = from.to_wgs84()?;
        let travel = TravelInput::parse(travel, minutes)?;
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let reached = crate::app::reach::reachable_facilities(&super::services(ctx)?, from, travel, &filter).await?;
        Ok(Hits(
            reached
                .into_iter()
                .map(|r| FacilityHit {
                    facility: Facility(r.facility),
                    distance_meters: r.distance_m,
                    travel_minutes: r.trip.minutes,
                    model: model_of(r.trip.by),
                })
                .collect(),
        ))
    }

    /// Facilities nearest to a point, by straight-line geodesic distance, then id. Without
    /// `radiusMeters`, the `limit` nearest anywhere.
    #[graphql(complexity = "cost::SEARCH + cost::list(limit, DEFAULT_NEARBY_LIMIT, child_complexity)")]
    async fn nearby_facilities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The point distances are measured from.")] near: PointInput,
        #[graphql(desc = "Search radius in metres, (0, 100000].")] radius_meters: Option<f64>,
        #[graphql(default = 20, desc = "How many hits at most, 1 to 500.")] limit: Option<i32>,
        #[graphql(desc = "Which facilities to look for; default: all.")] filter: Option<FacilityFilter>,
    ) -> ApiResult<Hits> {
        let center = near.to_wgs84()?;
        let limit = limit.unwrap_or(DEFAULT_NEARBY_LIMIT);
        if !(1..=MAX_NEARBY_LIMIT).contains(&limit) {
            return Err(ApiError::BadUserInput(format!("limit must be between 1 and {MAX_NEARBY_LIMIT}, got {limit}")));
        }
        if let Some(r) = radius_meters
            && !(r > 0.0 && r <= MAX_NEARBY_RADIUS_M)
        {
            return Err(ApiError::BadUserInput(format!("radiusMeters must be in (0, {MAX_NEARBY_RADIUS_M}], got {r}")));
        }
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let hits = store(ctx)?.nearest_facilities(center, radius_meters, limit as usize, &filter).await?;
        // Nearby hits are timed with the default travel settings, in a straight line.
        Ok(Hits(FacilityHit::straight_line(hits, &Travel::default_for(DEFAULT_MINUTES)?).collect()))
    }
}

#[derive(Default)]
pub struct FacilityMutation;

#[Object]
impl FacilityMutation {
    /// Adds a facility. Needs the editor role.
    async fn create_facility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new facility's fields.")] input: CreateFacilityInput,
    ) -> ApiResult<Facility> {
        let actor = require(ctx, Role::Editor).await?;
        let draft = input.into_fields()?.create()?;
        Ok(Facility::from(store(ctx)?.create_facility(draft, &actor.name).await?))
    }

    /// Changes the given fields if `version` is the current one (else CONFLICT). The previous
    /// state is kept in the facility's history. Needs the editor role.
    async fn update_facility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The facility to change.")] id: ID,
        #[graphql(desc = "Its `version` as last read; CONFLICT if it has changed since.")] version: i32,
        #[graphql(desc = "The fields to change; fields left out stay as they are.")] input: UpdateFacilityInput,
    ) -> ApiResult<Facility> {
        let actor = require(ctx, Role::Editor).await?;
        let id = FacilityId::decode(&id)?;
        let fields = input.into_fields()?;
        Ok(Facility::from(store(ctx)?.update_facility(id, version, fields, &actor.name).await?))
    }

    /// Deletes a facility if `version` is the current one (else CONFLICT). Its last state is
    /// kept in its history. Needs the editor role.
    async fn delete_facility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The facility to delete.")] id: ID,
        #[graphql(desc = "Its `version` as last read; CONFLICT if it has changed since.")] version: i32,
    ) -> ApiResult<bool> {
        let actor = require(ctx, Role::Editor).await?;
        let id = FacilityId::decode(&id)?;
        store(ctx)?.delete_facility(id, version, &actor.name).await?;
        Ok(true)
    }
}
