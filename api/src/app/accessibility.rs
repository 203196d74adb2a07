//! Whether what is within reach is enough: E2SFCA accessibility scores of the residential areas
//! in scope (`geo::accessibility`), from the supply of the counted facilities within reach
//! of them and the elderly residents they serve, per area and per community.

use super::Services;
use super::coverage::CoverageQuestion;
use super::travel::{TravelPlan, within_reach};
use crate::domain::facility::Facility;
use crate::domain::residents::AreaEntry;
pub use crate::domain::supply::Supply;
use crate::error::{ApiError, ApiResult};
use crate::geo::LonLat;
use crate::geo::accessibility::{Zones, e2sfca};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Scores are given in places per this many elderly residents.
pub const PER_ELDERLY: f64 = 1_000.0;

/// Most facilities one question may count (their supply is read from the database).
pub const MAX_FACILITIES: usize = 50_000;

/// An accessibility question: the coverage question's scope, facilities and travel (whose
/// minutes are the catchment unless zones are given), the supply measure, the zones, and the
/// score below which an area falls short.
pub struct AccessibilityQuestion {
    pub coverage: CoverageQuestion,
    pub supply: Supply,
    /// None: Luo & Qi's three equal zones of the travel budget.
    pub zones: Option<Zones>,
    /// Places per 1,000 elderly residents.
    pub threshold: f64,
}

/// One residential area's score.
pub struct AreaAccess {
    pub area: Arc<AreaEntry>,
    /// Places per 1,000 elderly residents within reach, decay-weighted.
    pub score: f64,
    /// Counted facilities with supply that it reaches.
    pub facilities_reached: u32,
}

/// One community's figures (areas grouped by their whole community code).
pub struct CommunityAccess {
    pub community_code: Option<String>,
    pub areas: i64,
    pub elderly: i64,
    /// The elderly-weighted mean of its areas' scores (0 without elderly).
    pub mean_score: f64,
    /// Elderly residents of areas scoring below the threshold.
    pub elderly_below: i64,
    /// elderlyBelow / elderly (0 without elderly).
    pub share_below: f64,
    /// Places its areas below the threshold lack to reach it, each area's shortfall times
    /// its elderly (new places would be shared with neighbours: an upper bound of the need).
    pub places_missing: f64,
}

pub struct AccessibilityReport {
    pub areas: Vec<AreaAccess>,
    /// Sorted by code, areas without a code last.
    pub communities: Vec<CommunityAccess>,
    pub threshold: f64,
    pub zones: Zones,
    /// Counted facilities within reach of the scope that state their supply.
    pub facilities_counted: usize,
    /// Those that do not (left out of the scores).
    pub facilities_without_supply: usize,
}

/// E2SFCA scores of the residential areas in scope, in id order, and per community. The
/// facilities counted are those within reach of the scope; the demand they share is every
/// residential area within their reach, in scope or not (a district's facilities also serve
/// the neighbours across its border), so an area scores the same whatever scope it is asked in.
pub async fn accessibility(services: &Services<'_>, question: AccessibilityQuestion) -> ApiResult<AccessibilityReport> {
    let AccessibilityQuestion { coverage, supply, zones, threshold } = question;
    let CoverageQuestion { filter, travel, scope } = coverage;
    let zones = zones.unwrap_or_else(|| Zones::luo_qi(travel.minutes));
    let catchment = zones.catchment_minutes();
    let deadline = services.deadline;
    let (in_scope, all) = scope.gather(services).await?;
    let places: Vec<LonLat> = in_scope.iter().map(|a| a.draft.location).collect();
    let facilities: Vec<Arc<Facility>> = match within_reach(&travel, &places, catchment) {
        Some(bounds) => {
            let (store, _slot) = services.reading().await?;
            let ids = store.facility_ids_within(&filter, bounds).await?;
            if ids.len() > MAX_FACILITIES {
                return Err(ApiError::BadUserInput(format!(
                    "{} facilities are within reach of the question's areas, more than {MAX_FACILITIES}: narrow it \
                     (communityCodePrefix, within, a filter)",
                    ids.len()
                )));
            }
            store.whole_facilities(&ids).await?
        }
        None => Vec::new(),
    };
    let (with_supply, supplies): (Vec<LonLat>, Vec<f64>) =
        facilities.iter().filter_map(|f| supply.of(f).map(|s| (f.draft.location(), s))).unzip();
    if !facilities.is_empty() && with_supply.is_empty() {
        return Err(ApiError::BadUserInput(format!(
            "none of the {} counted facilities within reach states its {}: record it, or choose another supply",
            facilities.len(),
            supply.name()
        )));
    }
    let facilities_without_supply = facilities.len() - with_supply.len();
    // The demand: the areas in scope first, then the others within reach of the facilities.
    let scoped = in_scope.len();
    let demand_areas: Vec<Arc<AreaEntry>> = {
        let mut areas = in_scope;
        if let Some(b) = within_reach(&travel, &with_supply, catchment) {
            let scope_ids: HashSet<_> = areas.iter().map(|a| a.id).collect();
            let around = all.in_bounds(b.sw, b.ne).into_iter().filter(|a| !scope_ids.contains(&a.id)).map(Arc::clone);
            areas.extend(around.collect::<Vec<_>>());
        }
        areas
    };
    let demand_places: Vec<LonLat> = demand_areas.iter().map(|a| a.draft.location).collect();
    let plan = TravelPlan::new(services, travel, &demand_places, catchment).await?;
    services
        .compute(move || {
            let bounds: Vec<f64> = zones.zones().iter().map(|z| z.up_to_minutes).collect();
            let trips = plan.walker().reach_zones(&with_supply, &demand_places, &bounds, &deadline)?;
            let demand: Vec<f64> = demand_areas.iter().map(|a| f64::from(a.draft.elderly_population)).collect();
            let scores = e2sfca(&supplies, &demand, &trips, &zones, &deadline)?;
            let areas: Vec<AreaAccess> = demand_areas
                .into_iter()
                .zip(scores.scores)
                .zip(scores.reached)
                .take(scoped)
                .map(|((area, score), facilities_reached)| AreaAccess {
                    area,
                    score: score * PER_ELDERLY,
                    facilities_reached,
                })
                .collect();
            let communities = by_community(&areas, threshold);
            Ok(AccessibilityReport {
                areas,
                communities,
                threshold,
                zones,
                facilities_counted: supplies.len(),
                facilities_without_supply,
            })
        })
        .await
}

fn by_community(areas: &[AreaAccess], threshold: f64) -> Vec<CommunityAccess> {
    #[derive(Default)]
    struct Sums {
        areas: i64,
        elderly: i64,
        weighted: f64,
        below: i64,
        missing: f64,
    }
    // (1, None) sorts after every (0, Some(code)): areas without a code come last.
    let mut groups: BTreeMap<(u8, Option<&str>), Sums> = BTreeMap::new();
    for a in areas {
        let code = a.area.draft.community_code.as_deref();
        let s = groups.entry((u8::from(code.is_none()), code)).or_default();
        let elderly = i64::from(a.area.draft.elderly_population);
        s.areas += 1;
        s.elderly += elderly;
        s.weighted += a.score * elderly as f64;
        if a.score < threshold {
            s.below += elderly;
            s.missing += (threshold - a.score) * elderly as f64 / PER_ELDERLY;
        }
    }
    groups
        .into_iter()
        .map(|((_, code), s)| {
            let share = |x: f64| if s.elderly > 0 { x / s.elderly as f64 } else { 0.0 };
            CommunityAccess {
                community_code: code.map(str::to_owned),
                areas: s.areas,
                elderly: s.elderly,
                mean_score: share(s.weighted),
                elderly_below: s.below,
                share_below: share(s.below as f64),
                places_missing: s.missing,
            }
        })
        .collect()
}
