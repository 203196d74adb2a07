//! Which facilities a person reaches within a travel budget.

use super::Services;
use super::travel::TravelPlan;
use crate::domain::facility::{Facility, FacilityFilter};
use crate::domain::ids::FacilityId;
use crate::domain::travel::Travel;
use crate::error::ApiResult;
use crate::geo::LonLat;
use crate::geo::walk_times::Timed;
use std::collections::HashMap;
use std::sync::Arc;

/// A facility reached, with its geodesic distance and the trip's time.
pub struct Reached {
    pub facility: Arc<Facility>,
    pub distance_m: f64,
    pub trip: Timed,
}

/// Every facility passing `filter` reachable from `from` within the budget of `travel`, by
/// travel time, then id. An origin the NETWORK model cannot start from is `BAD_USER_INPUT`.
pub async fn reachable_facilities(
    services: &Services<'_>,
    from: LonLat,
    travel: Travel,
    filter: &FacilityFilter,
) -> ApiResult<Vec<Reached>> {
    let minutes = travel.minutes;
    let plan = TravelPlan::new(services, travel, &[from], minutes).await?;
    let walker = plan.walker();
    let store = services.store();
    let found =
        store.nearest_facility_locations(from, Some(walker.search_radius_m(minutes)), usize::MAX, filter).await?;
    let targets: Vec<LonLat> = found.iter().map(|f| f.location).collect();
    let times = walker.times_from(from, &targets, minutes).map_err(|e| plan.off_network(e))?;
    let reached: Vec<_> = found.into_iter().zip(times).filter_map(|(f, time)| time.map(|t| (f, t))).collect();
    let ids: Vec<FacilityId> = reached.iter().map(|(f, _)| f.id).collect();
    let mut full: HashMap<FacilityId, Arc<Facility>> =
        store.whole_facilities(&ids).await?.into_iter().map(|f| (f.id, f)).collect();
    // A facility deleted since the search is left out.
    let mut hits: Vec<Reached> = reached
        .into_iter()
        .filter_map(|(f, trip)| full.remove(&f.id).map(|facility| Reached { facility, distance_m: f.distance_m, trip }))
        .collect();
    hits.sort_by(|a, b| a.trip.minutes.total_cmp(&b.trip.minutes).then(a.facility.id.cmp(&b.facility.id)));
    Ok(hits)
}
