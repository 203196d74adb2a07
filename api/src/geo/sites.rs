//! Where new facilities would cover the most: greedy maximal coverage with lazy evaluation
//! (CELF). Each step picks the candidate that newly covers the most weight (ties: lowest
//! candidate index); a candidate's gain can only shrink as others are picked, so a stale gain
//! is an upper bound and most candidates are never re-evaluated.

use super::LonLat;
use super::deadline::{Deadline, TimedOut};
use super::sphere_index::SphereIndex;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One chosen site: the candidate's index and the weight it newly covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteChoice {
    pub candidate: usize,
    pub gain: i64,
}

/// Up to `count` candidates chosen greedily to cover the most `weights` of `demand` within
/// `reach_m` metres (geodesic). Stops early when no candidate covers anything new.
pub fn greedy_sites(
    candidates: &[LonLat],
    demand: &[LonLat],
    weights: &[i64],
    reach_m: f64,
    count: usize,
) -> Vec<SiteChoice> {
    let demand_index = SphereIndex::new(demand.to_vec());
    let reach_sets: Vec<Vec<u32>> =
        candidates.iter().map(|&c| demand_index.indices_within_reach(c, reach_m).collect()).collect();
    // No deadline: the caller bounds the input.
    greedy_cover(reach_sets, weights, count, &Deadline::none()).unwrap_or_default()
}

/// Up to `count` candidates chosen greedily, candidate `i` covering the demand points in
/// `reach_sets[i]`, to cover the most `weights`. Stops early when nothing new is covered.
pub fn greedy_cover(
    reach_sets: Vec<Vec<u32>>,
    weights: &[i64],
    count: usize,
    deadline: &Deadline,
) -> Result<Vec<SiteChoice>, TimedOut> {
    let reach_sets: Vec<Vec<u32>> =
        reach_sets.into_iter().map(|set| set.into_iter().filter(|&d| weights[d as usize] > 0).collect()).collect();
    let mut covered = vec![false; weights.len()];
    let gain_of = |set: &[u32], covered: &[bool]| -> i64 {
        set.iter().filter(|&&d| !covered[d as usize]).map(|&d| weights[d as usize]).sum()
    };
    // (gain, Reverse(index), round the gain was computed in)
    let mut heap: BinaryHeap<(i64, Reverse<usize>, usize)> =
        reach_sets.iter().enumerate().map(|(i, set)| (gain_of(set, &covered), Reverse(i), 0)).collect();
    let mut chosen = Vec::new();
    while chosen.len() < count {
        deadline.check()?;
        let Some((gain, Reverse(i), round)) = heap.pop() else { break };
        if gain <= 0 {
            break;
        }
        if round == chosen.len() {
            for &d in &reach_sets[i] {
                covered[d as usize] = true;
            }
            chosen.push(SiteChoice { candidate: i, gain });
        } else {
            heap.push((gain_of(&reach_sets[i], &covered), Reverse(i), chosen.len()));
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// The plain greedy: every candidate re-evaluated against brute-force coverage each step.
    fn plain_greedy(
        candidates: &[LonLat],
        demand: &[LonLat],
        weights: &[i64],
        reach: f64,
        count: usize,
    ) -> Vec<SiteChoice> {
        let mut covered = vec![false; demand.len()];
        let mut out = Vec::new();
        for _ in 0..count {
            let gains: Vec<i64> = candidates
                .iter()
                .map(|&c| {
                    (0..demand.len())
                        .filter(|&d| !covered[d] && geodesic_distance_m(c, demand[d]) <= reach)
                        .map(|d| weights[d])
                        .sum()
                })
                .collect();
            let best = (0..candidates.len()).max_by(|&a, &b| gains[a].cmp(&gains[b]).then(b.cmp(&a)));
            let Some(best) = best.filter(|&b| gains[b] > 0) else { break };
            for d in 0..demand.len() {
                if geodesic_distance_m(candidates[best], demand[d]) <= reach {
                    covered[d] = true;
                }
            }
            out.push(SiteChoice { candidate: best, gain: gains[best] });
        }
        out
    }

    #[test]
    fn celf_equals_the_plain_greedy_and_the_first_pick_is_the_exhaustive_best() {
        let mut rng = StdRng::seed_from_u64(8);
        for _ in 0..20 {
            let mut at = || LonLat { lon: rng.random_range(106.2..106.26), lat: rng.random_range(38.4..38.45) };
            let demand: Vec<LonLat> = (0..300).map(|_| at()).collect();
            let candidates: Vec<LonLat> = (0..60).map(|_| at()).collect();
            let weights: Vec<i64> = (0..300).map(|i| (i * 7 % 40) as i64).collect();
            let reach = 519.0;
            let celf = greedy_sites(&candidates, &demand, &weights, reach, 8);
            assert_eq!(celf, plain_greedy(&candidates, &demand, &weights, reach, 8));
            // count 1: the exhaustive optimum.
            let best = (0..candidates.len())
                .map(|c| {
                    (0..demand.len())
                        .filter(|&d| geodesic_distance_m(candidates[c], demand[d]) <= reach)
                        .map(|d| weights[d])
                        .sum::<i64>()
                })
                .max()
                .unwrap();
            assert_eq!(greedy_sites(&candidates, &demand, &weights, reach, 1)[0].gain, best);
        }
    }

    #[test]
    fn selection_stops_when_nothing_new_is_covered() {
        let demand = [LonLat { lon: 0.0, lat: 0.0 }];
        let candidates = [LonLat { lon: 0.0, lat: 0.0 }, LonLat { lon: 0.0, lat: 0.0001 }];
        let chosen = greedy_sites(&candidates, &demand, &[5], 100.0, 10);
        assert_eq!(chosen, vec![SiteChoice { candidate: 0, gain: 5 }]);
    }
}
