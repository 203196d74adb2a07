//! Planning use cases: who is covered within the travel budget, where the gaps are, where new
//! facilities would close them, and the service circle of each facility. This module gathers
//! the facilities and residential areas in scope and runs `geo`'s computations on the planning
//! pool; callers turn the plain answers into GraphQL objects, GeoJSON or files.

use super::Services;
use super::travel::TravelPlan;
use crate::domain::Invalid;
use crate::domain::facility::{Facility, FacilityFilter};
use crate::domain::residents::AreaEntry;
use crate::domain::travel::Travel;
use crate::error::ApiResult;
use crate::geo::LonLat;
use crate::geo::coverage::{CoverageCounts, Demand, covered_flags, tally};
use crate::geo::deadline::{Deadline, TimedOut};
use crate::geo::gaps::{enclosing_ring, single_linkage_clusters};
use crate::geo::isochrone::DEFAULT_GENERALIZE_M;
use crate::geo::sites::greedy_cover;
use crate::geo::sphere_index::SphereIndex;
use crate::geo::walk_times::{By, Timed};
use crate::store::Areas;
use ::geo::{BoundingRect, Contains, Intersects, MultiPolygon, Rect};
use std::sync::Arc;

/// Which demand and which facilities a coverage question is about, and the travel budget.
pub struct CoverageQuestion {
    /// Which facilities count as service.
    pub filter: FacilityFilter,
    pub travel: Travel,
    pub scope: Scope,
}

/// Which residential areas a question is about: all of them unless narrowed.
#[derive(Clone, Default)]
pub struct Scope {
    /// Leading digits of the areas' community code (already checked).
    pub prefix: Option<String>,
    pub within: Option<Within>,
}

/// A polygon demand is restricted to, with its bounding box, so that most areas outside it
/// cost one comparison instead of a walk around every vertex.
#[derive(Clone)]
pub struct Within {
    area: MultiPolygon<f64>,
    bounds: Option<Rect<f64>>,
}

impl Within {
    /// `area` in WGS-84 longitude/latitude.
    pub fn new(area: MultiPolygon<f64>) -> Self {
        Self { bounds: area.bounding_rect(), area }
    }

    /// The polygon, WGS-84 longitude/latitude.
    pub fn area(&self) -> &MultiPolygon<f64> {
        &self.area
    }

    fn contains(&self, p: LonLat) -> bool {
        let point = ::geo::Point::new(p.lon, p.lat);
        self.bounds.is_some_and(|b| b.intersects(&point)) && self.area.contains(&point)
    }
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
    fn areas(&self, areas: &Areas, deadline: Deadline) -> Result<Vec<Arc<AreaEntry>>, TimedOut> {
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

    /// The areas in scope (on the planning pool), and every area the process holds.
    pub(super) async fn gather(self, services: &Services<'_>) -> ApiResult<(Vec<Arc<AreaEntry>>, Arc<Areas>)> {
        let deadline = services.deadline;
        let all = {
            let (store, _slot) = services.reading().await?;
            store.residential_areas().await?
        };
        services.compute(move || Ok((self.areas(&all, deadline)?, all))).await
    }

    fn holds(&self, area: &AreaEntry) -> bool {
        let code = area.draft.community_code.as_ref();
        self.prefix.as_ref().is_none_or(|p| code.is_some_and(|c| c.starts_with(p.as_str())))
            && self.within.as_ref().is_none_or(|w| w.contains(area.draft.location))
    }
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
    /// The computation deadline, checked inside every long loop.
    deadline: Deadline,
}

impl Evaluation {
    /// Gathers the question's areas, then the facilities and the walking network within reach
    /// of them for trips of up to `asked`'s horizon, then evaluates it on the planning pool.
    async fn run(services: &Services<'_>, question: CoverageQuestion, asked: Horizon) -> ApiResult<Self> {
        let CoverageQuestion { filter, travel, scope } = question;
        let horizon = asked.minutes(travel);
        let deadline = services.deadline;
        let (areas, _) = scope.gather(services).await?;
        let places: Vec<LonLat> = areas.iter().map(|a| a.draft.location).collect();
        let plan = TravelPlan::new(services, travel, &places, horizon).await?;
        // Straight lines need no network in memory: their nearest facility is found at any
        // distance, among all of them.
        let any_distance = matches!(asked, Horizon::Nearest) && !plan.uses_network();
        let horizon = if any_distance { f64::INFINITY } else { horizon };
        let facilities: Vec<LonLat> = {
            let (store, _slot) = services.reading().await?;
            match plan.facility_bounds(&places, horizon) {
                _ if any_distance => store.facility_locations(&filter).await?,
                Some(bounds) => store.facility_locations_within(&filter, bounds).await?,
                None => Vec::new(),
            }
        };
        services.compute(move || Self::evaluate(plan, facilities, areas, horizon, deadline)).await
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

    /// Each area in scope (id order) and whether it is covered.
    pub fn areas_covered(&self) -> impl Iterator<Item = (&Arc<AreaEntry>, bool)> {
        self.areas.iter().zip(self.covered.iter().copied())
    }

    /// The figures of the whole scope.
    pub fn total(&self) -> CoverageCounts {
        self.total
    }

    /// The figures per division: areas grouped by the first `code_length` digits of their
    /// community code (at most the code's 12), sorted by code, areas without a code last.
    pub fn by_division(&self, code_length: usize) -> Vec<(Option<String>, CoverageCounts)> {
        let (_, groups) = tally(&self.demand, &self.covered, |i| {
            // `None` sorts first in Rust; wrap so areas without a code come last.
            match &self.areas[i].draft.community_code {
                Some(code) => (0, Some(code[..code_length.min(code.len())].to_owned())),
                None => (1, None),
            }
        });
        groups.into_iter().map(|((_, code), counts)| (code, counts)).collect()
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

/// Whether each residential area in scope reaches a counted facility within the budget, and
/// the figures of the scope and of its divisions.
pub async fn coverage(services: &Services<'_>, question: CoverageQuestion) -> ApiResult<Evaluation> {
    Evaluation::run(services, question, Horizon::Budget).await
}

/// Uncovered residential areas that lie together.
pub struct Gap {
    pub areas: Vec<Arc<AreaEntry>>,
    pub elderly: i64,
    pub population: i64,
    /// A closed ring containing every area (the convex hull of 50 m circles around them).
    pub outline: Vec<LonLat>,
    /// The least, over the gap's areas, of the travel minutes to the nearest counted
    /// facility; none when nothing is reachable within the horizon.
    pub nearest_minutes: Option<f64>,
}

/// Margin of the polygon around a gap's areas.
const GAP_MARGIN_M: f64 = 50.0;

/// The uncovered areas in scope, clustered by single linkage (two areas join when they are
/// within the budget's straight-line reach of each other), largest elderly population first
/// (ties: lowest area id).
pub async fn gaps(services: &Services<'_>, question: CoverageQuestion) -> ApiResult<Vec<Gap>> {
    let e = Evaluation::run(services, question, Horizon::Nearest).await?;
    services.compute(move || gaps_of(&e)).await
}

fn gaps_of(e: &Evaluation) -> ApiResult<Vec<Gap>> {
    let uncovered = e.uncovered();
    let points: Vec<LonLat> = uncovered.iter().map(|&i| e.areas[i].draft.location).collect();
    let clusters = single_linkage_clusters(&points, e.plan.travel.reach_m(), &e.deadline)?;
    let nearest = if clusters.is_empty() { Vec::new() } else { e.nearest()? };
    let mut gaps: Vec<(i64, Gap)> = clusters
        .into_iter()
        .map(|members| {
            let indices: Vec<usize> = members.iter().map(|&m| uncovered[m]).collect();
            let areas: Vec<Arc<AreaEntry>> = indices.iter().map(|&i| Arc::clone(&e.areas[i])).collect();
            let locations: Vec<LonLat> = areas.iter().map(|a| a.draft.location).collect();
            let gap = Gap {
                elderly: areas.iter().map(|a| i64::from(a.draft.elderly_population)).sum(),
                population: areas.iter().map(|a| i64::from(a.draft.population)).sum(),
                outline: enclosing_ring(&locations, GAP_MARGIN_M),
                nearest_minutes: indices.iter().filter_map(|&i| nearest[i]).map(|t| t.minutes).min_by(f64::total_cmp),
                areas,
            };
            (gap.areas.iter().map(|a| a.id.0).min().unwrap_or_default(), gap)
        })
        .collect();
    gaps.sort_by(|a, b| b.1.elderly.cmp(&a.1.elderly).then(a.0.cmp(&b.0)));
    Ok(gaps.into_iter().map(|(_, g)| g).collect())
}

/// A proposed site, in the order the greedy choice picked it.
pub struct Site {
    pub location: LonLat,
    /// Index of the chosen candidate among the candidates given (or the uncovered areas in
    /// scope, by id).
    pub candidate_index: usize,
    /// Elderly residents it covers that nothing covered before.
    pub newly_covered_elderly: i64,
    /// The elderly coverage ratio with this site and the ones before it.
    pub cumulative_elderly_ratio: f64,
}

/// New sites and what they change.
pub struct SiteChoice {
    pub sites: Vec<Site>,
    pub elderly_ratio_before: f64,
    pub elderly_ratio_after: f64,
}

/// Greedy maximal coverage: up to `count` sites among `candidates` (default: the uncovered
/// areas in scope), each newly covering the most elderly residents (ties: lowest candidate
/// index); existing facilities stay.
pub async fn suggest_sites(
    services: &Services<'_>,
    question: CoverageQuestion,
    candidates: Option<Vec<LonLat>>,
    count: usize,
) -> ApiResult<SiteChoice> {
    let e = Evaluation::run(services, question, Horizon::Budget).await?;
    services.compute(move || choose_sites(&e, candidates, count)).await
}

fn choose_sites(e: &Evaluation, given: Option<Vec<LonLat>>, count: usize) -> ApiResult<SiteChoice> {
    let uncovered = e.uncovered();
    let demand: Vec<LonLat> = uncovered.iter().map(|&i| e.demand[i].location).collect();
    let weights: Vec<i64> = uncovered.iter().map(|&i| e.demand[i].elderly).collect();
    let candidates = given.unwrap_or_else(|| demand.clone());
    let reach_sets = e.plan.walker().reach_sets(&candidates, &demand, e.plan.travel.minutes, &e.deadline)?;
    let chosen = greedy_cover(reach_sets, &weights, count, &e.deadline)?;
    let mut covered = e.total.covered_elderly;
    let ratio = |covered_elderly: i64| CoverageCounts { covered_elderly, ..e.total }.elderly_ratio();
    let sites: Vec<Site> = chosen
        .into_iter()
        .map(|c| {
            covered += c.gain;
            Site {
                location: candidates[c.candidate],
                candidate_index: c.candidate,
                newly_covered_elderly: c.gain,
                cumulative_elderly_ratio: ratio(covered),
            }
        })
        .collect();
    Ok(SiteChoice { sites, elderly_ratio_before: e.total.elderly_ratio(), elderly_ratio_after: ratio(covered) })
}

/// One residential area in scope and its coverage.
pub struct AreaCoverage {
    pub area: Arc<AreaEntry>,
    pub covered: bool,
    /// The trip to its nearest counted facility (on the walking network: within an hour's
    /// walk, or the budget if longer); none when nothing is reachable.
    pub nearest: Option<Timed>,
}

/// Every residential area in scope with its coverage, in id order.
pub async fn area_coverage(services: &Services<'_>, question: CoverageQuestion) -> ApiResult<Vec<AreaCoverage>> {
    let e = Evaluation::run(services, question, Horizon::Nearest).await?;
    services
        .compute(move || {
            let nearest = e.nearest()?;
            Ok(e.areas
                .iter()
                .zip(&e.covered)
                .zip(nearest)
                .map(|((area, &covered), nearest)| AreaCoverage { area: Arc::clone(area), covered, nearest })
                .collect())
        })
        .await
}

/// A facility's service area: the outline and the model that drew it, or none for a facility
/// the NETWORK model cannot start from.
pub struct Circle {
    pub facility: Arc<Facility>,
    pub area: Option<(MultiPolygon<f64>, By)>,
}

/// The service circle of each of `facilities` for `travel`, outlines generalised by
/// `generalize_m` (see `generalize_tolerance`).
pub async fn service_circles(
    services: &Services<'_>,
    facilities: Vec<Arc<Facility>>,
    travel: Travel,
    generalize_m: f64,
) -> ApiResult<Vec<Circle>> {
    let places: Vec<LonLat> = facilities.iter().map(|f| f.draft.location()).collect();
    let plan = TravelPlan::new(services, travel, &places, travel.minutes).await?;
    let deadline = services.deadline;
    services
        .compute(move || {
            facilities
                .into_iter()
                .map(|facility| {
                    deadline.check()?;
                    // `None`: the NETWORK model cannot start from this facility.
                    let area =
                        plan.walker().service_area(facility.draft.location(), plan.travel.minutes, generalize_m).ok();
                    Ok(Circle { facility, area })
                })
                .collect()
        })
        .await
}

/// The area reachable from `center` with `travel`, and the model that drew it; an origin the
/// NETWORK model cannot start from is `BAD_USER_INPUT`.
pub async fn service_area(
    services: &Services<'_>,
    center: LonLat,
    travel: Travel,
    generalize_m: f64,
) -> ApiResult<(MultiPolygon<f64>, By)> {
    services.deadline.check()?;
    let plan = TravelPlan::new(services, travel, &[center], travel.minutes).await?;
    // On the planning pool: a list of facilities asking for their circles is a list of
    // isochrones, which must not hold an HTTP worker.
    services
        .compute(move || {
            plan.walker().service_area(center, plan.travel.minutes, generalize_m).map_err(|e| plan.off_network(e))
        })
        .await
}

/// The most an isochrone's outline may be generalised, metres.
const MAX_GENERALIZE_M: f64 = 1_000.0;

/// The Douglas-Peucker tolerance of isochrone outlines, metres: `given` if in [0, 1000], else
/// the default.
pub fn generalize_tolerance(given: Option<f64>) -> Result<f64, Invalid> {
    let m = given.unwrap_or(DEFAULT_GENERALIZE_M);
    if !(0.0..=MAX_GENERALIZE_M).contains(&m) {
        return Err(Invalid::new(format!("generalizeMeters must be in [0, {MAX_GENERALIZE_M}], got {m}")));
    }
    Ok(m)
}
