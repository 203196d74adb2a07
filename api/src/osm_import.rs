//! Reading a walking network out of an OpenStreetMap PBF extract.
//!
//! Walkability rule: a way is walkable when its `highway` tag is one of `WALKABLE_HIGHWAYS`
//! (streets and paths people walk on; motorways, trunks, construction and proposed roads are
//! not), unless `foot` is `no`, or `access` is `no` or `private` without a `foot` value that
//! allows walking (`yes`, `designated`, `permissive`). `highway=motorway|trunk` (and links)
//! count only with such an explicit `foot` value. Pedestrian areas (`area=yes`) are walked
//! along their outline. Every node of a walkable way becomes a network node (no
//! simplification); consecutive nodes are joined by an edge. In a clipped extract, nodes a way
//! refers to may be missing: the way is split there, and its remaining pieces are kept.

use crate::geo::LonLat;
use osmpbf::{Element, ElementReader};
use std::collections::HashMap;
use std::path::Path;

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
#[error("cannot read {path}: {source}")]
pub struct OsmError {
    path: String,
    source: osmpbf::Error,
}

/// Reads the walking network of a PBF file (two passes: ways, then the nodes they use).
/// `progress` is told how many elements each pass has read.
pub fn read_walking_network(path: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<OsmNetwork, OsmError> {
    let error = |source| OsmError { path: path.display().to_string(), source };
    let mut ways: Vec<Vec<i64>> = Vec::new();
    ElementReader::from_path(path)
        .map_err(error)?
        .for_each(|element| {
            if let Element::Way(way) = element
                && is_walkable(way.tags())
            {
                ways.push(way.refs().collect());
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
    network.edges.sort_unstable();
    network.edges.dedup();
    Ok(network)
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
}
