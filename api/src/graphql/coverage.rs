//! Planning queries: who is covered within the travel budget, where the gaps are, and where
//! new facilities would close them. All computation is in `geo`; this module gathers the
//! facilities and residential areas in scope and shapes the answers.

use super::facility::FacilityFilter;
use super::geojson::{self, GeoJson};
use super::geometry::{Crs, Point, PointInput};
use super::travel::{DistanceModel, TravelInput, TravelPlan, model_of};
use super::{MAX_COLLECTION_FACILITIES, cost, deadline, limits, reading, store, too_many};
use crate::domain::facility as domain_facility;
use crate::domain::residents::AreaEntry;
use crate::domain::travel::{DEFAULT_MINUTES, Travel};
use crate::domain::{Invalid, validate};
use crate::error::{ApiError, ApiResult};
use crate::geo::LonLat;
use crate::geo::coverage::{CoverageCounts, Demand, covered_flags, tally};
use crate::geo::deadline::Deadline;
use crate::geo::deadline::TimedOut;
use crate::geo::gaps::{enclosing_ring, single_linkage_clusters};
use crate::geo::isochrone::DEFAULT_GENERALIZE_M;
use crate::geo::sites::greedy_cover;
use crate::geo::sphere_index::SphereIndex;
use crate::geo::walk_times::{OffNetwork, Timed};
use crate::planning_pool::PlanningPool;
use crate::store::Areas;
use ::geo::{BoundingRect, Contains, Intersects, LineString, MultiPolygon, Polygon, Rect};
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
    fn budget_minutes(&self) -> f64 {
        self.minutes.unwrap_or(DEFAULT_MINUTES)
    }

    /// Vertices of the `within` polygon, for the cost of the question (0 for none or junk,
    /// which the resolver refuses).
    fn vertices(&self) -> usize {
        self.within.as_ref().map_or(0, |w| geojson::position_count(&w.0))
    }
}

/// One coverage question, evaluated: the areas in scope and whether each is covered.
pub struct Evaluation {
    plan: TravelPlan,
    facilities: Vec<LonLat>,
    areas: Vec<Arc<AreaEntry>>,
    demand: Vec<Demand>,
    covered: Vec<bool>,
    total: CoverageCounts,
    /// The longest trip the question times, minutes.
    horizon: f64,
    /// The request's computation deadline, checked inside every long loop.
    deadline: Deadline,
}

impl Evaluation {
    /// Gathers the question's areas, then the facilities and the walking network within reach
    /// of them for trips of up to `horizon` minutes (the budget, or longer for questions that
    /// report the nearest facility beyond it), then evaluates it on the planning pool.
    async fn run(ctx: &Context<'_>, input: CoverageInput, asked: Horizon) -> ApiResult<Self> {
        let travel = TravelInput::parse(input.travel, input.budget_minutes())?;
        let horizon = asked.minutes(travel);
        let deadline = deadline(ctx);
        let filter = FacilityFilter::parse(ctx, input.filter).await?;
        let prefix = input.community_code_prefix.as_deref().map(validate::community_code_prefix).transpose()?;
        let within = input.within.as_ref().map(|g| read_area(&g.0)).transpose()?;
        let scope = Scope { prefix, within };
        let areas = {
            let (store, _slot) = reading(ctx).await?;
            store.residential_areas().await?
        };
        let areas = planning(ctx)?.run(deadline, move || scope.areas(&areas, deadline)).await??;
        let places: Vec<LonLat> = areas.iter().map(|a| a.draft.location).collect();
        let plan = TravelPlan::new(ctx, travel, &places, horizon).await?;
        // Straight lines need no network in memory: their nearest facility is found at any
        // distance, among all of them.
        let any_distance = matches!(asked, Horizon::Nearest) && !plan.uses_network();
        let horizon = if any_distance { f64::INFINITY } else { horizon };
        let facilities: Vec<LonLat> = {
            let (store, _slot) = reading(ctx).await?;
            match plan.facility_bounds(&places, horizon) {
                _ if any_distance => store.facility_locations(&filter).await?,
                Some(bounds) => store.facility_locations_within(&filter, bounds).await?,
                None => Vec::new(),
            }
        };
        planning(ctx)?.run(deadline, move || Self::evaluate(plan, facilities, areas, horizon, deadline)).await?
    }

    fn evaluate(
        plan: TravelPlan,
        facilities: Vec<LonLat>,
        areas: Vec<Arc<AreaEntry>>,
        horizon: f64,
        deadline: Deadline,
    ) -> ApiResult<Self> {
        let demand: Vec<Demand> = areas
            .iter()
            .map(|a| Demand {
                location: a.draft.location,
                population: i64::from(a.draft.population),
                elderly: i64::from(a.draft.elderly_population),
            })
            .collect();
        let walker = plan.walker();
        let covered = match walker.network {
            None => covered_flags(&SphereIndex::new(facilities.clone()), &demand, plan.travel.reach_m()),
            Some(_) => {
                let points: Vec<LonLat> = demand.iter().map(|d| d.location).collect();
                walker
                    .nearest_times(&facilities, &points, plan.travel.minutes, &deadline)?
                    .iter()
                    .map(Option::is_some)
                    .collect()
            }
        };
        deadline.check()?;
        let (total, _) = tally(&demand, &covered, |_| ());
        Ok(Self { plan, facilities, areas, demand, covered, total, horizon, deadline })
    }

    /// Each area's time to its nearest counted facility, up to the horizon.
    fn nearest(&self) -> Result<Vec<Option<Timed>>, TimedOut> {
        let points: Vec<LonLat> = self.demand.iter().map(|d| d.location).collect();
        self.plan.walker().nearest_times(&self.facilities, &points, self.horizon, &self.deadline)
    }

    fn uncovered(&self) -> Vec<usize> {
        (0..self.areas.len()).filter(|&i| !self.covered[i]).collect()
    }
}

/// Which residential areas a question is about.
struct Scope {
    prefix: Option<String>,
    within: Option<Within>,
}

impl Scope {
    /// The areas that may be in scope, from the indexes (a district's areas, not the
    /// province's), in id order.
    fn candidates<'a>(&self, areas: &'a Areas) -> Vec<&'a Arc<AreaEntry>> {
        match (&self.prefix, self.within.as_ref().map(|w| w.bounds)) {
            (Some(prefix), _) => areas.with_code_prefix(prefix),
            (None, Some(Some(b))) => {
                areas.in_bounds(LonLat { lon: b.min().x, lat: b.min().y }, LonLat { lon: b.max().x, lat: b.max().y })
            }
            (None, Some(None)) => Vec::new(),
            (None, None) => areas.all().iter().collect(),
        }
    }

    /// The areas in scope, in id order.
    fn areas(&self, areas: &Areas, deadline: Deadline) -> ApiResult<Vec<Arc<AreaEntry>>> {
        let mut in_scope = Vec::new();
        for (i, area) in self.candidates(areas).into_iter().enumerate() {
            if i % 256 == 0 {
                deadline.check()?;
            }
            if self.holds(area) {
                in_scope.push(Arc::clone(area));
            }
        }
        Ok(in_scope)
    }

    fn holds(&self, area: &AreaEntry) -> bool {
        let code = area.draft.community_code.as_ref();
        self.prefix.as_ref().is_none_or(|p| code.is_some_and(|c| c.starts_with(p.as_str())))
            && self.within.as_ref().is_none_or(|w| w.contains(area.draft.location))
    }
}

/// A `within` polygon with its bounding box, so that most areas outside it cost one
/// comparison instead of a walk around every vertex.
struct Within {
    area: MultiPolygon<f64>,
    bounds: Option<Rect<f64>>,
}

impl Within {
    fn contains(&self, p: LonLat) -> bool {
        let point = ::geo::Point::new(p.lon, p.lat);
        self.bounds.is_some_and(|b| b.intersects(&point)) && self.area.contains(&point)
    }
}

/// The planning pool of this schema (`build_schema` always gives one), for this request's
/// client.
pub(super) fn planning(ctx: &Context<'_>) -> ApiResult<Planner> {
    let pool = ctx.data::<PlanningPool>().map_err(|e| ApiError::internal(&e.message))?.clone();
    let client = ctx.data_opt::<super::RequestClient>();
    Ok(Planner { pool, client: client.and_then(|c| c.address), spent: client.map(|c| Arc::clone(&c.planning)) })
}

pub(super) struct Planner {
    pool: PlanningPool,
    client: Option<std::net::IpAddr>,
    spent: Option<Arc<super::PlanningTime>>,
}

impl Planner {
    pub(super) async fn run<T: Send + 'static>(
        self,
        deadline: Deadline,
        work: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> Result<ApiResult<T>, crate::planning_pool::PlanningError> {
        let note = |waited, computed| {
            if let Some(spent) = &self.spent {
                spent.add(waited, computed);
            }
        };
        self.pool.run_timed(self.client, deadline, work, &note).await
    }
}

fn read_area(value: &serde_json::Value) -> Result<Within, Invalid> {
    let ring = |r: &Vec<LonLat>| LineString::from(r.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>());
    let area = MultiPolygon::new(
        geojson::read_polygons(value)?
            .iter()
            .map(|rings| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    );
    Ok(Within { bounds: area.bounding_rect(), area })
}

fn int(n: i64) -> i32 {
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
        int(self.0.total.areas)
    }
    /// Residential areas in scope that are covered.
    async fn covered_residential_areas(&self) -> i32 {
        int(self.0.total.covered_areas)
    }
    /// Residents of the areas in scope.
    async fn population(&self) -> i32 {
        int(self.0.total.population)
    }
    /// Residents of the covered areas.
    async fn covered_population(&self) -> i32 {
        int(self.0.total.covered_population)
    }
    /// Residents aged 60 or more.
    async fn elderly_population(&self) -> i32 {
        int(self.0.total.elderly)
    }
    /// Residents aged 60 or more of the covered areas.
    async fn covered_elderly_population(&self) -> i32 {
        int(self.0.total.covered_elderly)
    }
    /// coveredElderlyPopulation / elderlyPopulation; 1.0 when there are no elderly.
    async fn elderly_coverage_ratio(&self) -> f64 {
        self.0.total.elderly_ratio()
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
        let e = &self.0;
        let (_, groups) = tally(&e.demand, &e.covered, |i| {
            // `None` sorts first in Rust; wrap so areas without a code come last.
            match &e.areas[i].draft.community_code {
                Some(code) => (0, Some(code[..code_length as usize].to_owned())),
                None => (1, None),
            }
        });
        Ok(groups.into_iter().map(|((_, code), c)| CommunityCoverage::new(code, c)).collect())
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
pub struct SuggestedSite {
    location: LonLat,
    candidate_index: usize,
    newly_covered_elderly: i64,
    cumulative_ratio: f64,
}

/// A proposed site for a new facility, in the order the greedy choice picked it.
#[Object]
impl SuggestedSite {
    /// Where to put it, in the requested coordinate system.
    async fn location(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the point; default WGS84.")]
        crs: Option<Crs>,
    ) -> Point {
        Point::from_wgs84(self.location, crs.unwrap_or_default())
    }
    /// Index of the chosen candidate in `candidates` (or among the uncovered areas, by id).
    async fn candidate_index(&self) -> i32 {
        int(self.candidate_index as i64)
    }
    /// Elderly residents it covers that nothing covered before.
    async fn newly_covered_elderly(&self) -> i32 {
        int(self.newly_covered_elderly)
    }
    /// The elderly coverage ratio with this site and the ones before it.
    async fn cumulative_elderly_coverage_ratio(&self) -> f64 {
        self.cumulative_ratio
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

/// How long the trips a coverage question times can be.
#[derive(Clone, Copy)]
enum Horizon {
    /// The travel budget: whether each area is covered.
    Budget,
    /// Up to `NEAREST_HORIZON_MINUTES` (or the budget if longer): the time to the nearest
    /// facility, reported for uncovered areas too.
    Nearest,
}

/// How far beyond the budget the nearest facility is looked for on the walking network: an
/// hour's walk (straight-line questions look at any distance).
pub const NEAREST_HORIZON_MINUTES: f64 = 60.0;

impl Horizon {
    fn minutes(self, travel: Travel) -> f64 {
        match self {
            Horizon::Budget => travel.minutes,
            Horizon::Nearest => travel.minutes.max(NEAREST_HORIZON_MINUTES),
        }
    }
}

/// Margin of the polygon around a gap's areas.
const GAP_MARGIN_M: f64 = 50.0;

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
        Ok(CoverageReport(Arc::new(Evaluation::run(ctx, input, Horizon::Budget).await?)))
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
        let e = Evaluation::run(ctx, input, Horizon::Nearest).await?;
        let deadline = e.deadline;
        planning(ctx)?.run(deadline, move || gaps(&e, crs)).await?
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
        let e = Evaluation::run(ctx, input.coverage, Horizon::Budget).await?;
        let count = input.count as usize;
        planning(ctx)?.run(e.deadline, move || suggest(&e, given, count)).await?
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
        let e = Evaluation::run(ctx, input, Horizon::Nearest).await?;
        planning(ctx)?.run(e.deadline, move || area_features(&e, crs)).await?
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
        let generalize_m = checked_generalize_meters(generalize_meters)?;
        let travel = TravelInput::parse(travel, minutes)?;
        let filter: domain_facility::FacilityFilter = FacilityFilter::parse(ctx, filter).await?;
        let facilities = store(ctx)?.facilities_matching(&filter, MAX_COLLECTION_FACILITIES).await?;
        let facilities = facilities.map_err(too_many)?;
        let places: Vec<LonLat> = facilities.iter().map(|f| f.draft.location()).collect();
        let plan = TravelPlan::new(ctx, travel, &places, minutes).await?;
        let deadline = deadline(ctx);
        planning(ctx)?.run(deadline, move || circle_features(&plan, &facilities, crs, generalize_m, deadline)).await?
    }
}

/// The uncovered areas of `e`, clustered, largest elderly population first.
fn gaps(e: &Evaluation, crs: Crs) -> ApiResult<Vec<CoverageGap>> {
    let uncovered = e.uncovered();
    let points: Vec<LonLat> = uncovered.iter().map(|&i| e.areas[i].draft.location).collect();
    let clusters = single_linkage_clusters(&points, e.plan.travel.reach_m(), &e.deadline)?;
    let nearest = if clusters.is_empty() { Vec::new() } else { e.nearest()? };
    let mut gaps: Vec<(i64, i64, CoverageGap)> = clusters
        .into_iter()
        .map(|members| {
            let indices: Vec<usize> = members.iter().map(|&m| uncovered[m]).collect();
            let areas: Vec<&AreaEntry> = indices.iter().map(|&i| &*e.areas[i]).collect();
            let elderly: i64 = areas.iter().map(|a| i64::from(a.draft.elderly_population)).sum();
            let population: i64 = areas.iter().map(|a| i64::from(a.draft.population)).sum();
            let locations: Vec<LonLat> = areas.iter().map(|a| a.draft.location).collect();
            let nearest = indices.iter().filter_map(|&i| nearest[i]).map(|t| t.minutes).min_by(f64::total_cmp);
            let first_id = areas.iter().map(|a| a.id.0).min().unwrap_or_default();
            let gap = CoverageGap {
                residential_area_ids: areas.iter().map(|a| ID(a.id.encode())).collect(),
                elderly_population: int(elderly),
                population: int(population),
                area: geojson::polygon(&enclosing_ring(&locations, GAP_MARGIN_M), crs),
                nearest_travel_minutes: nearest,
            };
            (elderly, first_id, gap)
        })
        .collect();
    gaps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(gaps.into_iter().map(|(_, _, g)| g).collect())
}

/// Up to `count` sites among `given` candidates (or the uncovered areas of `e`).
fn suggest(e: &Evaluation, given: Option<Vec<LonLat>>, count: usize) -> ApiResult<SiteSuggestion> {
    let uncovered = e.uncovered();
    let demand: Vec<LonLat> = uncovered.iter().map(|&i| e.demand[i].location).collect();
    let weights: Vec<i64> = uncovered.iter().map(|&i| e.demand[i].elderly).collect();
    let candidates = given.unwrap_or_else(|| demand.clone());
    let reach_sets = e.plan.walker().reach_sets(&candidates, &demand, e.plan.travel.minutes, &e.deadline)?;
    let chosen = greedy_cover(reach_sets, &weights, count, &e.deadline)?;
    let before = e.total.elderly_ratio();
    let mut covered = e.total.covered_elderly;
    let ratio = |covered_elderly: i64| CoverageCounts { covered_elderly, ..e.total }.elderly_ratio();
    let sites: Vec<SuggestedSite> = chosen
        .into_iter()
        .map(|c| {
            covered += c.gain;
            SuggestedSite {
                location: candidates[c.candidate],
                candidate_index: c.candidate,
                newly_covered_elderly: c.gain,
                cumulative_ratio: ratio(covered),
            }
        })
        .collect();
    Ok(SiteSuggestion { sites, elderly_coverage_ratio_before: before, elderly_coverage_ratio_after: ratio(covered) })
}

/// Every area of `e` as a Point feature with its coverage.
fn area_features(e: &Evaluation, crs: Crs) -> ApiResult<GeoJson> {
    let nearest = e.nearest()?;
    let features = e
        .areas
        .iter()
        .zip(&e.covered)
        .enumerate()
        .map(|(i, (a, &covered))| {
            let nearest = nearest[i];
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
    Ok(geojson::feature_collection(features))
}

/// The service area of each facility as a feature.
fn circle_features(
    plan: &TravelPlan,
    facilities: &[Arc<domain_facility::Facility>],
    crs: Crs,
    generalize_m: f64,
    deadline: Deadline,
) -> ApiResult<GeoJson> {
    let features = facilities
        .iter()
        .map(|f| {
            deadline.check()?;
            // Under NETWORK a facility off the network reaches nothing: a feature without
            // geometry (and without a model), not a failed collection.
            let (geometry, model) =
                match plan.walker().service_area(f.draft.location(), plan.travel.minutes, generalize_m) {
                    Ok((area, by)) => (geojson::multi_polygon(&area, crs).0, Some(model_of(by).code())),
                    Err(OffNetwork) => (serde_json::Value::Null, None),
                };
            Ok(geojson::feature(
                geometry,
                json!({
                    "id": f.id.encode(),
                    "name": f.draft.name,
                    "kind": f.draft.kind.code(),
                    "category": f.draft.kind.category(),
                    "model": model,
                    "minutes": plan.travel.minutes,
                }),
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(geojson::feature_collection(features))
}

/// The area `plan` reaches from `center`, and the model that drew it.
pub fn service_area(
    plan: &TravelPlan,
    center: LonLat,
    generalize_m: f64,
) -> ApiResult<(MultiPolygon<f64>, DistanceModel)> {
    let (area, by) =
        plan.walker().service_area(center, plan.travel.minutes, generalize_m).map_err(|e| plan.off_network(e))?;
    Ok((area, model_of(by)))
}

/// The most an isochrone's outline may be generalised, metres.
const MAX_GENERALIZE_M: f64 = 1_000.0;

/// The checked `generalizeMeters` argument (Douglas-Peucker tolerance of isochrone outlines).
pub fn checked_generalize_meters(given: Option<f64>) -> ApiResult<f64> {
    let m = given.unwrap_or(DEFAULT_GENERALIZE_M);
    if !(0.0..=MAX_GENERALIZE_M).contains(&m) {
        return Err(ApiError::BadUserInput(format!("generalizeMeters must be in [0, {MAX_GENERALIZE_M}], got {m}")));
    }
    Ok(m)
}
