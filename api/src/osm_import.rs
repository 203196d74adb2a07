//! Reading a walking network out of an OpenStreetMap PBF extract.
//!
//! Walkability rule: a way is walkable when its `highway` tag is one of `WALKABLE_HIGHWAYS`
//! (streets and paths people walk on; motorways, trunks, construction and proposed roads are
//! not), unless `foot` is `no`, or `access` is `no` or `private` without a `foot` value that
//! allows walking (`yes`, `designated`, `permissive`). `highway=motorway|trunk` (and links)
//! count only with such an explicit `foot` value. Every node of a walkable way becomes a network
//! node (no simplification); consecutive nodes are joined by an edge. In a clipped extract,
//! nodes a way refers to may be missing: the way is split there, and its remaining pieces are
//! kept.
//!
//! Pedestrian areas (a closed way with `highway=pedestrian` and `area=yes`, a plaza) are walked
//! along their outline and across: every two outline nodes are joined by a straight edge when
//! the line between them stays inside the area (a visibility graph, as OpenTripPlanner links
//! areas). Outlines of more than `MAX_AREA_NODES` nodes link the nodes other walkable ways
//! enter by (then the rest, at even steps) up to that many.

use crate::geo::LonLat;
use geo::{Contains, Coord, Line, LineString, Polygon};
use osmpbf::{Element, ElementReader};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Outline nodes of one pedestrian area linked across it at most (pairs grow as its square).
pub const MAX_AREA_NODES: usize = 150;

/// `highway` values a person walks along.
pub const WALKABLE_HIGHWAYS: [&str; 22] = [
    "footway",
    "pedestrian",
    "path",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "track",
    "cycleway",
    "bridleway",
    "corridor",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "elevator",
    "platform",
    "crossing",
];

/// Highways walkable only where `foot` explicitly allows it.
const FOOT_ONLY_IF_ALLOWED: [&str; 4] = ["motorway", "motorway_link", "trunk", "trunk_link"];
const FOOT_ALLOWED: [&str; 3] = ["yes", "designated", "permissive"];

/// Whether a way with these tags is walkable.
pub fn is_walkable<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    let (mut highway, mut foot, mut access) = (None, None, None);
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "foot" => foot = Some(v),
            "access" => access = Some(v),
            _ => {}
        }
    }
    let Some(highway) = highway else { return false };
    let foot_allowed = foot.is_some_and(|f| FOOT_ALLOWED.contains(&f));
    if foot == Some("no") {
        return false;
    }
    if matches!(access, Some("no" | "private")) && !foot_allowed {
        return false;
    }
    WALKABLE_HIGHWAYS.contains(&highway) || (FOOT_ONLY_IF_ALLOWED.contains(&highway) && foot_allowed)
}

/// A walking network as read: node positions (WGS-84), their OSM ids, and edges between them.
#[derive(Debug, Default)]
pub struct OsmNetwork {
    pub positions: Vec<LonLat>,
    pub osm_ids: Vec<i64>,
    pub edges: Vec<(u32, u32)>,
    /// Walkable ways read, and pieces they were split into for missing nodes.
    pub ways: usize,
    pub missing_node_refs: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {reason}")]
pub struct OsmError {
    path: String,
    // Not `source`: the message already says it, and a chain would print it twice.
    reason: String,
}

impl OsmError {
    pub(crate) fn new(path: &Path, reason: String) -> Self {
        Self { path: path.display().to_string(), reason }
    }
}

/// Reads the walking network of a PBF file (two passes: ways, then the nodes they use).
/// `progress` is told how many elements each pass has read.
pub fn read_walking_network(path: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<OsmNetwork, OsmError> {
    let error = |reason: osmpbf::Error| OsmError::new(path, reason.to_string());
    let mut ways: Vec<Vec<i64>> = Vec::new();
    // Which of `ways` are pedestrian areas.
    let mut areas: Vec<usize> = Vec::new();
    ElementReader::from_path(path)
        .map_err(error)?
        .for_each(|element| {
            if let Element::Way(way) = element
                && is_walkable(way.tags())
            {
                let refs: Vec<i64> = way.refs().collect();
                if refs.len() >= 4 && refs.first() == refs.last() && is_pedestrian_area(way.tags()) {
                    areas.push(ways.len());
                }
                ways.push(refs);
            }
            progress(1);
        })
        .map_err(error)?;
    let mut wanted: HashMap<i64, Option<LonLat>> = ways.iter().flatten().map(|&id| (id, None)).collect();
    ElementReader::from_path(path)
        .map_err(error)?
        .for_each(|element| {
            let (id, lon, lat) = match element {
                Element::Node(n) => (n.id(), n.lon(), n.lat()),
                Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
                _ => return,
            };
            if let Some(slot) = wanted.get_mut(&id) {
                *slot = Some(LonLat { lon, lat });
            }
            progress(1);
        })
        .map_err(error)?;

    let mut network = OsmNetwork { ways: ways.len(), ..OsmNetwork::default() };
    let mut index_of: HashMap<i64, u32> = HashMap::new();
    let mut node = |id: i64, p: LonLat, network: &mut OsmNetwork| {
        *index_of.entry(id).or_insert_with(|| {
            network.positions.push(p);
            network.osm_ids.push(id);
            (network.positions.len() - 1) as u32
        })
    };
    for refs in &ways {
        for pair in refs.windows(2) {
            match (wanted.get(&pair[0]).copied().flatten(), wanted.get(&pair[1]).copied().flatten()) {
                (Some(a), Some(b)) if pair[0] != pair[1] => {
                    let (ia, ib) = (node(pair[0], a, &mut network), node(pair[1], b, &mut network));
                    network.edges.push((ia.min(ib), ia.max(ib)));
                }
                _ => {}
            }
        }
        network.missing_node_refs += refs.iter().filter(|id| wanted.get(id).copied().flatten().is_none()).count();
    }
    let crossings = cross_areas(&ways, &areas, &|id| wanted.get(&id).copied().flatten());
    for (a, b) in crossings {
        if let (Some(&ia), Some(&ib)) = (index_of.get(&a), index_of.get(&b)) {
            network.edges.push((ia.min(ib), ia.max(ib)));
        }
    }
    network.edges.sort_unstable();
    network.edges.dedup();
    Ok(network)
}

pub(crate) fn is_pedestrian_area<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    let (mut pedestrian, mut area) = (false, false);
    for tag in tags {
        pedestrian |= tag == ("highway", "pedestrian");
        area |= tag == ("area", "yes");
    }
    pedestrian && area
}

/// The straight edges across each pedestrian area (`areas` index `ways`, each a closed ring):
/// pairs of outline nodes whose line stays inside the area. Areas with a node missing from the
/// extract are walked along their outline only.
fn cross_areas(ways: &[Vec<i64>], areas: &[usize], position: &dyn Fn(i64) -> Option<LonLat>) -> Vec<(i64, i64)> {
    let outline_nodes: HashSet<i64> = areas.iter().flat_map(|&w| ways[w].iter().copied()).collect();
    let touching = touching_counts(ways.iter().map(Vec::as_slice), &outline_nodes);
    let mut crossings = Vec::new();
    for &w in areas {
        let ring = &ways[w][..ways[w].len() - 1];
        let Some(points) = ring.iter().map(|&id| position(id)).collect::<Option<Vec<LonLat>>>() else {
            continue;
        };
        crossings.extend(cross_area(ring, &points, &touching));
    }
    crossings
}

/// How many walkable ways touch each outline node: two or more make it an entrance.
fn touching_counts<'a>(ways: impl Iterator<Item = &'a [i64]>, outline_nodes: &HashSet<i64>) -> HashMap<i64, u32> {
    let mut touching: HashMap<i64, u32> = HashMap::new();
    for refs in ways {
        let mut seen: Vec<i64> = refs.iter().copied().filter(|id| outline_nodes.contains(id)).collect();
        count_touching(&mut seen, &mut touching);
    }
    touching
}

/// Counts once each outline node one way touched (`nodes`, emptied).
pub(crate) fn count_touching(nodes: &mut Vec<i64>, touching: &mut HashMap<i64, u32>) {
    nodes.sort_unstable();
    nodes.dedup();
    for id in nodes.drain(..) {
        *touching.entry(id).or_default() += 1;
    }
}

/// The straight edges across one pedestrian area: `ring` its outline's node ids (without the
/// closing repeat), `points` their positions, `touching` how many ways touch each node.
pub(crate) fn cross_area(ring: &[i64], points: &[LonLat], touching: &HashMap<i64, u32>) -> Vec<(i64, i64)> {
    let mut crossings = Vec::new();
    let polygon = Polygon::new(
        LineString::from(points.iter().chain(points.first()).map(|p| (p.lon, p.lat)).collect::<Vec<_>>()),
        Vec::new(),
    );
    let mut linked: Vec<usize> = (0..ring.len()).collect();
    if linked.len() > MAX_AREA_NODES {
        // Entrances first, then the other nodes at even steps.
        linked.sort_by_key(|&i| (touching.get(&ring[i]).copied().unwrap_or(0) < 2, i));
        let entrances = linked.iter().take_while(|&&i| touching.get(&ring[i]).copied().unwrap_or(0) >= 2).count();
        let rest = linked.split_off(entrances.min(MAX_AREA_NODES));
        linked.truncate(MAX_AREA_NODES);
        let room = MAX_AREA_NODES - linked.len();
        if room > 0 && !rest.is_empty() {
            linked.extend((0..room).map(|k| rest[k * rest.len() / room]));
        }
        linked.sort_unstable();
        linked.dedup();
    }
    let at = |i: usize| Coord { x: points[i].lon, y: points[i].lat };
    for (k, &i) in linked.iter().enumerate() {
        for &j in &linked[k + 1..] {
            let neighbours = j == i + 1 || (i == 0 && j == ring.len() - 1);
            if !neighbours && ring[i] != ring[j] && polygon.contains(&Line::new(at(i), at(j))) {
                crossings.push((ring[i], ring[j]));
            }
        }
    }
    crossings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walkability_rule_reads_highway_foot_and_access() {
        let walk = |tags: &[(&str, &str)]| is_walkable(tags.iter().copied());
        assert!(walk(&[("highway", "residential")]));
        assert!(walk(&[("highway", "footway")]));
        assert!(!walk(&[("highway", "motorway")]));
        assert!(walk(&[("highway", "trunk"), ("foot", "yes")]));
        assert!(!walk(&[("highway", "residential"), ("foot", "no")]));
        assert!(!walk(&[("highway", "service"), ("access", "private")]));
        assert!(walk(&[("highway", "service"), ("access", "private"), ("foot", "permissive")]));
        assert!(!walk(&[("building", "yes")]));
        assert!(!walk(&[("highway", "construction")]));
    }

    #[test]
    fn a_plaza_is_crossed_where_the_line_stays_inside_it() {
        // An L-shaped plaza, nodes 1..=6 counterclockwise (way 3-7 enters it at node 3).
        //   6---5
        //   |   |
        //   |   4---3
        //   |       |
        //   1-------2
        let at = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0)];
        let position = |id: i64| {
            let (x, y) = at[(id - 1) as usize];
            Some(LonLat { lon: 106.0 + x * 0.001, lat: 38.0 + y * 0.001 })
        };
        let ways = vec![vec![1, 2, 3, 4, 5, 6, 1], vec![3, 7]];
        let mut got = cross_areas(&ways, &[0], &position);
        got.sort_unstable();
        // 2-5, 3-5 and 3-6 pass through the missing corner; 2-6 touches the inner corner (node
        // 4) and otherwise stays inside.
        assert_eq!(got, [(1, 3), (1, 4), (1, 5), (2, 4), (2, 6), (4, 6)]);
        // A node missing from the extract: no crossing.
        assert!(cross_areas(&ways, &[0], &|id| if id == 4 { None } else { position(id) }).is_empty());
    }
}
