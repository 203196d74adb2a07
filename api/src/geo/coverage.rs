//! Coverage of residential areas by facilities within a travel budget, and its tallies.

use super::LonLat;
use super::sphere_index::SphereIndex;
use std::collections::BTreeMap;

/// People living at one place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Demand {
    pub location: LonLat,
    pub population: i64,
    pub elderly: i64,
}

/// Counts of areas and people, and how many of them are covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoverageCounts {
    pub areas: i64,
    pub covered_areas: i64,
    pub population: i64,
    pub covered_population: i64,
    pub elderly: i64,
    pub covered_elderly: i64,
}

impl CoverageCounts {
    pub fn add(&mut self, d: &Demand, covered: bool) {
        self.areas += 1;
        self.population += d.population;
        self.elderly += d.elderly;
        if covered {
            self.covered_areas += 1;
            self.covered_population += d.population;
            self.covered_elderly += d.elderly;
        }
    }

    /// Covered elderly over all elderly; 1.0 when there are no elderly (nobody is left out).
    pub fn elderly_ratio(&self) -> f64 {
        if self.elderly == 0 { 1.0 } else { self.covered_elderly as f64 / self.elderly as f64 }
    }
}

/// Whether each demand point has a facility within `reach_m` metres (geodesic).
pub fn covered_flags(facilities: &SphereIndex, demand: &[Demand], reach_m: f64) -> Vec<bool> {
    demand.iter().map(|d| facilities.any_within(d.location, reach_m)).collect()
}

/// Totals, and totals per group (e.g. per community code), of covered demand.
pub fn tally<K: Ord + Clone>(
    demand: &[Demand],
    covered: &[bool],
    group: impl Fn(usize) -> K,
) -> (CoverageCounts, BTreeMap<K, CoverageCounts>) {
    let mut total = CoverageCounts::default();
    let mut groups: BTreeMap<K, CoverageCounts> = BTreeMap::new();
    for (i, (d, &c)) in demand.iter().zip(covered).enumerate() {
        total.add(d, c);
        groups.entry(group(i)).or_default().add(d, c);
    }
    (total, groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn coverage_equals_all_pairs_brute_force() {
        let mut rng = StdRng::seed_from_u64(99);
        let mut at = || LonLat { lon: rng.random_range(106.2..106.4), lat: rng.random_range(38.4..38.55) };
        let facilities: Vec<LonLat> = (0..60).map(|_| at()).collect();
        let demand: Vec<Demand> =
            (0..3_000).map(|i| Demand { location: at(), population: 100 + i % 50, elderly: i % 30 }).collect();
        let index = SphereIndex::new(facilities.clone());
        let reach = 675.0 / 1.3;
        let flags = covered_flags(&index, &demand, reach);
        let mut expected = CoverageCounts::default();
        for (d, &flag) in demand.iter().zip(&flags) {
            let brute = facilities.iter().any(|&f| geodesic_distance_m(f, d.location) <= reach);
            assert_eq!(flag, brute);
            expected.add(d, brute);
        }
        let (total, groups) = tally(&demand, &flags, |i| i % 3);
        assert_eq!(total, expected);
        assert_eq!(groups.values().map(|g| g.covered_elderly).sum::<i64>(), expected.covered_elderly);
        assert!(expected.covered_areas > 0 && expected.covered_areas < 3_000, "a meaningful instance");
        assert_eq!(CoverageCounts::default().elderly_ratio(), 1.0);
    }
}
