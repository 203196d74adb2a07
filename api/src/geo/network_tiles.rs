//! The walking network cut into tiles of a fixed longitude-latitude grid, so that an import adds
//! or replaces the tiles its area covers instead of the whole network, and so that a process
//! can later load only the tiles a question reaches.
//!
//! A tile holds the nodes that lie in it (by OpenStreetMap node id, so that tiles written by
//! different imports join where they share nodes) and every edge with at least one end in it;
//! an edge that crosses a border is in both tiles, with the far end's id and position, so that
//! each tile knows where its border links lead. Joining tiles gives back exactly the network
//! they were cut from.

use super::LonLat;
use std::collections::{HashMap, HashSet};

/// The grid: cells of 0.05 degrees (about 5.5 km north-south and 4.4 km east-west at 38 N),
/// several 15-minute walks across, numbered from (-180, -90).
pub const TILE_DEGREES: f64 = 0.05;

/// A cell of the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub x: i32,
    pub y: i32,
}

impl TileKey {
    pub fn of(p: LonLat, tile_degrees: f64) -> Self {
        Self { x: ((p.lon + 180.0) / tile_degrees).floor() as i32, y: ((p.lat + 90.0) / tile_degrees).floor() as i32 }
    }

    /// The south-west and north-east corners.
    pub fn bounds(self, tile_degrees: f64) -> (LonLat, LonLat) {
        let corner = |x: i32, y: i32| LonLat {
            lon: f64::from(x) * tile_degrees - 180.0,
            lat: f64::from(y) * tile_degrees - 90.0,
        };
        (corner(self.x, self.y), corner(self.x + 1, self.y + 1))
    }
}

/// One tile's share of a network. Each node and edge carries the import (source) it came
/// from, as an index into `sources`, so that re-importing one source replaces its part of a
/// tile and keeps what a neighbouring source wrote there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tile {
    /// The sources named by the nodes and edges.
    pub sources: Vec<String>,
    /// Nodes in the tile: OSM id, position and source, by id.
    pub nodes: Vec<(i64, LonLat, u16)>,
    /// Edges with an end in the tile, by OSM ids (lower id first), with their source.
    pub edges: Vec<(i64, i64, u16)>,
    /// The far ends of edges that leave the tile, by id.
    pub foreign: Vec<(i64, LonLat)>,
}

impl Tile {
    /// The edges this tile owns: those whose lower-id end lies in it (so that every edge of a
    /// network is owned by exactly one tile).
    pub fn owned_edges(&self) -> usize {
        self.edges.iter().filter(|(a, _, _)| self.has_node(*a)).count()
    }

    fn has_node(&self, id: i64) -> bool {
        self.nodes.binary_search_by_key(&id, |n| n.0).is_ok()
    }

    pub(crate) fn sort(&mut self) {
        // Stable: of two copies, the first pushed (the fresher import's) stays.
        self.nodes.sort_by_key(|n| n.0);
        self.nodes.dedup_by_key(|n| n.0);
        self.edges.sort_by_key(|e| (e.0, e.1));
        self.edges.dedup_by_key(|e| (e.0, e.1));
        self.foreign.retain(|n| self.nodes.binary_search_by_key(&n.0, |m| m.0).is_err());
        self.foreign.sort_unstable_by_key(|n| n.0);
        self.foreign.dedup_by_key(|n| n.0);
        // Only the sources still named, in order of first use.
        let old = std::mem::take(&mut self.sources);
        let mut used: HashMap<u16, u16> = HashMap::new();
        for s in self.nodes.iter_mut().map(|n| &mut n.2).chain(self.edges.iter_mut().map(|e| &mut e.2)) {
            *s = *used.entry(*s).or_insert_with(|| {
                self.sources.push(old.get(*s as usize).cloned().unwrap_or_default());
                (self.sources.len() - 1) as u16
            });
        }
    }

    /// This tile with `newer` (one source's fresh import of the same tile) written over it:
    /// every edge of `newer`'s source is replaced by `newer`'s, and the edges other sources
    /// wrote stay. A node stays when `newer` has it (at `newer`'s position), when another
    /// source wrote it, or when an edge of another source still ends at it; so a node two
    /// extracts share stays while either still uses it, and one only the re-imported source
    /// had goes when its new extract no longer has it.
    pub fn overwritten_by(&self, newer: &Tile) -> Tile {
        let Some(source) = newer.sources.first() else { return self.clone() };
        let replaced = self.sources.iter().position(|s| s == source).map(|i| i as u16);
        // The new source first, then this tile's (index + 1); `sort` drops the unused ones.
        let sources = std::iter::once(source.clone()).chain(self.sources.iter().cloned()).collect();
        let mut merged = Tile { sources, ..Tile::default() };
        merged.nodes = newer.nodes.iter().map(|&(id, p, _)| (id, p, 0)).collect();
        merged.edges = newer.edges.iter().map(|&(a, b, _)| (a, b, 0)).collect();
        merged.foreign = newer.foreign.clone();
        // The ends of other sources' edges, with the source that keeps them.
        let mut kept_ends: HashMap<i64, u16> = HashMap::new();
        for &(a, b, s) in self.edges.iter().filter(|e| Some(e.2) != replaced) {
            let s = s + 1;
            merged.edges.push((a, b, s));
            kept_ends.entry(a).or_insert(s);
            kept_ends.entry(b).or_insert(s);
        }
        let fresh: HashSet<i64> = newer.nodes.iter().map(|n| n.0).collect();
        for &(id, p, s) in &self.nodes {
            if fresh.contains(&id) {
                continue;
            }
            if Some(s) != replaced {
                merged.nodes.push((id, p, s + 1));
            } else if let Some(&s) = kept_ends.get(&id) {
                merged.nodes.push((id, p, s));
            }
        }
        merged.foreign.extend(self.foreign.iter().filter(|n| kept_ends.contains_key(&n.0)).copied());
        merged.sort();
        merged
    }

    /// This tile without what `source` wrote (edges left without an end in it go too): an
    /// empty import of `source` written over it.
    pub fn without(&self, source: &str) -> Tile {
        self.overwritten_by(&Tile { sources: vec![source.to_owned()], ..Tile::default() })
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty()
    }
}

/// Cuts a network (positions and OSM ids by node number, edges by node numbers), imported
/// as `source`, into tiles.
pub fn cut(
    positions: &[LonLat],
    osm_ids: &[i64],
    edges: &[(u32, u32)],
    tile_degrees: f64,
    source: &str,
) -> HashMap<TileKey, Tile> {
    let key_of: Vec<TileKey> = positions.iter().map(|&p| TileKey::of(p, tile_degrees)).collect();
    let mut tiles: HashMap<TileKey, Tile> = HashMap::new();
    fn tile<'t>(tiles: &'t mut HashMap<TileKey, Tile>, key: TileKey, source: &str) -> &'t mut Tile {
        tiles.entry(key).or_insert_with(|| Tile { sources: vec![source.to_owned()], ..Tile::default() })
    }
    for (i, (&p, &id)) in positions.iter().zip(osm_ids).enumerate() {
        tile(&mut tiles, key_of[i], source).nodes.push((id, p, 0));
    }
    for &(a, b) in edges {
        let (a, b) = (a as usize, b as usize);
        let (low, high) = (osm_ids[a].min(osm_ids[b]), osm_ids[a].max(osm_ids[b]));
        tile(&mut tiles, key_of[a], source).edges.push((low, high, 0));
        if key_of[b] != key_of[a] {
            tile(&mut tiles, key_of[b], source).edges.push((low, high, 0));
            tile(&mut tiles, key_of[a], source).foreign.push((osm_ids[b], positions[b]));
            tile(&mut tiles, key_of[b], source).foreign.push((osm_ids[a], positions[a]));
        }
    }
    for tile in tiles.values_mut() {
        tile.sort();
    }
    tiles
}

/// A network joined from tiles: positions and OSM ids by node number, and edges.
#[derive(Debug, Default)]
pub struct Joined {
    pub positions: Vec<LonLat>,
    pub osm_ids: Vec<i64>,
    pub edges: Vec<(u32, u32)>,
    /// Nodes from this number on are far ends in tiles not joined: the network goes on there.
    pub open_from: usize,
}

/// Joins tiles into one network. A node is known by its OSM id wherever it appears; an edge
/// whose far end lies in a tile that is not given ends at that end's position all the same.
pub fn join<'a>(tiles: impl IntoIterator<Item = &'a Tile>) -> Joined {
    let tiles: Vec<&Tile> = tiles.into_iter().collect();
    let mut joined = Joined::default();
    // Node ids are OSM's: no adversary picks them, so a fast hash is safe, and the default
    // SipHash was a tenth of a region's build.
    let node_count: usize = tiles.iter().map(|t| t.nodes.len()).sum();
    let mut number: FastMap<i64, u32> = FastMap::with_capacity_and_hasher(node_count, Default::default());
    let mut edges: Vec<(i64, i64)> = Vec::with_capacity(tiles.iter().map(|t| t.edges.len()).sum());
    let mut foreign: Vec<(i64, LonLat)> = Vec::new();
    for tile in &tiles {
        for &(id, p, _) in &tile.nodes {
            number.entry(id).or_insert_with(|| {
                joined.positions.push(p);
                joined.osm_ids.push(id);
                (joined.positions.len() - 1) as u32
            });
        }
        edges.extend(tile.edges.iter().map(|&(a, b, _)| (a, b)));
        foreign.extend(tile.foreign.iter().copied());
    }
    foreign.retain(|(id, _)| !number.contains_key(id));
    foreign.sort_unstable_by_key(|n| n.0);
    foreign.dedup_by_key(|n| n.0);
    joined.open_from = joined.positions.len();
    for (id, p) in foreign {
        joined.positions.push(p);
        joined.osm_ids.push(id);
        number.insert(id, (joined.positions.len() - 1) as u32);
    }
    // Lower number first, as `WalkingNetwork::build` orders them: its sort then finds them sorted.
    let mut edges: Vec<(u32, u32)> = edges
        .into_iter()
        .filter_map(|(a, b)| {
            let (a, b) = (*number.get(&a)?, *number.get(&b)?);
            Some((a.min(b), a.max(b)))
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    joined.edges = edges;
    joined
}

type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The first bytes of a tile written with sources (earlier tiles have none and one source).
const WITH_SOURCES: [u8; 4] = *b"SCT2";

/// The bytes of a tile, little-endian: a marker, counts (nodes, edges, far ends, sources),
/// the source names (length, UTF-8), then nodes (id, lon, lat, source), edges (id, id,
/// source), far ends (id, lon, lat).
pub fn encode_tile(tile: &Tile) -> Vec<u8> {
    let names: usize = tile.sources.iter().map(|s| 2 + s.len()).sum();
    let mut out =
        Vec::with_capacity(20 + names + tile.nodes.len() * 26 + tile.edges.len() * 18 + tile.foreign.len() * 24);
    out.extend_from_slice(&WITH_SOURCES);
    for count in [tile.nodes.len(), tile.edges.len(), tile.foreign.len(), tile.sources.len()] {
        out.extend_from_slice(&(count as u32).to_le_bytes());
    }
    for name in &tile.sources {
        let bytes = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let node = |out: &mut Vec<u8>, id: i64, p: LonLat| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&p.lon.to_le_bytes());
        out.extend_from_slice(&p.lat.to_le_bytes());
    };
    for &(id, p, s) in &tile.nodes {
        node(&mut out, id, p);
        out.extend_from_slice(&s.to_le_bytes());
    }
    for &(a, b, s) in &tile.edges {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
        out.extend_from_slice(&s.to_le_bytes());
    }
    tile.foreign.iter().for_each(|&(id, p)| node(&mut out, id, p));
    out
}

/// Reads what `encode_tile` wrote (or a tile of the earlier format without sources, whose
/// nodes and edges all come from `source`); None if the bytes are not a tile.
pub fn decode_tile(bytes: &[u8], source: &str) -> Option<Tile> {
    let mut r = Reader { bytes, at: 0 };
    let with_sources = bytes.starts_with(&WITH_SOURCES);
    if with_sources {
        r.at = 4;
    }
    let (n, m, f) = (r.u32()? as usize, r.u32()? as usize, r.u32()? as usize);
    let mut tile = Tile::default();
    if with_sources {
        for _ in 0..r.u32()? {
            let len = r.u16()? as usize;
            tile.sources.push(String::from_utf8(r.take(len)?.to_vec()).ok()?);
        }
    } else {
        tile.sources.push(source.to_owned());
    }
    let source_of = |r: &mut Reader| if with_sources { r.u16() } else { Some(0) };
    // Every count is checked against the bytes left before anything is allocated for it.
    let (node_bytes, edge_bytes) = if with_sources { (26, 18) } else { (24, 16) };
    if bytes.len() - r.at != n * node_bytes + m * edge_bytes + f * 24 {
        return None;
    }
    for _ in 0..n {
        tile.nodes.push((r.i64()?, r.lon_lat()?, source_of(&mut r)?));
    }
    for _ in 0..m {
        tile.edges.push((r.i64()?, r.i64()?, source_of(&mut r)?));
    }
    for _ in 0..f {
        tile.foreign.push((r.i64()?, r.lon_lat()?));
    }
    let named = tile.sources.len();
    let known = |s: u16| (s as usize) < named;
    (tile.nodes.iter().all(|n| known(n.2)) && tile.edges.iter().all(|e| known(e.2))).then_some(tile)
}

/// Reads little-endian values from the front of some bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> Option<&[u8]> {
        let taken = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(taken)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2)?.try_into().ok().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)?.try_into().ok().map(i64::from_le_bytes)
    }
    fn f64(&mut self) -> Option<f64> {
        self.take(8)?.try_into().ok().map(f64::from_le_bytes)
    }
    fn lon_lat(&mut self) -> Option<LonLat> {
        Some(LonLat { lon: self.f64()?, lat: self.f64()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder(n: usize) -> Network {
        let positions: Vec<LonLat> = (0..2 * n)
            .map(|i| LonLat { lon: 106.0 + (i / 2) as f64 * 0.003, lat: 38.0 + (i % 2) as f64 * 0.004 })
            .collect();
        let ids = (0..2 * n as i64).map(|i| 1_000 + 7 * i).collect();
        let mut edges = Vec::new();
        for i in 0..n as u32 {
            edges.push((2 * i, 2 * i + 1));
            if i + 1 < n as u32 {
                edges.push((2 * i, 2 * i + 2));
                edges.push((2 * i + 1, 2 * i + 3));
            }
        }
        (positions, ids, edges)
    }

    /// Nodes (id, position bits) and edges (ids), sorted: a network whatever its numbering.
    type ById = (Vec<(i64, [u64; 2])>, Vec<(i64, i64)>);

    fn by_ids(positions: &[LonLat], ids: &[i64], edges: &[(u32, u32)]) -> ById {
        let mut nodes: Vec<(i64, [u64; 2])> =
            ids.iter().zip(positions).map(|(&id, p)| (id, [p.lon.to_bits(), p.lat.to_bits()])).collect();
        nodes.sort_unstable();
        let mut pairs: Vec<(i64, i64)> = edges
            .iter()
            .map(|&(a, b)| (ids[a as usize].min(ids[b as usize]), ids[a as usize].max(ids[b as usize])))
            .collect();
        pairs.sort_unstable();
        (nodes, pairs)
    }

    #[test]
    fn cutting_and_joining_gives_back_the_same_network_at_every_tile_size() {
        let (positions, ids, edges) = ladder(40);
        let original = by_ids(&positions, &ids, &edges);
        for tile_degrees in [1.0, 0.05, 0.01, 0.004, 0.001] {
            let tiles = cut(&positions, &ids, &edges, tile_degrees, "ladder");
            let joined = join(tiles.values());
            assert_eq!(by_ids(&joined.positions, &joined.osm_ids, &joined.edges), original, "{tile_degrees}");
        }
    }

    #[test]
    fn every_edge_is_owned_by_exactly_one_tile() {
        let (positions, ids, edges) = ladder(40);
        for tile_degrees in [0.05, 0.004, 0.001] {
            let tiles = cut(&positions, &ids, &edges, tile_degrees, "ladder");
            assert_eq!(tiles.values().map(Tile::owned_edges).sum::<usize>(), edges.len(), "{tile_degrees}");
        }
    }

    #[test]
    fn a_tile_round_trips_through_its_bytes_and_junk_is_refused() {
        let (positions, ids, edges) = ladder(10);
        for tile in cut(&positions, &ids, &edges, 0.004, "ladder").values() {
            let bytes = encode_tile(tile);
            assert_eq!(decode_tile(&bytes, "other").as_ref(), Some(tile));
            assert_eq!(decode_tile(&bytes[..bytes.len() - 1], "other"), None);
        }
    }

    #[test]
    fn a_tile_alone_keeps_its_border_links() {
        let (positions, ids, edges) = ladder(10);
        let tiles = cut(&positions, &ids, &edges, 0.01, "ladder");
        let key = TileKey::of(positions[0], 0.01);
        let joined = join([&tiles[&key]]);
        let inside = positions.iter().filter(|&&p| TileKey::of(p, 0.01) == key).count();
        // The far ends of the two rails leaving the tile are there, one step beyond it.
        assert_eq!(joined.positions.len(), inside + 2);
        assert!(joined.edges.len() > inside);
    }

    #[test]
    fn keys_follow_the_grid() {
        let key = TileKey::of(LonLat { lon: 7.42, lat: 43.73 }, TILE_DEGREES);
        let (sw, ne) = key.bounds(TILE_DEGREES);
        assert!(sw.lon <= 7.42 && 7.42 < ne.lon && sw.lat <= 43.73 && 43.73 < ne.lat);
        assert!((ne.lon - sw.lon - TILE_DEGREES).abs() < 1e-9);
    }

    /// A tile as the earlier format wrote it: counts, nodes, edges, far ends, no sources.
    fn earlier_format(tile: &Tile) -> Vec<u8> {
        let mut out = Vec::new();
        for count in [tile.nodes.len(), tile.edges.len(), tile.foreign.len()] {
            out.extend_from_slice(&(count as u32).to_le_bytes());
        }
        let node = |out: &mut Vec<u8>, id: i64, p: LonLat| {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&p.lon.to_le_bytes());
            out.extend_from_slice(&p.lat.to_le_bytes());
        };
        tile.nodes.iter().for_each(|&(id, p, _)| node(&mut out, id, p));
        for &(a, b, _) in &tile.edges {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
        }
        tile.foreign.iter().for_each(|&(id, p)| node(&mut out, id, p));
        out
    }

    #[test]
    fn tiles_of_the_earlier_format_are_read_as_one_source() {
        let (positions, ids, edges) = ladder(10);
        for tile in cut(&positions, &ids, &edges, 0.004, "old").values() {
            assert_eq!(decode_tile(&earlier_format(tile), "old").as_ref(), Some(tile));
        }
    }

    /// Positions, OSM ids and edges of a network, as `cut` takes them.
    type Network = (Vec<LonLat>, Vec<i64>, Vec<(u32, u32)>);

    /// The ladder split between two sources: rungs 0..split from "west", the rest from
    /// "east", sharing the nodes of rung `split` (as extracts clipped at a border do).
    fn two_sources(n: usize, split: usize) -> [Network; 2] {
        let (positions, ids, edges) = ladder(n);
        let part = |keep: &dyn Fn(usize) -> bool| {
            let nodes: Vec<usize> = (0..positions.len()).filter(|&i| keep(i / 2)).collect();
            let number: HashMap<usize, u32> = nodes.iter().enumerate().map(|(k, &i)| (i, k as u32)).collect();
            let part_edges = edges
                .iter()
                .filter_map(|&(a, b)| Some((*number.get(&(a as usize))?, *number.get(&(b as usize))?)))
                .collect();
            (nodes.iter().map(|&i| positions[i]).collect(), nodes.iter().map(|&i| ids[i]).collect(), part_edges)
        };
        [part(&|rung| rung <= split), part(&|rung| rung >= split)]
    }

    /// Imports `parts` one after another into tiles of `size`, as the store does.
    fn import(parts: &[(&str, &Network)], size: f64) -> HashMap<TileKey, Tile> {
        let mut stored: HashMap<TileKey, Tile> = HashMap::new();
        for (source, (positions, ids, edges)) in parts {
            for (key, tile) in cut(positions, ids, edges, size, source) {
                let merged = match stored.get(&key) {
                    Some(old) => old.overwritten_by(&tile),
                    None => tile,
                };
                stored.insert(key, merged);
            }
        }
        stored
    }

    #[test]
    fn neighbouring_imports_keep_each_other_in_shared_tiles_and_a_reimport_leaves_no_ghosts() {
        let (positions, ids, edges) = ladder(40);
        let whole = by_ids(&positions, &ids, &edges);
        let [west, east] = two_sources(40, 17);
        for size in [0.05, 0.01, 0.004] {
            // West then east, and east then west: the whole ladder either way.
            for order in [[("west", &west), ("east", &east)], [("east", &east), ("west", &west)]] {
                let stored = import(&order, size);
                let joined = join(stored.values());
                assert_eq!(by_ids(&joined.positions, &joined.osm_ids, &joined.edges), whole, "{size}");
            }
            // West again without its last two rungs: they are gone, east's part stays.
            let (p, i, e) = &west;
            let keep: Vec<usize> = (0..p.len()).filter(|&k| k / 2 < 16 || k / 2 == 17).collect();
            let number: HashMap<usize, u32> = keep.iter().enumerate().map(|(k, &n)| (n, k as u32)).collect();
            let shorter = (
                keep.iter().map(|&k| p[k]).collect::<Vec<_>>(),
                keep.iter().map(|&k| i[k]).collect::<Vec<_>>(),
                e.iter()
                    .filter_map(|&(a, b)| Some((*number.get(&(a as usize))?, *number.get(&(b as usize))?)))
                    .collect::<Vec<_>>(),
            );
            let stored = import(&[("west", &west), ("east", &east), ("west", &shorter)], size);
            let joined = join(stored.values());
            let (nodes, pairs) = by_ids(&joined.positions, &joined.osm_ids, &joined.edges);
            let gone = ids[32];
            assert!(nodes.iter().all(|n| n.0 != gone), "{size}: node of rung 16 removed by the re-import");
            assert!(pairs.iter().all(|&(a, b)| a != gone && b != gone), "{size}");
            let east_ids: Vec<i64> = east.1.clone();
            assert!(east_ids.iter().all(|id| nodes.iter().any(|n| n.0 == *id)), "{size}: east whole");
            // Removing west leaves east alone.
            let rest: Vec<Tile> = stored.values().map(|t| t.without("west")).filter(|t| !t.is_empty()).collect();
            let joined = join(rest.iter());
            let mut east_nodes = east_ids.clone();
            east_nodes.sort_unstable();
            let got: Vec<i64> =
                by_ids(&joined.positions, &joined.osm_ids, &joined.edges).0.iter().map(|n| n.0).collect();
            let ends_of_east: usize = got.iter().filter(|id| !east_nodes.contains(id)).count();
            assert_eq!(ends_of_east, 0, "{size}: only east's nodes after removing west");
        }
    }
}
