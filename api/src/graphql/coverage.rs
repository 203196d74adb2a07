//! Planning queries: coverage, gaps, site suggestions, coverage by area and service circles.
//! Resolvers parse their input into an `app::coverage` question, ask it, and shape the
//! answer (GraphQL objects or GeoJSON in the requested coordinate system).

use super::facility::FacilityFilter;
use super::geojson::{self, GeoJson};
use super::geometry::{Crs, Point, PointInput};
use super::travel::{TravelInput, model_of};
use super::{MAX_COLLECTION_FACILITIES, cost, limits, services, store, too_many};
use crate::app::coverage::{self as app, AreaCoverage, Circle, CoverageQuestion, Evaluation, Gap, Scope, Site, Within};
use crate::domain::travel::DEFAULT_MINUTES;
use crate::domain::{Invalid, validate};
use crate::error::{ApiError, ApiResult};
use crate::geo::LonLat;
use crate::geo::coverage::CoverageCounts;
use ::geo::{LineString, MultiPolygon, Polygon};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use serde_json::json;
use std::sync::Arc;

/// Which demand and which facilities a coverage question is about.
#[derive(InputObject, Clone)]
pub struct CoverageInput {
    /// Which facilities count as service.
    pub filter: Option<FacilityFilter>,
    /// The travel budget in minutes, (0, 120].
    #[graphql(default_with = "Some(DEFAULT_MINUTES)")]
    pub minutes: Option<f64>,
    /// How residents travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.
    pub travel: Option<TravelInput>,
    /// Restricts demand to the residential areas of a division (leading digits of the code).
    pub community_code_prefix: Option<String>,
    /// Restricts demand to the residential areas inside a WGS-84 Polygon or MultiPolygon.
    pub within: Option<GeoJson>,
}

/// Digits of a whole community code: groups by community.
const FULL_CODE_LENGTH: i32 = 12;

impl CoverageInput {
    /// The travel budget; an explicit null means the default, as an omitted field does.
    pub(super) fn budget_minutes(&self) -> f64 {
        self.minutes.unwrap_or(DEFAULT_MINUTES)
    }

    /// Vertices of the `within` polygon, for the cost of the question (0 for none or junk,
    /// which the resolver refuses).
    pub(super) fn vertices(&self) -> usize {
        self.within.as_ref().map_or(0, |w| geojson::position_count(&w.0))
    }
}

impl CoverageInput {
    /// The question this input asks.
    pub(super) async fn question(self, ctx: &Context<'_>) -> ApiResult<CoverageQuestion> {
        let travel = TravelInput::parse(self.travel, self.budget_minutes())?;
        let filter = FacilityFilter::parse(ctx, self.filter).await?;
        let prefix = self.community_code_prefix.as_deref().map(validate::community_code_prefix).transpose()?;
        let within = self.within.as_ref().map(|g| read_area(&g.0)).transpose()?;
        Ok(CoverageQuestion { filter, travel, scope: Scope { prefix, within } })
    }
}

/// A `within` polygon (GeoJSON Polygon or MultiPolygon).
pub(super) fn read_area(value: &serde_json::Value) -> Result<Within, Invalid> {
    let ring = |r: &Vec<LonLat>| LineString::from(r.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>());
    Ok(Within::new(MultiPolygon::new(
        geojson::read_polygons(value)?
            .iter()
            .map(|rings| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    )))
}

pub(super) fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Coverage of residential areas (and of their population and elderly) within the budget.
pub struct CoverageReport(Arc<Evaluation>);

/// How much of the demand in scope can reach a counted facility within the budget: a
/// residential area is covered when its travel time to the nearest counted facility is at
/// most `minutes`, and its residents count as covered with it.
#[Object]
impl CoverageReport {
    /// Residential areas in scope (by `communityCodePrefix` and `within`).
    async fn residential_areas(&self) -> i32 {
        int(self.0.total().areas)
    }
    /// Residential areas in scope that are covered.
    async fn covered_residential_areas(&self) -> i32 {
        int(self.0.total().covered_areas)
    }
    /// Residents of the areas in scope.
    async fn population(&self) -> i32 {
        int(self.0.total().population)
    }
    /// Residents of the covered areas.
    async fn covered_population(&self) -> i32 {
        int(self.0.total().covered_population)
    }
    /// Residents aged 60 or more.
    async fn elderly_population(&self) -> i32 {
        int(self.0.total().elderly)
    }
    /// Residents aged 60 or more of the covered areas.
    async fn covered_elderly_population(&self) -> i32 {
        int(self.0.total().covered_elderly)
    }
    /// coveredElderlyPopulation / elderlyPopulation; 1.0 when there are no elderly.
    async fn elderly_coverage_ratio(&self) -> f64 {
        self.0.total().elderly_ratio()
    }
    /// The same figures per division, sorted by code (areas without a code last). Groups by
    /// the first `codeLength` digits of the 12-digit code: 12 communities (the default), 9
    /// streets and towns, 6 counties.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn by_community(
        &self,
        #[graphql(default_with = "Some(FULL_CODE_LENGTH)", desc = "Digits of the code to group by, 1 to 12.")]
        code_length: Option<i32>,
    ) -> ApiResult<Vec<CommunityCoverage>> {
        let code_length = code_length.unwrap_or(FULL_CODE_LENGTH);
        if !(1..=FULL_CODE_LENGTH).contains(&code_length) {
            return Err(ApiError::BadUserInput(format!("codeLength must be 1 to 12, got {code_length}")));
        }
        let divisions = self.0.by_division(code_length as usize);
        Ok(divisions.into_iter().map(|(code, counts)| CommunityCoverage::new(code, counts)).collect())
    }
}

/// Coverage of one division.
#[derive(SimpleObject)]
pub struct CommunityCoverage {
    /// The division's code (or its leading digits); null for areas without a code.
    pub community_code: Option<String>,
    /// Residential areas in scope in this division.
    pub residential_areas: i32,
    /// Those of them that are covered.
    pub covered_residential_areas: i32,
    /// Residents of the division's areas in scope.
    pub population: i32,
    /// Residents of its covered areas.
    pub covered_population: i32,
    /// Residents aged 60 or more.
    pub elderly_population: i32,
    /// Residents aged 60 or more of its covered areas.
    pub covered_elderly_population: i32,
    /// coveredElderlyPopulation / elderlyPopulation; 1.0 when the division has no elderly.
    pub elderly_coverage_ratio: f64,
}

impl CommunityCoverage {
    fn new(community_code: Option<String>, c: CoverageCounts) -> Self {
        Self {
            community_code,
            residential_areas: int(c.areas),
            covered_residential_areas: int(c.covered_areas),
            population: int(c.population),
            covered_population: int(c.covered_population),
            elderly_population: int(c.elderly),
            covered_elderly_population: int(c.covered_elderly),
            elderly_coverage_ratio: c.elderly_ratio(),
        }
    }
}

/// Uncovered residential areas that lie together: single linkage, two areas joining when
/// they are within the budget's straight-line reach of each other.
#[derive(SimpleObject)]
pub struct CoverageGap {
    /// The uncovered residential areas of the gap.
    pub residential_area_ids: Vec<ID>,
    /// Residents aged 60 or more of the gap's areas; gaps come largest first by it.
    pub elderly_population: i32,
    /// Residents of the gap's areas.
    pub population: i32,
    /// A polygon containing every area of the gap (the convex hull of 50 m circles around them).
    pub area: GeoJson,
    /// The least, over the gap's areas, of the travel minutes to the nearest counted facility;
    /// null when none is reachable (on the walking network: within an hour's walk, or the
    /// budget if longer).
    pub nearest_travel_minutes: Option<f64>,
}

/// A proposed new facility.
pub struct SuggestedSite(Site);

/// A proposed site for a new facility, in the order the greedy choice picked it.
#[Object]
impl SuggestedSite {
    /// Where to put it, in the requested coordinate system.
    async fn location(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the point; default WGS84.")]
        crs: Option<Crs>,
    ) -> Point {
        Point::from_wgs84(self.0.location, crs.unwrap_or_default())
    }
    /// Index of the chosen candidate in `candidates` (or among the uncovered areas, by id).
    async fn candidate_index(&self) -> i32 {
        int(self.0.candidate_index as i64)
    }
    /// Elderly residents it covers that nothing covered before.
    async fn newly_covered_elderly(&self) -> i32 {
        int(self.0.newly_covered_elderly)
    }
    /// The elderly coverage ratio with this site and the ones before it.
    async fn cumulative_elderly_coverage_ratio(&self) -> f64 {
        self.0.cumulative_elderly_ratio
    }
}

/// New sites chosen greedily for the most newly covered elderly residents.
#[derive(SimpleObject)]
pub struct SiteSuggestion {
    /// The sites in the order chosen; fewer than `count` when no candidate would cover
    /// anyone new.
    pub sites: Vec<SuggestedSite>,
    /// The elderly coverage ratio with the existing facilities only.
    pub elderly_coverage_ratio_before: f64,
    /// The elderly coverage ratio with every suggested site added.
    pub elderly_coverage_ratio_after: f64,
}

/// Where to look for new sites.
#[derive(InputObject)]
pub struct SiteSuggestionInput {
    /// The coverage question to improve: the demand, the facilities that count and the budget.
    pub coverage: CoverageInput,
    /// How many sites, 1 to 50.
    pub count: i32,
    /// Candidate positions; default: the uncovered residential areas in scope, by id.
    pub candidates: Option<Vec<PointInput>>,
}

#[derive(Default)]
pub struct CoverageQuery;

#[Object]
impl CoverageQuery {
    /// What share of residential areas, residents and elderly residents can reach a counted
    /// facility within the budget.
    #[graphql(complexity = "cost::planning(input.vertices(), child_complexity)")]
    async fn coverage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The demand, the facilities that count and the travel budget.")] input: CoverageInput,
    ) -> ApiResult<CoverageReport> {
        let question = input.question(ctx).await?;
        Ok(CoverageReport(Arc::new(app::coverage(&services(ctx)?, question).await?)))
    }

    /// Uncovered residential areas, clustered, largest elderly population first.
    #[graphql(complexity = "cost::planning(input.vertices(), cost::unbounded(child_complexity))")]
    async fn coverage_gaps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The demand, the facilities that count and the travel budget.")] input: CoverageInput,
        #[graphql(
            default_with = "Some(Crs::default())",
            desc = "The coordinate system of the gap polygons; default WGS84."
        )]
        crs: Option<Crs>,
    ) -> ApiResult<Vec<CoverageGap>> {
        let crs = crs.unwrap_or_default();
        let question = input.question(ctx).await?;
        let gaps = app::gaps(&services(ctx)?, question).await?;
        Ok(gaps.into_iter().map(|g| CoverageGap::new(g, crs)).collect())
    }

    /// Greedy maximal coverage: up to `count` new sites, each newly covering the most elderly
    /// residents (ties: lowest candidate index); existing facilities stay.
    #[graphql(
        complexity = "cost::suggestions(input.candidates.as_ref().map(Vec::len), input.coverage.budget_minutes(), \
                            input.count, input.coverage.vertices(), child_complexity)"
    )]
    async fn suggest_sites(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The coverage question, how many sites and where they may go.")] input: SiteSuggestionInput,
    ) -> ApiResult<SiteSuggestion> {
        if !(1..=50).contains(&input.count) {
            return Err(ApiError::BadUserInput(format!("count must be 1 to 50, got {}", input.count)));
        }
        let most = limits(ctx).candidates;
        if input.candidates.as_ref().is_some_and(|c| c.len() > most) {
            return Err(ApiError::BadUserInput(format!("at most {most} candidates")));
        }
        let given: Option<Vec<LonLat>> =
            input.candidates.map(|c| c.into_iter().map(PointInput::to_wgs84).collect::<Result<_, _>>()).transpose()?;
        let question = input.coverage.question(ctx).await?;
        let choice = app::suggest_sites(&services(ctx)?, question, given, input.count as usize).await?;
        Ok(SiteSuggestion {
            sites: choice.sites.into_iter().map(SuggestedSite).collect(),
            elderly_coverage_ratio_before: choice.elderly_ratio_before,
            elderly_coverage_ratio_after: choice.elderly_ratio_after,
        })
    }

    /// Every residential area in scope as a GeoJSON Point feature with `covered` and
    /// `travelMinutes` (to the nearest counted facility; on the walking network, within an
    /// hour's walk or the budget if longer), for colouring a map.
    #[graphql(complexity = "cost::COLLECTION + cost::planning(input.vertices(), child_complexity)")]
    async fn residential_area_coverage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The demand, the facilities that count and the travel budget.")] input: CoverageInput,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the points; default WGS84.")]
        crs: Option<Crs>,
    ) -> ApiResult<GeoJson> {
        let crs = crs.unwrap_or_default();
        let question = input.question(ctx).await?;
        let areas = app::area_coverage(&services(ctx)?, question).await?;
        Ok(area_features(&areas, crs.into()))
    }

    /// The service circle of every facility passing `filter`, as a GeoJSON FeatureCollection.
    #[graphql(complexity = "cost::COLLECTION + cost::PLANNING + child_complexity")]
    async fn service_circles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facilities to draw; default: all (at most 50,000 may match).")] filter: Option<
            FacilityFilter,
        >,
        #[graphql(default_with = "Some(DEFAULT_MINUTES)", desc = "The travel budget in minutes, (0, 120].")]
        minutes: Option<f64>,
        #[graphql(desc = "How people travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.")]
        travel: Option<TravelInput>,
        #[graphql(
            default_with = "Some(Crs::default())",
            desc = "The coordinate system of the geometries; default WGS84."
        )]
        crs: Option<Crs>,
        #[graphql(
            default = 4.0,
            desc = "Tolerance of the isochrone outlines' generalisation (Douglas-Peucker), metres, [0, 1000]."
        )]
        generalize_meters: Option<f64>,
    ) -> ApiResult<GeoJson> {
        let crs = crs.unwrap_or_default();
        let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
        let generalize_m = app::generalize_tolerance(generalize_meters)?;
        let travel = TravelInput::parse(travel, minutes)?;
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let facilities = store(ctx)?.facilities_matching(&filter, MAX_COLLECTION_FACILITIES).await?;
        let facilities = facilities.map_err(too_many)?;
        let circles = app::service_circles(&services(ctx)?, facilities, travel, generalize_m).await?;
        Ok(circle_features(&circles, minutes, crs))
    }
}

impl CoverageGap {
    fn new(gap: Gap, crs: Crs) -> Self {
        Self {
            residential_area_ids: gap.areas.iter().map(|a| ID(a.id.encode())).collect(),
            elderly_population: int(gap.elderly),
            population: int(gap.population),
            area: geojson::polygon(&gap.outline, crs),
            nearest_travel_minutes: gap.nearest_minutes,
        }
    }
}

/// Every area as a Point feature with its coverage (as `residentialAreaCoverage` and the
/// CLI's `export coverage` give them).
pub fn area_features(areas: &[AreaCoverage], crs: crate::geo::Crs) -> GeoJson {
    let crs = Crs::from(crs);
    let features = areas
        .iter()
        .map(|AreaCoverage { area: a, covered, nearest }| {
            geojson::feature(
                geojson::point(a.draft.location, crs),
                json!({
                    "id": a.id.encode(),
                    "name": a.draft.name,
                    "population": a.draft.population,
                    "elderlyPopulation": a.draft.elderly_population,
                    "communityCode": a.draft.community_code,
                    "covered": covered,
                    "travelMinutes": nearest.map(|t| t.minutes),
                    "model": nearest.map(|t| model_of(t.by).code()),
                }),
            )
        })
        .collect();
    geojson::feature_collection(features)
}

/// The service area of each facility as a feature; under NETWORK a facility off the network
/// reaches nothing: a feature without geometry (and without a model), not a failed collection.
fn circle_features(circles: &[Circle], minutes: f64, crs: Crs) -> GeoJson {
    let features = circles
        .iter()
        .map(|Circle { facility: f, area }| {
            let (geometry, model) = match area {
                Some((outline, by)) => (geojson::multi_polygon(outline, crs).0, Some(model_of(*by).code())),
                None => (serde_json::Value::Null, None),
            };
            geojson::feature(
                geometry,
                json!({
                    "id": f.id.encode(),
                    "name": f.draft.name,
                    "kind": f.draft.kind.code(),
                    "category": f.draft.kind.category(),
                    "model": model,
                    "minutes": minutes,
                }),
            )
        })
        .collect();
    geojson::feature_collection(features)
}
