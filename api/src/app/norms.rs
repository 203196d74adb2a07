//! Life-circle norm compliance: for every residential area in scope, which requirements of a
//! loaded norm set hold (a facility of the named kinds within the circle's minutes; places per
//! 1,000 elderly within them where the set asks), and per community the share of elderly
//! residents meeting each requirement and all of them, worst communities first.

use super::Services;
use super::accessibility::{AccessibilityQuestion, accessibility};
use super::coverage::{CoverageQuestion, Scope, coverage};
use crate::domain::facility::FacilityFilter;
use crate::domain::norms::Requirement;
use crate::domain::residents::AreaEntry;
use crate::domain::travel::Travel;
use crate::error::{ApiError, ApiResult};
use crate::geo::accessibility::{Zone, Zones};
use crate::store::StoredNorms;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Which norm set, which areas, and how residents travel (each circle's minutes replace the
/// travel's).
pub struct ComplianceQuestion {
    pub norm_set: String,
    pub scope: Scope,
    pub travel: Travel,
}

/// One residential area and, per requirement of the set (in the set's order), whether it
/// holds.
pub struct AreaCompliance {
    pub area: Arc<AreaEntry>,
    pub meets: Vec<bool>,
}

impl AreaCompliance {
    pub fn meets_all(&self) -> bool {
        self.meets.iter().all(|&m| m)
    }
}

/// Counts over a group of areas (the scope, or one community).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub areas: i64,
    pub elderly: i64,
    pub areas_meeting_all: i64,
    pub elderly_meeting_all: i64,
    /// Per requirement: areas meeting it, and their elderly residents.
    pub meeting: Vec<(i64, i64)>,
}

impl Tally {
    fn new(requirements: usize) -> Self {
        Self { meeting: vec![(0, 0); requirements], ..Self::default() }
    }

    fn add(&mut self, area: &AreaCompliance) {
        let elderly = i64::from(area.area.draft.elderly_population);
        self.areas += 1;
        self.elderly += elderly;
        if area.meets_all() {
            self.areas_meeting_all += 1;
            self.elderly_meeting_all += elderly;
        }
        for (m, &meets) in self.meeting.iter_mut().zip(&area.meets) {
            if meets {
                m.0 += 1;
                m.1 += elderly;
            }
        }
    }

    /// `elderly` as a share of the group's elderly residents (0 when it has none).
    pub fn share(&self, elderly: i64) -> f64 {
        if self.elderly > 0 { elderly as f64 / self.elderly as f64 } else { 0.0 }
    }
}

pub struct ComplianceReport {
    pub norms: StoredNorms,
    /// In id order.
    pub areas: Vec<AreaCompliance>,
    pub total: Tally,
    /// By whole community code, worst first: the lowest share of elderly meeting every
    /// requirement, then the most elderly not meeting them, then by code; communities without
    /// elderly residents next, and areas without a code last of all.
    pub communities: Vec<(Option<String>, Tally)>,
}

/// Checks the areas in scope against the norm set named in `question`: one coverage question
/// per requirement (an accessibility question, with one zone of the circle's minutes, for
/// those that ask for places).
pub async fn compliance(services: &Services<'_>, question: ComplianceQuestion) -> ApiResult<ComplianceReport> {
    let ComplianceQuestion { norm_set, scope, travel } = question;
    let norms = {
        let (store, _slot) = services.reading().await?;
        store.norm_set(&norm_set).await?
    }
    // The name is an argument the caller got wrong, not a record that vanished under it.
    .ok_or_else(|| ApiError::BadUserInput(format!("no norm set is named {norm_set:?}: see normSets")))?;
    let mut areas: Vec<Arc<AreaEntry>> = Vec::new();
    let mut meets: Vec<HashMap<_, bool>> = Vec::new();
    for (minutes, requirement) in norms.set.requirements() {
        let travel = Travel { minutes, ..travel };
        let met = meeting(services, requirement, travel, scope.clone()).await?;
        if areas.is_empty() {
            areas = met.iter().map(|(a, _)| Arc::clone(a)).collect();
        }
        meets.push(met.into_iter().map(|(a, m)| (a.id, m)).collect());
    }
    // Requirements are asked one after another; an area written meanwhile is counted as
    // meeting only what it was asked for.
    let areas: Vec<AreaCompliance> = areas
        .into_iter()
        .map(|area| {
            let meets = meets.iter().map(|m| m.get(&area.id).copied().unwrap_or(false)).collect();
            AreaCompliance { area, meets }
        })
        .collect();
    let (total, communities) = tally(&areas, meets.len());
    Ok(ComplianceReport { norms, areas, total, communities })
}

/// Each area in scope (id order) and whether it meets `requirement` within `travel`.
async fn meeting(
    services: &Services<'_>,
    requirement: &Requirement,
    travel: Travel,
    scope: Scope,
) -> ApiResult<Vec<(Arc<AreaEntry>, bool)>> {
    let filter = FacilityFilter { kinds: Some(requirement.admitted_kinds()), ..FacilityFilter::default() };
    let question = CoverageQuestion { filter, travel, scope };
    match requirement.places_per_1000_elderly {
        None => {
            let evaluation = coverage(services, question).await?;
            Ok(evaluation.areas_covered().map(|(a, covered)| (Arc::clone(a), covered)).collect())
        }
        Some(places) => {
            let zones = Zones::new(vec![Zone { up_to_minutes: travel.minutes, weight: 1.0 }])
                .map_err(ApiError::BadUserInput)?;
            let question = AccessibilityQuestion {
                coverage: question,
                supply: requirement.supply,
                zones: Some(zones),
                threshold: places,
            };
            let report = accessibility(services, question).await.map_err(|e| match e {
                ApiError::BadUserInput(m) => {
                    ApiError::BadUserInput(format!("requirement {:?}: {m}", requirement.label))
                }
                e => e,
            })?;
            Ok(report.areas.into_iter().map(|a| (a.area, a.score >= places)).collect())
        }
    }
}

/// The scope's tally and each community's, worst first.
pub fn tally(areas: &[AreaCompliance], requirements: usize) -> (Tally, Vec<(Option<String>, Tally)>) {
    let mut total = Tally::new(requirements);
    let mut groups: BTreeMap<Option<&str>, Tally> = BTreeMap::new();
    for a in areas {
        total.add(a);
        groups.entry(a.area.draft.community_code.as_deref()).or_insert_with(|| Tally::new(requirements)).add(a);
    }
    let mut communities: Vec<(Option<String>, Tally)> =
        groups.into_iter().map(|(code, t)| (code.map(str::to_owned), t)).collect();
    communities.sort_by(|(code_a, a), (code_b, b)| {
        let rank = |code: &Option<String>, t: &Tally| {
            let last = if code.is_none() { 2u8 } else { u8::from(t.elderly == 0) };
            (last, t.share(t.elderly_meeting_all))
        };
        let (last_a, share_a) = rank(code_a, a);
        let (last_b, share_b) = rank(code_b, b);
        last_a
            .cmp(&last_b)
            .then(share_a.total_cmp(&share_b))
            .then((b.elderly - b.elderly_meeting_all).cmp(&(a.elderly - a.elderly_meeting_all)))
            .then(code_a.cmp(code_b))
    });
    (total, communities)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::community_code::CommunityCode;
    use crate::domain::ids::ResidentialAreaId;
    use crate::domain::residents::ResidentialAreaDraft;
    use crate::geo::LonLat;

    fn area(id: i64, code: Option<&str>, elderly: i32, meets: &[bool]) -> AreaCompliance {
        let draft = ResidentialAreaDraft {
            name: format!("a{id}"),
            location: LonLat { lon: 106.0, lat: 38.0 },
            population: elderly * 4,
            elderly_population: elderly,
            community_code: code.map(|c| CommunityCode::parse(c).unwrap()),
        };
        AreaCompliance { area: Arc::new(AreaEntry { id: ResidentialAreaId(id), draft }), meets: meets.to_vec() }
    }

    #[test]
    fn communities_come_worst_first_with_their_shares() {
        let a = Some("640104001001");
        let b = Some("640104001002");
        let c = Some("640104001003");
        let areas = [
            area(1, a, 100, &[true, true]),
            area(2, a, 300, &[true, false]),
            area(3, b, 50, &[false, false]),
            area(4, c, 0, &[false, false]),
            area(5, None, 10, &[false, true]),
            area(6, b, 50, &[true, true]),
        ];
        let (total, communities) = tally(&areas, 2);
        assert_eq!(total.areas, 6);
        assert_eq!(total.elderly, 510);
        assert_eq!(total.elderly_meeting_all, 150);
        assert_eq!(total.meeting, [(3, 450), (3, 160)]);
        let order: Vec<_> = communities.iter().map(|(code, _)| code.as_deref()).collect();
        // a: 100 of 400 = 25%; b: 50 of 100 = 50%; c has no elderly; None has no code.
        assert_eq!(order, [a, b, c, None]);
        assert!((communities[0].1.share(communities[0].1.elderly_meeting_all) - 0.25).abs() < 1e-12);
        assert_eq!(communities[1].1.meeting, [(1, 50), (1, 50)]);
    }

    #[test]
    fn equal_shares_put_the_larger_gap_first() {
        let areas = [area(1, Some("640104001001"), 10, &[false]), area(2, Some("640104001002"), 90, &[false])];
        let (_, communities) = tally(&areas, 1);
        assert_eq!(communities[0].0.as_deref(), Some("640104001002"));
    }
}
