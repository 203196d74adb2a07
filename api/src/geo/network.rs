//! Walking networks: a compact undirected graph in compressed sparse row form (edge lengths in
//! metres), snapping of arbitrary points onto the nearest edge, and shortest walks (single-
//! and multi-source Dijkstra, bounded by a distance budget). Pure: built from plain nodes
//! and edges, whatever their source (an OpenStreetMap import, a test).

use super::LonLat;
use super::deadline::{Deadline, TimedOut};
use super::distance::{geodesic_distance_m, short_distance_m};
use rstar::{AABB, Envelope, RTree, RTreeNode, primitives::GeomWithData, primitives::Rectangle};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Metres per degree of latitude, and of longitude on the equator, for the local projection
/// used only to find the nearest edge (distances themselves are geodesic).
const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON_EQUATOR: f64 = 111_320.0;
/// The most the local projection may overstate a distance: by cos(origin's latitude) /
/// cos(latitude), 1.25 at 12 degrees north of the origin at 45 degrees; regions the service
/// builds span far less.
const PROJECTION_STRETCH: f64 = 1.25;
/// Positions are kept as integers of 1e-7 degrees (about 1 cm), OpenStreetMap's own precision.
const FIXED_PER_DEGREE: f64 = 1e7;
/// Edges per entry of the snapping index: entries hold the bounding box of a run of edges
/// that are neighbours in Morton order, which keeps the index small (an R-tree slot costs
/// about 40 bytes whatever it holds).
const EDGES_PER_ENTRY: usize = 8;
/// Settled nodes between two deadline checks (a check reads the clock).
const DEADLINE_EVERY: u32 = 4_096;

/// An entry of the snapping index: the bounding box (local projection, metres) of up to
/// `EDGES_PER_ENTRY` edges of `edge_order` from the one it names.
type EdgeRun = GeomWithData<Rectangle<[f32; 2]>, u32>;
/// An edge found nearest so far: squared projected distance, the edge, and the fraction along
/// it from its first node.
type NearestEdge = (f64, (u32, u32), f64);

/// Points snap to components of at least this many nodes when one is within the snap limit
/// (Valhalla's `minimum_reachability` default): a fragment (a plaza outline, a footway cut off
/// by the extract's edge) strands a walk that starts on it.
pub const DEFAULT_MIN_REACHABILITY: usize = 50;

/// How a network chooses the edge a point snaps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapRule {
    /// Components with fewer nodes are snapped to only when no other edge is within the limit.
    pub min_component_nodes: usize,
    /// Nodes numbered from here on are open ends: they continue beyond what was loaded, so
    /// their components count as large whatever their size here.
    pub open_from: usize,
}

impl Default for SnapRule {
    fn default() -> Self {
        Self { min_component_nodes: DEFAULT_MIN_REACHABILITY, open_from: usize::MAX }
    }
}

/// Nodes (WGS-84) and undirected edges between them, by node number.
pub type NodesAndEdges = (Vec<LonLat>, Vec<(u32, u32)>);

/// A walking network. Nodes are numbered 0..n; every edge can be walked both ways.
#[derive(Debug, Clone)]
pub struct WalkingNetwork {
    /// Longitude and latitude in 1e-7 degrees.
    positions: Vec<[i32; 2]>,
    /// Arcs of node `i` are `offsets[i]..offsets[i + 1]` in `targets` / `lengths_m`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    lengths_m: Vec<f32>,
    /// Every edge once (lower node first): those of large components, then those of small
    /// ones, each part in Morton order of the edges' midpoints.
    edge_order: Vec<(u32, u32)>,
    /// Where the small components' edges begin in `edge_order`.
    small_from: usize,
    /// Runs of each part of `edge_order`, for snapping.
    runs: RTree<EdgeRun>,
    small_runs: RTree<EdgeRun>,
    /// The local projection: its origin and its metres per degree of longitude.
    origin: LonLat,
    m_per_deg_lon: f64,
}

/// Where a point meets the network: a position on the edge `a`-`b`, how far along it, and how
/// far the point is from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    pub a: u32,
    pub b: u32,
    /// Walking distance from the snapped position to `a` and to `b`, metres.
    pub to_a_m: f64,
    pub to_b_m: f64,
    /// Geodesic distance from the point to the snapped position, metres.
    pub offset_m: f64,
}

fn to_fixed(p: LonLat) -> [i32; 2] {
    [(p.lon * FIXED_PER_DEGREE).round() as i32, (p.lat * FIXED_PER_DEGREE).round() as i32]
}

/// Interleaves the bits of two 16-bit cell numbers (a Morton, or Z-order, code).
fn morton(x: u32, y: u32) -> u32 {
    let spread = |v: u32| {
        let mut v = v & 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    spread(x) | (spread(y) << 1)
}

/// The nearest point to `q` on the segment `a`-`b`: its squared distance and how far along.
fn nearest_on_segment(q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) };
    let (x, y) = (a[0] + t * dx - q[0], a[1] + t * dy - q[1]);
    (x * x + y * y, t)
}

impl WalkingNetwork {
    /// Builds the network. Self-loops and repeated edges are dropped; positions are rounded to
    /// 1e-7 degrees; lengths are geodesic.
    pub fn new(positions: Vec<LonLat>, edges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        Self::build(positions, edges, SnapRule::default())
    }

    /// `new`, with the snapping rule given.
    pub fn build(positions: Vec<LonLat>, edges: impl IntoIterator<Item = (u32, u32)>, rule: SnapRule) -> Self {
        let n = positions.len();
        let positions: Vec<[i32; 2]> = positions.into_iter().map(to_fixed).collect();
        let mut pairs: Vec<(u32, u32)> = edges
            .into_iter()
            .filter(|&(a, b)| a != b && (a as usize) < n && (b as usize) < n)
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0u32; n + 1];
        for &(a, b) in &pairs {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n] as usize];
        let mut lengths_m = vec![0f32; offsets[n] as usize];
        let at = |i: u32| {
            let [lon, lat] = positions[i as usize];
            LonLat { lon: f64::from(lon) / FIXED_PER_DEGREE, lat: f64::from(lat) / FIXED_PER_DEGREE }
        };
        for &(a, b) in &pairs {
            let length = short_distance_m(at(a), at(b)) as f32;
            for (from, to) in [(a, b), (b, a)] {
                let slot = fill[from as usize] as usize;
                targets[slot] = to;
                lengths_m[slot] = length;
                fill[from as usize] += 1;
            }
        }
        let mean = |f: fn(&[i32; 2]) -> i32| {
            if n == 0 {
                0.0
            } else {
                positions.iter().map(|p| f64::from(f(p))).sum::<f64>() / n as f64 / FIXED_PER_DEGREE
            }
        };
        let origin = LonLat { lon: mean(|p| p[0]), lat: mean(|p| p[1]) };
        let mut net = Self {
            positions,
            offsets,
            targets,
            lengths_m,
            edge_order: pairs,
            small_from: 0,
            runs: RTree::new(),
            small_runs: RTree::new(),
            m_per_deg_lon: M_PER_DEG_LON_EQUATOR * origin.lat.to_radians().cos().max(0.01),
            origin,
        };
        net.index_edges(rule);
        net
    }

    /// Which nodes lie in large components (or ones with an open end), by union-find.
    fn in_large_components(&self, rule: SnapRule) -> Vec<bool> {
        let n = self.node_count();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn root(parent: &mut [u32], mut v: u32) -> u32 {
            while parent[v as usize] != v {
                parent[v as usize] = parent[parent[v as usize] as usize];
                v = parent[v as usize];
            }
            v
        }
        for &(a, b) in &self.edge_order {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
        let mut size = vec![0usize; n];
        for v in 0..n as u32 {
            let r = root(&mut parent, v) as usize;
            // An open end makes its component large however few nodes it has here.
            size[r] += if v as usize >= rule.open_from { rule.min_component_nodes } else { 1 };
        }
        (0..n as u32).map(|v| size[root(&mut parent, v) as usize] >= rule.min_component_nodes).collect()
    }

    /// Orders the edges along a Morton curve, large components' first, and indexes runs of them.
    fn index_edges(&mut self, rule: SnapRule) {
        let mids: Vec<[f64; 2]> = self
            .edge_order
            .iter()
            .map(|&(a, b)| {
                let (p, q) = (self.project(self.position(a)), self.project(self.position(b)));
                [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0]
            })
            .collect();
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for m in &mids {
            for k in 0..2 {
                lo[k] = lo[k].min(m[k]);
                hi[k] = hi[k].max(m[k]);
            }
        }
        let cell = |v: f64, k: usize| (((v - lo[k]) / (hi[k] - lo[k]).max(1.0)) * 65_535.0) as u32;
        let mut keyed: Vec<(u32, (u32, u32))> =
            mids.iter().zip(&self.edge_order).map(|(m, &e)| (morton(cell(m[0], 0), cell(m[1], 1)), e)).collect();
        let large = self.in_large_components(rule);
        keyed.sort_unstable_by_key(|&(code, (a, b))| (!large[a as usize], code, a, b));
        self.edge_order = keyed.into_iter().map(|(_, e)| e).collect();
        self.small_from = self.edge_order.iter().take_while(|&&(a, _)| large[a as usize]).count();
        self.runs = RTree::bulk_load(self.index_runs(0..self.small_from));
        self.small_runs = RTree::bulk_load(self.index_runs(self.small_from..self.edge_order.len()));
    }

    /// Index entries for runs of the edges `part` of `edge_order`.
    fn index_runs(&self, part: std::ops::Range<usize>) -> Vec<EdgeRun> {
        let start = part.start;
        self.edge_order[part]
            .chunks(EDGES_PER_ENTRY)
            .enumerate()
            .map(|(i, run)| {
                let corners = run.iter().flat_map(|&(a, b)| [a, b]).map(|n| {
                    let p = self.project(self.position(n));
                    [p[0] as f32, p[1] as f32]
                });
                let mut envelope = rstar::AABB::from_point([f32::INFINITY; 2]);
                for (k, c) in corners.enumerate() {
                    let point = rstar::AABB::from_point(c);
                    envelope = if k == 0 { point } else { envelope.merged(&point) };
                }
                GeomWithData::new(Rectangle::from_aabb(envelope), (start + i * EDGES_PER_ENTRY) as u32)
            })
            .collect()
    }

    pub fn node_count(&self) -> usize {
        self.positions.len()
    }

    /// Undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    pub fn position(&self, node: u32) -> LonLat {
        let [lon, lat] = self.positions[node as usize];
        LonLat { lon: f64::from(lon) / FIXED_PER_DEGREE, lat: f64::from(lat) / FIXED_PER_DEGREE }
    }

    /// The neighbours of `node` with the edge lengths in metres.
    pub fn arcs(&self, node: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let range = self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize;
        self.targets[range.clone()].iter().copied().zip(self.lengths_m[range].iter().copied())
    }

    fn project(&self, p: LonLat) -> [f64; 2] {
        [(p.lon - self.origin.lon) * self.m_per_deg_lon, (p.lat - self.origin.lat) * M_PER_DEG_LAT]
    }

    fn unproject(&self, q: [f64; 2]) -> LonLat {
        LonLat { lon: self.origin.lon + q[0] / self.m_per_deg_lon, lat: self.origin.lat + q[1] / M_PER_DEG_LAT }
    }

    /// The nearest point of the network's large components to `p` if within `max_offset_m`
    /// metres, else the nearest point of a small one within it.
    pub fn snap(&self, p: LonLat, max_offset_m: f64) -> Option<Snap> {
        self.snap_in(&self.runs, 0..self.small_from, p, max_offset_m)
            .or_else(|| self.snap_in(&self.small_runs, self.small_from..self.edge_order.len(), p, max_offset_m))
    }

    /// The nearest point to `p` on the edges `part` of `edge_order` (indexed by `runs`).
    /// within `max_offset_m`.
    fn snap_in(
        &self,
        runs: &RTree<EdgeRun>,
        part: std::ops::Range<usize>,
        p: LonLat,
        max_offset_m: f64,
    ) -> Option<Snap> {
        let q = self.project(p);
        // Past this projected distance no edge is within `max_offset_m`.
        let beyond_m = max_offset_m * PROJECTION_STRETCH + 1.0;
        let mut best: Option<NearestEdge> = None;
        for (run, box_distance_2) in runs.nearest_neighbor_iter_with_distance_2(&[q[0] as f32, q[1] as f32]) {
            let box_distance = f64::from(box_distance_2).sqrt();
            // Boxes come nearest first; one farther than the best edge so far holds no nearer edge
            // (the margin covers rounding the boxes to f32). A point far from every edge (a
            // heatmap cell in the mountains) stops at the first box out of reach.
            if best.is_some_and(|(d2, _, _)| box_distance > d2.sqrt() + 0.01) || box_distance > beyond_m {
                break;
            }
            self.nearer_in_run(q, run.data as usize, part.end, &mut best);
        }
        let (_, edge, t) = best?;
        self.snap_onto(p, edge, t, max_offset_m)
    }

    /// Replaces `best` with the nearest edge to `q` of the run from `first` (ending by `end`)
    /// if it is nearer (ties: the lower edge).
    fn nearer_in_run(&self, q: [f64; 2], first: usize, end: usize, best: &mut Option<NearestEdge>) {
        for &(a, b) in &self.edge_order[first..(first + EDGES_PER_ENTRY).min(end)] {
            let (d2, t) = nearest_on_segment(q, self.project(self.position(a)), self.project(self.position(b)));
            if best.is_none_or(|(best_d2, best_edge, _)| (d2, (a, b)) < (best_d2, best_edge)) {
                *best = Some((d2, (a, b), t));
            }
        }
    }

    /// Each point snapped as `snap` snaps it, faster for points near one another (a heatmap's
    /// cells in index order): a point's nearest edge lies no farther than the edge the point
    /// before snapped to, so the R-tree is asked for the boxes within that distance (a
    /// rectangle query) instead of for boxes nearest first (a search that keeps a heap).
    pub fn snap_each(&self, points: &[LonLat], max_offset_m: f64) -> Vec<Option<Snap>> {
        let mut last_edge: Option<(u32, u32)> = None;
        let small = self.small_from..self.edge_order.len();
        points
            .iter()
            .map(|&p| {
                let in_large = match last_edge.and_then(|edge| self.snap_near(edge, p, max_offset_m)) {
                    Some(answer) => answer,
                    None => self.snap_in(&self.runs, 0..self.small_from, p, max_offset_m),
                };
                if let Some(s) = in_large {
                    last_edge = Some((s.a, s.b));
                }
                in_large.or_else(|| self.snap_in(&self.small_runs, small.clone(), p, max_offset_m))
            })
            .collect()
    }

    /// `snap_in` on the large components for `p`, searching only as far as `edge` (one of
    /// them) lies from it; None when that is beyond the snap limit (no bound then).
    fn snap_near(&self, edge: (u32, u32), p: LonLat, max_offset_m: f64) -> Option<Option<Snap>> {
        let q = self.project(p);
        let beyond_m = max_offset_m * PROJECTION_STRETCH + 1.0;
        let (a, b) = edge;
        let (hint_d2, _) = nearest_on_segment(q, self.project(self.position(a)), self.project(self.position(b)));
        if hint_d2.sqrt() > beyond_m {
            return None;
        }
        // The margin covers rounding the boxes and the query to f32.
        let reach = hint_d2.sqrt() + 0.5;
        let query = AABB::from_corners(
            [(q[0] - reach) as f32, (q[1] - reach) as f32],
            [(q[0] + reach) as f32, (q[1] + reach) as f32],
        );
        let mut best: Option<NearestEdge> = None;
        for run in self.runs.locate_in_envelope_intersecting(&query) {
            self.nearer_in_run(q, run.data as usize, self.small_from, &mut best);
        }
        Some(best.and_then(|(_, edge, t)| self.snap_onto(p, edge, t, max_offset_m)))
    }

    /// The snap of `p` onto `edge` at fraction `t` from its first node, if within
    /// `max_offset_m`.
    fn snap_onto(&self, p: LonLat, (a, b): (u32, u32), t: f64, max_offset_m: f64) -> Option<Snap> {
        let (pa, pb) = (self.project(self.position(a)), self.project(self.position(b)));
        let on_edge = self.unproject([pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]);
        let offset_m = geodesic_distance_m(p, on_edge);
        if offset_m > max_offset_m {
            return None;
        }
        let length = self.arcs(a).find(|&(n, _)| n == b).map_or(0.0, |(_, l)| f64::from(l));
        Some(Snap { a, b, to_a_m: length * t, to_b_m: length * (1.0 - t), offset_m })
    }

    /// Shortest walking distance from the nearest source to every node, metres; nodes farther
    /// than `max_m` are `f32::INFINITY`. Sources are (node, distance already walked).
    pub fn walk_distances(&self, sources: &[(u32, f64)], max_m: f64) -> Vec<f32> {
        let mut search = WalkSearch::new(self);
        search.run(sources.iter().copied(), max_m);
        search.dist
    }

    /// Walking distances from a point: it snaps onto the network (at most `max_offset_m`
    /// away) and walks the snap offset too. None where the network does not cover the point.
    pub fn walk_distances_from(&self, p: LonLat, max_offset_m: f64, max_m: f64) -> Option<Vec<f32>> {
        let s = self.snap(p, max_offset_m)?;
        Some(self.walk_distances(&s.seeds(), max_m))
    }

    /// Heap bytes held by the graph and its snapping index (element counts times sizes; the
    /// vectors are built at their final size).
    pub fn heap_bytes(&self) -> usize {
        fn tree_bytes<T: rstar::RTreeObject>(node: &rstar::ParentNode<T>) -> usize {
            std::mem::size_of_val(node.children())
                + node
                    .children()
                    .iter()
                    .map(|c| match c {
                        RTreeNode::Parent(p) => tree_bytes(p),
                        RTreeNode::Leaf(_) => 0,
                    })
                    .sum::<usize>()
        }
        use std::mem::size_of_val;
        size_of_val(self.positions.as_slice())
            + size_of_val(self.offsets.as_slice())
            + size_of_val(self.targets.as_slice())
            + size_of_val(self.lengths_m.as_slice())
            + size_of_val(self.edge_order.as_slice())
            + tree_bytes(self.runs.root())
            + tree_bytes(self.small_runs.root())
    }
}

impl Snap {
    /// Dijkstra seeds for a walk starting at the snapped point: both ends of its edge.
    pub fn seeds(&self) -> [(u32, f64); 2] {
        [(self.a, self.offset_m + self.to_a_m), (self.b, self.offset_m + self.to_b_m)]
    }

    /// The walk from this point to `other` along their shared edge, if they share one (a path
    /// through the edge's end nodes can be longer).
    pub fn along_same_edge(&self, other: &Snap) -> Option<f64> {
        ((self.a, self.b) == (other.a, other.b))
            .then(|| self.offset_m + (self.to_a_m - other.to_a_m).abs() + other.offset_m)
    }
}

/// A bounded Dijkstra whose buffers are kept between searches: resetting costs only the nodes
/// the previous search reached, so many small searches on a large network stay cheap.
pub struct WalkSearch<'n> {
    net: &'n WalkingNetwork,
    dist: Vec<f32>,
    reached: Vec<u32>,
    heap: BinaryHeap<Reverse<(OrderedF32, u32)>>,
}

impl<'n> WalkSearch<'n> {
    pub fn new(net: &'n WalkingNetwork) -> Self {
        Self { net, dist: vec![f32::INFINITY; net.node_count()], reached: Vec::new(), heap: BinaryHeap::new() }
    }

    /// Shortest walks from the nearest of `sources` (node, distance already walked), up to
    /// `max_m` metres.
    pub fn run(&mut self, sources: impl IntoIterator<Item = (u32, f64)>, max_m: f64) {
        // Without a deadline the search cannot time out.
        let _ = self.run_until(sources, max_m, &Deadline::none());
    }

    /// `run`, giving up once `deadline` passes (checked every few thousand settled nodes, so a
    /// search over a province's network cannot outlive its request).
    pub fn run_until(
        &mut self,
        sources: impl IntoIterator<Item = (u32, f64)>,
        max_m: f64,
        deadline: &Deadline,
    ) -> Result<(), TimedOut> {
        for &node in &self.reached {
            self.dist[node as usize] = f32::INFINITY;
        }
        self.reached.clear();
        self.heap.clear();
        for (node, d) in sources {
            let d = d as f32;
            if (node as usize) < self.dist.len() && f64::from(d) <= max_m {
                self.lower(node, d);
            }
        }
        let mut settled = 0u32;
        while let Some(Reverse((OrderedF32(d), node))) = self.heap.pop() {
            if d > self.dist[node as usize] {
                continue;
            }
            settled = settled.wrapping_add(1);
            if settled.is_multiple_of(DEADLINE_EVERY) {
                deadline.check()?;
            }
            let net = self.net;
            for (next, length) in net.arcs(node) {
                let nd = d + length;
                if f64::from(nd) <= max_m {
                    self.lower(next, nd);
                }
            }
        }
        Ok(())
    }

    fn lower(&mut self, node: u32, d: f32) {
        let slot = &mut self.dist[node as usize];
        if d < *slot {
            if slot.is_infinite() {
                self.reached.push(node);
            }
            *slot = d;
            self.heap.push(Reverse((OrderedF32(d), node)));
        }
    }

    /// The last search's distance to `node`, metres; infinite if it was not reached.
    pub fn distance_m(&self, node: u32) -> f64 {
        f64::from(self.dist[node as usize])
    }

    /// The nodes the last search reached, in the order it first reached them.
    pub fn reached(&self) -> &[u32] {
        &self.reached
    }

    /// The last search's walk to a snapped point through either end of its edge (not along
    /// the edge from a source on the same edge: see `Snap::along_same_edge`).
    pub fn to_point(&self, s: &Snap) -> f64 {
        s.offset_m + (self.distance_m(s.a) + s.to_a_m).min(self.distance_m(s.b) + s.to_b_m)
    }

    pub fn network(&self) -> &'n WalkingNetwork {
        self.net
    }
}

/// The compact binary form of a network's nodes and edges (little-endian: node count, edge
/// count, then lon/lat as f64 per node, then node pairs as u32), for storage.
pub fn encode(positions: &[LonLat], edges: &[(u32, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + positions.len() * 16 + edges.len() * 8);
    out.extend_from_slice(&(positions.len() as u32).to_le_bytes());
    out.extend_from_slice(&(edges.len() as u32).to_le_bytes());
    for p in positions {
        out.extend_from_slice(&p.lon.to_le_bytes());
        out.extend_from_slice(&p.lat.to_le_bytes());
    }
    for &(a, b) in edges {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
    }
    out
}

/// Reads what `encode` wrote; None if the bytes are not such a network.
pub fn decode(bytes: &[u8]) -> Option<NodesAndEdges> {
    let word = |at: usize| bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let float = |at: usize| bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(f64::from_le_bytes);
    let (n, m) = (word(0)? as usize, word(4)? as usize);
    if bytes.len() != 8 + n * 16 + m * 8 {
        return None;
    }
    let positions = (0..n)
        .map(|i| Some(LonLat { lon: float(8 + i * 16)?, lat: float(16 + i * 16)? }))
        .collect::<Option<Vec<_>>>()?;
    let base = 8 + n * 16;
    let edges = (0..m).map(|i| Some((word(base + i * 8)?, word(base + i * 8 + 4)?))).collect::<Option<Vec<_>>>()?;
    Some((positions, edges))
}

/// An `f32` with a total order (distances are never NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
struct OrderedF32(f32);

impl Eq for OrderedF32 {}

impl PartialOrd for OrderedF32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// A random connected-ish street grid with some diagonals and gaps.
    fn random_network(seed: u64, side: u32) -> WalkingNetwork {
        let (positions, edges) = random_streets(seed, side, 0.85);
        WalkingNetwork::new(positions, edges)
    }

    /// Grid streets, each kept with probability `keep`.
    fn random_streets(seed: u64, side: u32, keep: f64) -> NodesAndEdges {
        let mut rng = StdRng::seed_from_u64(seed);
        let positions: Vec<LonLat> = (0..side * side)
            .map(|i| LonLat {
                lon: 106.2 + f64::from(i % side) * 0.001 + rng.random_range(-0.0002..0.0002),
                lat: 38.4 + f64::from(i / side) * 0.001 + rng.random_range(-0.0002..0.0002),
            })
            .collect();
        let mut edges = Vec::new();
        for i in 0..side * side {
            let (x, y) = (i % side, i / side);
            if x + 1 < side && rng.random_bool(keep) {
                edges.push((i, i + 1));
            }
            if y + 1 < side && rng.random_bool(keep) {
                edges.push((i, i + side));
            }
            if x + 1 < side && y + 1 < side && rng.random_bool(0.1) {
                edges.push((i, i + side + 1));
            }
        }
        (positions, edges)
    }

    /// Bellman-Ford: the plainest correct shortest paths, as the independent reference.
    fn bellman_ford(net: &WalkingNetwork, sources: &[(u32, f64)]) -> Vec<f64> {
        let mut dist = vec![f64::INFINITY; net.node_count()];
        for &(s, d) in sources {
            dist[s as usize] = dist[s as usize].min(d);
        }
        loop {
            let mut changed = false;
            for a in 0..net.node_count() as u32 {
                for (b, l) in net.arcs(a) {
                    let nd = dist[a as usize] + f64::from(l);
                    if nd < dist[b as usize] - 1e-9 {
                        dist[b as usize] = nd;
                        changed = true;
                    }
                }
            }
            if !changed {
                return dist;
            }
        }
    }

    #[test]
    fn csr_holds_every_edge_both_ways_once() {
        let net = WalkingNetwork::new(
            vec![LonLat { lon: 0.0, lat: 0.0 }, LonLat { lon: 0.001, lat: 0.0 }, LonLat { lon: 0.001, lat: 0.001 }],
            [(0, 1), (1, 0), (1, 2), (2, 2), (0, 7)],
        );
        assert_eq!(net.edge_count(), 2);
        assert_eq!(net.arcs(1).map(|(t, _)| t).collect::<Vec<_>>(), vec![0, 2]);
        let l = net.arcs(0).next().unwrap().1;
        assert!((f64::from(l) - 111.319).abs() < 0.01, "{l}");
    }

    #[test]
    fn bounded_multi_source_dijkstra_equals_bellman_ford() {
        for seed in 0..5 {
            let net = random_network(seed, 25);
            let mut rng = StdRng::seed_from_u64(seed + 100);
            let sources: Vec<(u32, f64)> =
                (0..3).map(|_| (rng.random_range(0..net.node_count() as u32), rng.random_range(0.0..50.0))).collect();
            let budget = 900.0;
            let got = net.walk_distances(&sources, budget);
            let want = bellman_ford(&net, &sources);
            for (g, w) in got.iter().zip(&want) {
                if *w <= budget - 0.01 {
                    assert!((f64::from(*g) - w).abs() < 0.05, "{g} vs {w}");
                } else if *w > budget + 0.01 {
                    assert!(g.is_infinite());
                }
            }
        }
    }

    #[test]
    fn networks_survive_encoding() {
        let positions = vec![LonLat { lon: 7.42, lat: 43.73 }, LonLat { lon: -1.5, lat: 0.25 }];
        let edges = vec![(0, 1)];
        let bytes = encode(&positions, &edges);
        assert_eq!(decode(&bytes), Some((positions, edges)));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[]), None);
    }

    /// Component sizes by breadth-first search, per node.
    fn component_sizes(net: &WalkingNetwork) -> Vec<usize> {
        let mut size = vec![0; net.node_count()];
        let mut seen = vec![false; net.node_count()];
        for start in 0..net.node_count() as u32 {
            if seen[start as usize] {
                continue;
            }
            let (mut members, mut queue) = (vec![start], std::collections::VecDeque::from([start]));
            seen[start as usize] = true;
            while let Some(v) = queue.pop_front() {
                for (w, _) in net.arcs(v) {
                    if !std::mem::replace(&mut seen[w as usize], true) {
                        members.push(w);
                        queue.push_back(w);
                    }
                }
            }
            for m in &members {
                size[*m as usize] = members.len();
            }
        }
        size
    }

    #[test]
    fn snapping_points_in_a_row_gives_what_snapping_each_alone_gives() {
        // Fragments beside a large component, points along a walk (each near the one before,
        // as a heatmap's cells) with jumps, and points far from every street.
        let (positions, edges) = random_streets(11, 30, 0.52);
        let net = WalkingNetwork::new(positions, edges);
        let mut rng = StdRng::seed_from_u64(12);
        let mut points = Vec::new();
        let mut p = LonLat { lon: 106.2, lat: 38.4 };
        for i in 0..3_000 {
            p = if i % 200 == 0 {
                LonLat { lon: rng.random_range(106.17..106.26), lat: rng.random_range(38.37..38.46) }
            } else {
                LonLat {
                    lon: p.lon + rng.random_range(-0.0008..0.0008),
                    lat: p.lat + rng.random_range(-0.0008..0.0008),
                }
            };
            points.push(p);
        }
        for limit in [25.0, 60.0, 400.0] {
            let each: Vec<Option<Snap>> = points.iter().map(|&p| net.snap(p, limit)).collect();
            let in_a_row = net.snap_each(&points, limit);
            assert!(each.iter().any(Option::is_none) && each.iter().any(Option::is_some), "limit {limit}");
            assert_eq!(in_a_row, each, "limit {limit}");
        }
    }

    #[test]
    fn snapping_finds_the_nearest_edge_of_a_large_component_a_scan_of_every_edge_finds() {
        // Sparse streets (just above the percolation threshold): fragments beside a large
        // component.
        let (positions, edges) = random_streets(9, 30, 0.52);
        let net = WalkingNetwork::new(positions, edges);
        let sizes = component_sizes(&net);
        assert!(sizes.iter().any(|&s| s < DEFAULT_MIN_REACHABILITY) && sizes.iter().any(|&s| s > 500));
        let mut rng = StdRng::seed_from_u64(10);
        let edges: Vec<(u32, u32)> =
            (0..net.node_count() as u32).flat_map(|a| net.arcs(a).map(move |(b, _)| (a, b))).collect();
        let mut to_fragment_instead = 0;
        for _ in 0..500 {
            let p = LonLat { lon: rng.random_range(106.19..106.24), lat: rng.random_range(38.39..38.44) };
            let q = net.project(p);
            let nearest = |large: bool, limit_m: f64| {
                edges
                    .iter()
                    .filter(|&&(a, _)| (sizes[a as usize] >= DEFAULT_MIN_REACHABILITY) == large)
                    .map(|&(a, b)| nearest_on_segment(q, net.project(net.position(a)), net.project(net.position(b))).0)
                    .map(f64::sqrt)
                    .filter(|&d| d <= limit_m)
                    .fold(f64::INFINITY, f64::min)
            };
            for limit in [f64::INFINITY, 60.0] {
                let want = Some(nearest(true, limit)).filter(|d| d.is_finite()).or_else(|| {
                    to_fragment_instead += 1;
                    Some(nearest(false, limit)).filter(|d| d.is_finite())
                });
                let got = net.snap(p, limit).map(|s| {
                    let (pa, pb) = (net.project(net.position(s.a)), net.project(net.position(s.b)));
                    (nearest_on_segment(q, pa, pb).0.sqrt(), sizes[s.a as usize])
                });
                match (got, want) {
                    (Some((g, size)), Some(w)) => {
                        assert!((g - w).abs() < 0.01, "{g} vs {w}");
                        assert_eq!(size >= DEFAULT_MIN_REACHABILITY, nearest(true, limit).is_finite());
                    }
                    (None, None) => {}
                    other => panic!("{other:?} within {limit} m"),
                }
            }
        }
        assert!(to_fragment_instead > 0, "some points have only a fragment within 60 m");
        assert!(net.heap_bytes() < 64 * net.edge_count(), "{} bytes per edge", net.heap_bytes() / net.edge_count());
    }

    #[test]
    fn points_snap_to_the_nearest_edge_within_the_limit() {
        let net =
            WalkingNetwork::new(vec![LonLat { lon: 106.0, lat: 38.0 }, LonLat { lon: 106.01, lat: 38.0 }], [(0, 1)]);
        // 0.0001 degrees of latitude north of the middle of the edge: about 11 m.
        let s = net.snap(LonLat { lon: 106.005, lat: 38.0001 }, 500.0).unwrap();
        assert!((s.offset_m - 11.06).abs() < 0.1, "{s:?}");
        let length = f64::from(net.arcs(0).next().unwrap().1);
        assert!((s.to_a_m - length / 2.0).abs() < 1.0 && (s.to_a_m + s.to_b_m - length).abs() < 1e-6);
        assert!(net.snap(LonLat { lon: 106.005, lat: 38.01 }, 500.0).is_none(), "1.1 km away");
        let d = net.walk_distances_from(LonLat { lon: 106.0, lat: 38.0001 }, 500.0, 10_000.0).unwrap();
        assert!((f64::from(d[1]) - (length + 11.06)).abs() < 0.5, "{d:?}");
    }
}
