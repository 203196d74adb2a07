//! Capacity-aware accessibility: the enhanced two-step floating catchment area method
//! (E2SFCA; Luo & Qi, "An enhanced two-step floating catchment area (E2SFCA) method for
//! measuring spatial accessibility to primary care physicians", Health & Place 15(4), 2009).
//!
//! Step one gives each facility `j` a supply-to-demand ratio: its supply (places) over the
//! demand within its catchment, each demand weighted by the travel-time zone it lies in,
//! `R_j = S_j / sum_i(P_i * W(t_ij))`. Step two gives each area `i` the sum of the ratios of
//! the facilities it reaches, weighted the same way, `A_i = sum_j(R_j * W(t_ij))`: places per
//! resident. A facility whose catchment holds no weighted demand serves no one in scope; its
//! ratio is none and adds nothing (no division by zero).

use super::deadline::{Deadline, TimedOut};

/// Travel-time zones, nearest first: a trip of `t` minutes weighs the weight of the first zone
/// whose upper bound is at least `t`; beyond the last zone, nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Zones {
    zones: Vec<Zone>,
}

/// One zone: trips of up to `up_to_minutes` (and more than the previous zone's bound).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zone {
    pub up_to_minutes: f64,
    pub weight: f64,
}

/// Luo & Qi's weights for three equal zones of the catchment (a Gaussian decay sampled at the
/// middle of each zone, as their paper uses for 0-10, 10-20 and 20-30 minutes).
pub const LUO_QI_WEIGHTS: [f64; 3] = [1.0, 0.68, 0.22];

/// Most zones a caller may give.
pub const MAX_ZONES: usize = 20;

impl Zones {
    /// Zones in increasing order of their bounds (each positive and finite), weights in [0, 1].
    pub fn new(zones: Vec<Zone>) -> Result<Self, String> {
        if zones.is_empty() || zones.len() > MAX_ZONES {
            return Err(format!("give 1 to {MAX_ZONES} travel-time zones, got {}", zones.len()));
        }
        let mut previous = 0.0;
        for z in &zones {
            if !(z.up_to_minutes.is_finite() && z.up_to_minutes > previous) {
                return Err(format!(
                    "zone bounds must be finite and increase from more than 0, got {} after {previous}",
                    z.up_to_minutes
                ));
            }
            if !(0.0..=1.0).contains(&z.weight) {
                return Err(format!("zone weights must be in [0, 1], got {}", z.weight));
            }
            previous = z.up_to_minutes;
        }
        Ok(Self { zones })
    }

    /// Luo & Qi's three zones over a catchment of `minutes`.
    pub fn luo_qi(minutes: f64) -> Self {
        let zones = LUO_QI_WEIGHTS
            .iter()
            .enumerate()
            .map(|(k, &weight)| Zone { up_to_minutes: minutes * (k + 1) as f64 / 3.0, weight })
            .collect();
        Self { zones }
    }

    /// The catchment: the last zone's bound.
    pub fn catchment_minutes(&self) -> f64 {
        self.zones.last().map_or(0.0, |z| z.up_to_minutes)
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The weight of a trip of `minutes`.
    pub fn weight(&self, minutes: f64) -> f64 {
        self.zones.iter().find(|z| minutes <= z.up_to_minutes).map_or(0.0, |z| z.weight)
    }
}

/// Both steps' results.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// Per facility: places per weighted resident of its catchment; none when it reaches no
    /// weighted demand.
    pub ratios: Vec<Option<f64>>,
    /// Per area: places per resident (the sum of the ratios it reaches, weighted).
    pub scores: Vec<f64>,
    /// Per area: how many facilities with a ratio it reaches with a weight above zero.
    pub reached: Vec<u32>,
}

/// E2SFCA over `supply` (per facility) and `demand` (per area), given `trips[j]`: the areas
/// facility `j` reaches, each with the zone (index into `zones`) its trip fits in.
pub fn e2sfca(
    supply: &[f64],
    demand: &[f64],
    trips: &[Vec<(u32, usize)>],
    zones: &Zones,
    deadline: &Deadline,
) -> Result<Scores, TimedOut> {
    let weight = |zone: usize| zones.zones.get(zone).map_or(0.0, |z| z.weight);
    let mut ratios = Vec::with_capacity(trips.len());
    for (j, reached) in trips.iter().enumerate() {
        if j % 256 == 0 {
            deadline.check()?;
        }
        let weighted: f64 = reached.iter().map(|&(i, zone)| demand[i as usize] * weight(zone)).sum();
        ratios.push((weighted > 0.0).then(|| supply[j] / weighted));
    }
    let mut scores = vec![0.0; demand.len()];
    let mut counts = vec![0u32; demand.len()];
    for (j, reached) in trips.iter().enumerate() {
        if j % 256 == 0 {
            deadline.check()?;
        }
        let Some(ratio) = ratios[j] else { continue };
        for &(i, zone) in reached {
            let w = weight(zone);
            if w > 0.0 {
                scores[i as usize] += ratio * w;
                counts[i as usize] += 1;
            }
        }
    }
    Ok(Scores { ratios, scores, reached: counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trips in minutes as the walker gives them: in the first zone they fit, or left out.
    fn zoned(zones: &Zones, trips: Vec<Vec<(u32, f64)>>) -> Vec<Vec<(u32, usize)>> {
        let bounds: Vec<f64> = zones.zones().iter().map(|z| z.up_to_minutes).collect();
        trips
            .into_iter()
            .map(|t| t.into_iter().filter_map(|(i, m)| bounds.iter().position(|&b| m <= b).map(|z| (i, z))).collect())
            .collect()
    }

    #[test]
    fn zones_weigh_by_the_first_bound_a_trip_fits() {
        let z = Zones::luo_qi(15.0);
        assert_eq!(z.weight(0.0), 1.0);
        assert_eq!(z.weight(5.0), 1.0);
        assert_eq!(z.weight(5.01), 0.68);
        assert_eq!(z.weight(15.0), 0.22);
        assert_eq!(z.weight(15.01), 0.0);
        assert_eq!(z.catchment_minutes(), 15.0);
        let bad = |zones: Vec<(f64, f64)>| {
            Zones::new(zones.into_iter().map(|(up_to_minutes, weight)| Zone { up_to_minutes, weight }).collect())
        };
        assert!(bad(vec![]).is_err());
        assert!(bad(vec![(10.0, 1.0), (5.0, 0.5)]).is_err());
        assert!(bad(vec![(0.0, 1.0)]).is_err());
        assert!(bad(vec![(10.0, 1.5)]).is_err());
        assert!(bad(vec![(f64::NAN, 1.0)]).is_err());
        assert!(bad(vec![(10.0, 1.0), (20.0, 0.0)]).is_ok());
    }

    #[test]
    fn a_worked_example_by_hand() {
        // Two facilities of 10 and 30 places; three areas of 100, 200 and 300 people.
        // Facility 0 reaches area 0 at 2 min (w 1) and area 1 at 7 min (w 0.68):
        //   R0 = 10 / (100 + 0.68 * 200) = 10 / 236.
        // Facility 1 reaches area 1 at 12 min (w 0.22) and area 2 at 1 min (w 1); area 0 at
        //   20 min is beyond the catchment: R1 = 30 / (0.22 * 200 + 300) = 30 / 344.
        let zones = Zones::luo_qi(15.0);
        let trips = zoned(&zones, vec![vec![(0, 2.0), (1, 7.0)], vec![(1, 12.0), (2, 1.0), (0, 20.0)]]);
        let s = e2sfca(&[10.0, 30.0], &[100.0, 200.0, 300.0], &trips, &zones, &Deadline::none()).unwrap();
        let (r0, r1) = (10.0 / 236.0, 30.0 / 344.0);
        assert_eq!(s.ratios, vec![Some(r0), Some(r1)]);
        let want = [r0, 0.68 * r0 + 0.22 * r1, r1];
        for (got, want) in s.scores.iter().zip(want) {
            assert!((got - want).abs() <= 1e-15 * want, "{got} {want}");
        }
        assert_eq!(s.reached, vec![1, 2, 1]);
        // The supply is shared out exactly: sum of P_i * A_i over areas = total supply when
        // every facility's catchment has demand.
        let placed: f64 = s.scores.iter().zip([100.0, 200.0, 300.0]).map(|(a, p)| a * p).sum();
        assert!((placed - 40.0).abs() < 1e-9, "{placed}");
    }

    #[test]
    fn a_facility_without_demand_in_reach_adds_nothing() {
        let zones = Zones::luo_qi(15.0);
        let trips = zoned(&zones, vec![vec![], vec![(0, 3.0)]]);
        let s = e2sfca(&[50.0, 5.0], &[0.0], &trips, &zones, &Deadline::none()).unwrap();
        assert_eq!(s.ratios, vec![None, None]);
        assert_eq!(s.scores, vec![0.0]);
        assert_eq!(s.reached, vec![0]);
    }
}
