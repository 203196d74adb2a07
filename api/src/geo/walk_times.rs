//! Travel times under a chosen model: the straight line (geodesic distance times a detour
//! factor), the walking network, or the network where it covers both ends of a trip and the
//! straight line elsewhere (`fallback`). Every time says which model produced it.
//!
//! A point is on the network when it snaps within `snap_limit_m` of an edge; the snapping
//! distance is walked at the same speed. Network searches are bounded by the time budget, and
//! each question runs as few of them as it can: one multi-source search for "time to the
//! nearest facility" of every area, one search per origin otherwise.

use super::LonLat;
use super::circle::{CIRCLE_VERTICES, geodesic_circle, split_at_antimeridian};
use super::deadline::{Deadline, TimedOut};
use super::distance::geodesic_distance_m;
use super::isochrone::{DEFAULT_MARGIN_M as ISOCHRONE_MARGIN_M, isochrone};
use super::network::{Snap, WalkSearch, WalkingNetwork};
use super::sphere_index::SphereIndex;
use super::travel::TravelSettings;
use ::geo::{LineString, MultiPolygon, Polygon};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Points handled between two deadline checks.
const CHECK_EVERY: usize = 1_024;
/// From this many targets on, a second thread snaps them too (a thread costs tens of
/// microseconds; a thousand snaps, about a millisecond).
const SNAP_BESIDE_FROM: usize = 1_024;
/// Targets snapped at a time by one thread.
const SNAP_CHUNK: usize = 512;

/// Which model produced a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    StraightLine,
    Network,
}

/// A travel time in minutes and the model that produced it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timed {
    pub minutes: f64,
    pub by: By,
}

/// How the network takes part in a question.
#[derive(Clone, Copy, Debug)]
pub struct NetworkUse<'a> {
    pub net: &'a WalkingNetwork,
    /// Points farther than this from every edge are not on the network.
    pub snap_limit_m: f64,
    /// Whether trips with an end off the network use the straight line (AUTO) or are not
    /// made at all (NETWORK).
    pub fallback: bool,
}

/// The origin of a network question is farther from the network than the snapping limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffNetwork;

/// A walker: speed and detour, and the network when one takes part.
#[derive(Clone, Copy, Debug)]
pub struct Walker<'a> {
    pub settings: TravelSettings,
    pub network: Option<NetworkUse<'a>>,
}

impl<'a> Walker<'a> {
    fn by_straight_line(&self, distance_m: f64) -> Timed {
        Timed { minutes: self.settings.straight_line_minutes(distance_m), by: By::StraightLine }
    }

    fn by_network(&self, walk_m: f64) -> Timed {
        Timed { minutes: walk_m / self.settings.speed_m_per_s / 60.0, by: By::Network }
    }

    /// Metres of walking in `minutes`.
    pub fn walk_budget_m(&self, minutes: f64) -> f64 {
        minutes * 60.0 * self.settings.speed_m_per_s
    }

    /// How far from an origin anything reachable in `minutes` can lie, in a straight line: a
    /// network walk is never shorter than the geodesic between its ends (1% head-room for the
    /// local projection used in snapping).
    pub fn search_radius_m(&self, minutes: f64) -> f64 {
        let straight = self.settings.straight_line_reach_m(minutes);
        match self.network {
            Some(_) => straight.max(self.walk_budget_m(minutes) * 1.01),
            None => straight,
        }
    }

    fn snap(&self, p: LonLat) -> Option<Snap> {
        self.network.and_then(|n| n.net.snap(p, n.snap_limit_m))
    }

    /// Times from `origin` to each target within `max_minutes` (None beyond it or where no
    /// trip is made). Under NETWORK, an origin off the network is an error.
    pub fn times_from(
        &self,
        origin: LonLat,
        targets: &[LonLat],
        max_minutes: f64,
    ) -> Result<Vec<Option<Timed>>, OffNetwork> {
        let straight = |t: LonLat| Some(self.by_straight_line(geodesic_distance_m(origin, t)));
        let within = |t: Option<Timed>| t.filter(|t| t.minutes <= max_minutes);
        let Some(network) = self.network else {
            return Ok(targets.iter().map(|&t| within(straight(t))).collect());
        };
        let Some(from) = network.net.snap(origin, network.snap_limit_m) else {
            if network.fallback {
                return Ok(targets.iter().map(|&t| within(straight(t))).collect());
            }
            return Err(OffNetwork);
        };
        let mut search = WalkSearch::new(network.net);
        search.run(from.seeds(), self.walk_budget_m(max_minutes));
        Ok(targets
            .iter()
            .map(|&t| match network.net.snap(t, network.snap_limit_m) {
                Some(to) => {
                    let walk = from.along_same_edge(&to).map_or(search.to_point(&to), |d| d.min(search.to_point(&to)));
                    within(walk.is_finite().then(|| self.by_network(walk)))
                }
                None if network.fallback => within(straight(t)),
                None => None,
            })
            .collect())
    }

    /// The area reachable from `center` within `minutes`: the network isochrone where the
    /// network takes part and covers the center, else the straight-line circle.
    /// The outline of a network isochrone is generalised with a tolerance of `generalize_m`.
    pub fn service_area(
        &self,
        center: LonLat,
        minutes: f64,
        generalize_m: f64,
    ) -> Result<(MultiPolygon<f64>, By), OffNetwork> {
        if let Some(network) = self.network {
            match network.net.snap(center, network.snap_limit_m) {
                Some(from) => {
                    let budget = self.walk_budget_m(minutes);
                    let mut search = WalkSearch::new(network.net);
                    search.run(from.seeds(), budget);
                    return Ok((
                        isochrone(center, &from, &search, budget, ISOCHRONE_MARGIN_M, generalize_m),
                        By::Network,
                    ));
                }
                None if !network.fallback => return Err(OffNetwork),
                None => {}
            }
        }
        let ring = geodesic_circle(center, self.settings.straight_line_reach_m(minutes), CIRCLE_VERTICES);
        let ring = LineString::from(ring.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>());
        Ok((split_at_antimeridian(Polygon::new(ring, Vec::new())), By::StraightLine))
    }

    /// For each target, the time to its nearest source, if at most `max_minutes` (pass
    /// infinity for the nearest at any time; network searches are then unbounded).
    pub fn nearest_times(
        &self,
        sources: &[LonLat],
        targets: &[LonLat],
        max_minutes: f64,
        deadline: &Deadline,
    ) -> Result<Vec<Option<Timed>>, TimedOut> {
        Ok(self.nearest_times_marked(sources, targets, max_minutes, deadline)?.into_iter().map(|(t, _)| t).collect())
    }

    /// `nearest_times`, each with whether the target lies on the network (false without one):
    /// a heatmap tells cells off the network from cells with nothing in time without snapping
    /// them twice.
    pub fn nearest_times_marked(
        &self,
        sources: &[LonLat],
        targets: &[LonLat],
        max_minutes: f64,
        deadline: &Deadline,
    ) -> Result<Vec<(Option<Timed>, bool)>, TimedOut> {
        let straight_nearest = |index: &SphereIndex, p: LonLat| {
            index.nearest(p).map(|(_, d)| self.by_straight_line(d)).filter(|t| t.minutes <= max_minutes)
        };
        let Some(network) = self.network else {
            let index = SphereIndex::new(sources.to_vec());
            return targets
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    if i % CHECK_EVERY == 0 {
                        deadline.check()?;
                    }
                    Ok((straight_nearest(&index, t), false))
                })
                .collect();
        };
        let source_snaps: Vec<Option<Snap>> = sources.iter().map(|&s| self.snap(s)).collect();
        let on: Vec<Snap> = source_snaps.iter().flatten().copied().collect();
        deadline.check()?;
        let budget_m = self.walk_budget_m(max_minutes);
        // Snapping many targets (a heatmap's cells) takes longer than the search: a second
        // thread snaps them while the search runs, and this one joins in once it is done.
        let snapping = SharedSnapping::new(network.net, targets, network.snap_limit_m);
        let (target_snaps, walks) = std::thread::scope(|scope| {
            let helper = (targets.len() >= SNAP_BESIDE_FROM).then(|| scope.spawn(|| snapping.take_chunks()));
            let walks = NearestWalks::search(network.net, &on, budget_m, deadline)?;
            let mut chunks = snapping.take_chunks();
            if let Some(helper) = helper {
                chunks.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            chunks.sort_unstable_by_key(|&(start, _)| start);
            let target_snaps: Vec<Option<Snap>> = chunks.into_iter().flat_map(|(_, snaps)| snaps).collect();
            Ok::<_, TimedOut>((target_snaps, walks))
        })?;
        let walks = target_snaps.iter().map(|t| t.as_ref().map_or(f64::INFINITY, |t| walks.to(t)));
        // Straight-line trips: from off-network sources to every target, and from every source
        // to off-network targets.
        let (all, off) = if network.fallback {
            let off_sources = sources.iter().zip(&source_snaps).filter(|(_, s)| s.is_none()).map(|(p, _)| *p);
            (Some(SphereIndex::new(sources.to_vec())), Some(SphereIndex::new(off_sources.collect())))
        } else {
            (None, None)
        };
        Ok(targets
            .iter()
            .zip(&target_snaps)
            .zip(walks)
            .map(|((&p, snap), walk)| {
                let by_network = walk.is_finite().then(|| self.by_network(walk));
                let by_line = match (snap, &all, &off) {
                    (None, Some(all), _) => straight_nearest(all, p),
                    (Some(_), _, Some(off)) => straight_nearest(off, p),
                    _ => None,
                };
                (fastest(by_network, by_line), snap.is_some())
            })
            .collect())
    }

    /// For each candidate, the targets it reaches within `max_minutes`, in no order.
    pub fn reach_sets(
        &self,
        candidates: &[LonLat],
        targets: &[LonLat],
        max_minutes: f64,
        deadline: &Deadline,
    ) -> Result<Vec<Vec<u32>>, TimedOut> {
        let zoned = self.reach_zones(candidates, targets, &[max_minutes], deadline)?;
        Ok(zoned.into_iter().map(|reached| reached.into_iter().map(|(i, _)| i).collect()).collect())
    }

    /// For each candidate, the targets it reaches within the last of `zones` (travel minutes,
    /// increasing), each with the first zone its trip fits in, in no order: one search per
    /// candidate on the network (straight lines for ends off it under AUTO), an index query
    /// per candidate otherwise, where the geodesic is computed only for targets near a zone's
    /// border.
    pub fn reach_zones(
        &self,
        candidates: &[LonLat],
        targets: &[LonLat],
        zones: &[f64],
        deadline: &Deadline,
    ) -> Result<Vec<Vec<(u32, usize)>>, TimedOut> {
        let Some(&max_minutes) = zones.last() else {
            return Ok(vec![Vec::new(); candidates.len()]);
        };
        let bounds_m: Vec<f64> = zones.iter().map(|&z| self.settings.straight_line_reach_m(z)).collect();
        let straight = |index: &SphereIndex, ids: Option<&[u32]>, c: LonLat| -> Vec<(u32, usize)> {
            index.zones_within(c, &bounds_m).map(|(k, zone)| (ids.map_or(k, |ids| ids[k as usize]), zone)).collect()
        };
        let Some(network) = self.network else {
            let index = SphereIndex::new(targets.to_vec());
            return candidates
                .iter()
                .map(|&c| {
                    deadline.check()?;
                    Ok(straight(&index, None, c))
                })
                .collect();
        };
        let snapped = SnappedTargets::new(network.net, targets, network.snap_limit_m);
        let all = SphereIndex::new(targets.to_vec());
        let off_ids: Vec<u32> = (0..targets.len() as u32).filter(|&i| snapped.snaps[i as usize].is_none()).collect();
        let off = SphereIndex::new(off_ids.iter().map(|&i| targets[i as usize]).collect());
        let budget = self.walk_budget_m(max_minutes);
        // Walks come within the budget; one a rounding past the last zone's minutes is in it.
        let zone_of = |walk_m: f64| {
            let minutes = self.by_network(walk_m).minutes;
            zones.iter().position(|&z| minutes <= z).unwrap_or(zones.len() - 1)
        };
        let mut search = WalkSearch::new(network.net);
        candidates
            .iter()
            .map(|&c| {
                deadline.check()?;
                Ok(match network.net.snap(c, network.snap_limit_m) {
                    Some(from) => {
                        search.run(from.seeds(), budget);
                        let mut reached: Vec<(u32, usize)> =
                            snapped.reached_from(&search, &from, budget).map(|(i, walk)| (i, zone_of(walk))).collect();
                        if network.fallback {
                            reached.extend(straight(&off, Some(&off_ids), c));
                        }
                        reached
                    }
                    None if network.fallback => straight(&all, None, c),
                    None => Vec::new(),
                })
            })
            .collect()
    }
}

/// The faster of two times; the network's on a tie.
fn fastest(a: Option<Timed>, b: Option<Timed>) -> Option<Timed> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.minutes < a.minutes { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Points to snap, handed out in chunks to whichever thread asks next.
struct SharedSnapping<'a> {
    net: &'a WalkingNetwork,
    points: &'a [LonLat],
    limit_m: f64,
    next_chunk: AtomicUsize,
}

impl<'a> SharedSnapping<'a> {
    fn new(net: &'a WalkingNetwork, points: &'a [LonLat], limit_m: f64) -> Self {
        Self { net, points, limit_m, next_chunk: AtomicUsize::new(0) }
    }

    /// Snaps chunks until none is left: (where each chunk starts, its snaps).
    fn take_chunks(&self) -> Vec<(usize, Vec<Option<Snap>>)> {
        let mut done = Vec::new();
        loop {
            let start = self.next_chunk.fetch_add(1, Ordering::Relaxed) * SNAP_CHUNK;
            if start >= self.points.len() {
                return done;
            }
            let chunk = &self.points[start..(start + SNAP_CHUNK).min(self.points.len())];
            done.push((start, self.net.snap_each(chunk, self.limit_m)));
        }
    }
}

/// Walking distances from the nearest of many sources: one multi-source search, plus walks
/// along the edges sources share with targets.
struct NearestWalks<'n> {
    search: WalkSearch<'n>,
    by_edge: HashMap<(u32, u32), Vec<&'n Snap>>,
    max_m: f64,
}

impl<'n> NearestWalks<'n> {
    fn search(net: &'n WalkingNetwork, sources: &'n [Snap], max_m: f64, deadline: &Deadline) -> Result<Self, TimedOut> {
        let mut search = WalkSearch::new(net);
        search.run_until(sources.iter().flat_map(Snap::seeds), max_m, deadline)?;
        let mut by_edge: HashMap<(u32, u32), Vec<&Snap>> = HashMap::new();
        for s in sources {
            by_edge.entry((s.a, s.b)).or_default().push(s);
        }
        Ok(Self { search, by_edge, max_m })
    }

    /// The walk to `t` from the nearest source; infinite where farther than the search went.
    fn to(&self, t: &Snap) -> f64 {
        let along = self.by_edge.get(&(t.a, t.b)).into_iter().flatten().filter_map(|s| s.along_same_edge(t));
        let walk = along.fold(self.search.to_point(t), f64::min);
        if walk <= self.max_m { walk } else { f64::INFINITY }
    }
}

/// Points snapped onto a network, indexed by the nodes and edges they sit on, so that one
/// search from an origin finds every point it reaches without visiting them all.
pub struct SnappedTargets {
    snaps: Vec<Option<Snap>>,
    /// Node -> (target, walk from the node to the target).
    at_node: HashMap<u32, Vec<(u32, f64)>>,
    on_edge: HashMap<(u32, u32), Vec<u32>>,
}

impl SnappedTargets {
    pub fn new(net: &WalkingNetwork, points: &[LonLat], snap_limit_m: f64) -> Self {
        let snaps: Vec<Option<Snap>> = points.iter().map(|&p| net.snap(p, snap_limit_m)).collect();
        let mut at_node: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
        let mut on_edge: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        for (i, s) in snaps.iter().enumerate() {
            if let Some(s) = s {
                at_node.entry(s.a).or_default().push((i as u32, s.to_a_m + s.offset_m));
                at_node.entry(s.b).or_default().push((i as u32, s.to_b_m + s.offset_m));
                on_edge.entry((s.a, s.b)).or_default().push(i as u32);
            }
        }
        Self { snaps, at_node, on_edge }
    }

    /// Targets within `max_m` of the search's origin `from`, with their walks.
    pub fn reached_from<'s>(
        &'s self,
        search: &'s WalkSearch<'_>,
        from: &'s Snap,
        max_m: f64,
    ) -> impl Iterator<Item = (u32, f64)> + 's {
        let mut best: HashMap<u32, f64> = HashMap::new();
        for &node in search.reached() {
            let d = search.distance_m(node);
            for &(i, extra) in self.at_node.get(&node).into_iter().flatten() {
                let walk = d + extra;
                if walk <= max_m {
                    best.entry(i).and_modify(|w| *w = w.min(walk)).or_insert(walk);
                }
            }
        }
        for &i in self.on_edge.get(&(from.a, from.b)).into_iter().flatten() {
            if let Some(walk) = self.snaps[i as usize].as_ref().and_then(|t| from.along_same_edge(t))
                && walk <= max_m
            {
                best.entry(i).and_modify(|w| *w = w.min(walk)).or_insert(walk);
            }
        }
        best.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// A street grid of `side` x `side` nodes about 90 m apart, some streets missing.
    fn grid(seed: u64, side: u32) -> WalkingNetwork {
        let mut rng = StdRng::seed_from_u64(seed);
        let positions: Vec<LonLat> = (0..side * side)
            .map(|i| LonLat { lon: 106.2 + f64::from(i % side) * 0.001, lat: 38.4 + f64::from(i / side) * 0.0008 })
            .collect();
        let mut edges = Vec::new();
        for i in 0..side * side {
            if i % side + 1 < side && rng.random_bool(0.9) {
                edges.push((i, i + 1));
            }
            if i / side + 1 < side && rng.random_bool(0.9) {
                edges.push((i, i + side));
            }
        }
        WalkingNetwork::new(positions, edges)
    }

    /// The independent reference: Dijkstra from one point by relaxing every node's arcs until
    /// nothing changes, then the best way onto the target's edge (or along a shared edge).
    fn reference_walk(net: &WalkingNetwork, from: &Snap, to: &Snap) -> f64 {
        let mut dist = vec![f64::INFINITY; net.node_count()];
        for (n, d) in from.seeds() {
            dist[n as usize] = dist[n as usize].min(d);
        }
        loop {
            let mut changed = false;
            for a in 0..net.node_count() as u32 {
                for (b, l) in net.arcs(a) {
                    if dist[a as usize] + f64::from(l) < dist[b as usize] - 1e-9 {
                        dist[b as usize] = dist[a as usize] + f64::from(l);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let via_nodes = to.offset_m + (dist[to.a as usize] + to.to_a_m).min(dist[to.b as usize] + to.to_b_m);
        from.along_same_edge(to).map_or(via_nodes, |d| d.min(via_nodes))
    }

    fn random_points(rng: &mut StdRng, n: usize) -> Vec<LonLat> {
        (0..n)
            .map(|_| LonLat { lon: rng.random_range(106.199..106.215), lat: rng.random_range(38.399..38.412) })
            .collect()
    }

    fn network_walker(net: &WalkingNetwork, fallback: bool) -> Walker<'_> {
        Walker {
            settings: TravelSettings { speed_m_per_s: 1.0, detour_factor: 1.3 },
            network: Some(NetworkUse { net, snap_limit_m: 150.0, fallback }),
        }
    }

    #[test]
    fn times_from_a_point_equal_the_reference_walks() {
        let net = grid(1, 15);
        let mut rng = StdRng::seed_from_u64(2);
        let walker = network_walker(&net, false);
        for _ in 0..10 {
            let origin = random_points(&mut rng, 1)[0];
            let targets = random_points(&mut rng, 40);
            let Ok(times) = walker.times_from(origin, &targets, 20.0) else { continue };
            let from = net.snap(origin, 150.0).unwrap();
            for (t, got) in targets.iter().zip(times) {
                let want = net.snap(*t, 150.0).map(|to| reference_walk(&net, &from, &to) / 60.0);
                match (got, want) {
                    (Some(g), Some(w)) => assert!((g.minutes - w).abs() < 1e-3 && g.by == By::Network, "{g:?} {w}"),
                    (None, Some(w)) => assert!(w > 20.0 - 1e-3, "missed a target {w} minutes away"),
                    (Some(g), None) => panic!("{g:?} for an off-network target"),
                    (None, None) => {}
                }
            }
        }
    }

    #[test]
    fn nearest_times_and_reach_sets_agree_with_per_pair_reference_walks() {
        let net = grid(3, 15);
        let mut rng = StdRng::seed_from_u64(4);
        let sources = random_points(&mut rng, 6);
        let targets = random_points(&mut rng, 120);
        let walker = network_walker(&net, true);
        let minutes = 8.0;
        let pair = |s: LonLat, t: LonLat| -> f64 {
            match (net.snap(s, 150.0), net.snap(t, 150.0)) {
                (Some(a), Some(b)) => reference_walk(&net, &a, &b) / 60.0,
                _ => walker.settings.straight_line_minutes(geodesic_distance_m(s, t)),
            }
        };
        let nearest = walker.nearest_times(&sources, &targets, minutes, &Deadline::none()).unwrap();
        for (t, got) in targets.iter().zip(&nearest) {
            let want = sources.iter().map(|&s| pair(s, *t)).fold(f64::INFINITY, f64::min);
            match got {
                Some(g) => assert!((g.minutes - want).abs() < 1e-3, "{g:?} vs {want}"),
                None => assert!(want > minutes - 1e-3, "{want}"),
            }
        }
        let sets = walker.reach_sets(&sources, &targets, minutes, &Deadline::none()).unwrap();
        for (s, set) in sources.iter().zip(sets) {
            for (i, t) in targets.iter().enumerate() {
                let want = pair(*s, *t);
                if want < minutes - 1e-3 {
                    assert!(set.contains(&(i as u32)), "{want}");
                } else if want > minutes + 1e-3 {
                    assert!(!set.contains(&(i as u32)), "{want}");
                }
            }
        }
    }

    #[test]
    fn off_network_origins_fall_back_or_fail() {
        let net = grid(5, 5);
        let far = LonLat { lon: 106.3, lat: 38.4 };
        let near = LonLat { lon: 106.301, lat: 38.4 };
        assert_eq!(network_walker(&net, false).times_from(far, &[near], 15.0), Err(OffNetwork));
        let t = network_walker(&net, true).times_from(far, &[near], 15.0).unwrap();
        assert_eq!(t[0].map(|t| t.by), Some(By::StraightLine));
    }
}
