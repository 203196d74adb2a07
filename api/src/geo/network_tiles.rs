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

/// One tile's share of a network.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tile {
    /// Nodes in the tile: OSM id and position.
    pub nodes: Vec<(i64, LonLat)>,
    /// Edges with an end in the tile, by OSM ids (lower id first).
    pub edges: Vec<(i64, i64)>,
    /// The far ends of edges that leave the tile.
    pub foreign: Vec<(i64, LonLat)>,
}

impl Tile {
    /// The edges this tile owns: those whose lower-id end lies in it (so that every edge of a
    /// network is owned by exactly one tile).
    pub fn owned_edges(&self) -> usize {
        self.edges.iter().filter(|(a, _)| self.nodes.binary_search_by_key(a, |n| n.0).is_ok()).count()
    }
}

/// Cuts a network (positions and OSM ids by node number, edges by node numbers) into tiles.
pub fn cut(positions: &[LonLat], osm_ids: &[i64], edges: &[(u32, u32)], tile_degrees: f64) -> HashMap<TileKey, Tile> {
    let key_of: Vec<TileKey> = positions.iter().map(|&p| TileKey::of(p, tile_degrees)).collect();
    let mut tiles: HashMap<TileKey, Tile> = HashMap::new();
    for (i, (&p, &id)) in positions.iter().zip(osm_ids).enumerate() {
        tiles.entry(key_of[i]).or_default().nodes.push((id, p));
    }
    for &(a, b) in edges {
        let (a, b) = (a as usize, b as usize);
        let ids = (osm_ids[a].min(osm_ids[b]), osm_ids[a].max(osm_ids[b]));
        tiles.entry(key_of[a]).or_default().edges.push(ids);
        if key_of[b] != key_of[a] {
            tiles.entry(key_of[b]).or_default().edges.push(ids);
            tiles.entry(key_of[a]).or_default().foreign.push((osm_ids[b], positions[b]));
            tiles.entry(key_of[b]).or_default().foreign.push((osm_ids[a], positions[a]));
        }
    }
    for tile in tiles.values_mut() {
        tile.nodes.sort_unstable_by_key(|n| n.0);
        tile.edges.sort_unstable();
        tile.edges.dedup();
        tile.foreign.sort_unstable_by_key(|n| n.0);
        tile.foreign.dedup_by_key(|n| n.0);
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
    let mut joined = Joined::default();
    let mut number: HashMap<i64, u32> = HashMap::new();
    let mut edges: HashSet<(i64, i64)> = HashSet::new();
    let mut foreign: HashMap<i64, LonLat> = HashMap::new();
    for tile in tiles {
        for &(id, p) in &tile.nodes {
            number.entry(id).or_insert_with(|| {
                joined.positions.push(p);
                joined.osm_ids.push(id);
                (joined.positions.len() - 1) as u32
            });
        }
        edges.extend(tile.edges.iter().copied());
        foreign.extend(tile.foreign.iter().copied());
    }
    let mut foreign: Vec<(i64, LonLat)> = foreign.into_iter().filter(|(id, _)| !number.contains_key(id)).collect();
    foreign.sort_unstable_by_key(|n| n.0);
    joined.open_from = joined.positions.len();
    for (id, p) in foreign {
        joined.positions.push(p);
        joined.osm_ids.push(id);
        number.insert(id, (joined.positions.len() - 1) as u32);
    }
    let mut edges: Vec<(u32, u32)> =
        edges.into_iter().filter_map(|(a, b)| Some((*number.get(&a)?, *number.get(&b)?))).collect();
    edges.sort_unstable();
    joined.edges = edges;
    joined
}

/// The bytes of a tile: counts, then nodes (id, lon, lat), edges (id, id), far ends (id, lon,
/// lat), little-endian.
pub fn encode_tile(tile: &Tile) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + (tile.nodes.len() + tile.foreign.len()) * 24 + tile.edges.len() * 16);
    for count in [tile.nodes.len(), tile.edges.len(), tile.foreign.len()] {
        out.extend_from_slice(&(count as u32).to_le_bytes());
    }
    let node = |out: &mut Vec<u8>, &(id, p): &(i64, LonLat)| {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&p.lon.to_le_bytes());
        out.extend_from_slice(&p.lat.to_le_bytes());
    };
    tile.nodes.iter().for_each(|n| node(&mut out, n));
    for &(a, b) in &tile.edges {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
    }
    tile.foreign.iter().for_each(|n| node(&mut out, n));
    out
}

/// Reads what `encode_tile` wrote; None if the bytes are not a tile.
pub fn decode_tile(bytes: &[u8]) -> Option<Tile> {
    let eight = |at: usize| bytes.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok());
    let count =
        |at: usize| bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).map(|c| c as usize);
    let (n, m, f) = (count(0)?, count(4)?, count(8)?);
    if bytes.len() != 12 + (n + f) * 24 + m * 16 {
        return None;
    }
    let node = |at: usize| {
        Some((
            i64::from_le_bytes(eight(at)?),
            LonLat { lon: f64::from_le_bytes(eight(at + 8)?), lat: f64::from_le_bytes(eight(at + 16)?) },
        ))
    };
    let nodes = (0..n).map(|i| node(12 + i * 24)).collect::<Option<Vec<_>>>()?;
    let base = 12 + n * 24;
    let edges = (0..m)
        .map(|i| Some((i64::from_le_bytes(eight(base + i * 16)?), i64::from_le_bytes(eight(base + i * 16 + 8)?))))
        .collect::<Option<Vec<_>>>()?;
    let base = base + m * 16;
    let foreign = (0..f).map(|i| node(base + i * 24)).collect::<Option<Vec<_>>>()?;
    Some(Tile { nodes, edges, foreign })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder(n: usize) -> (Vec<LonLat>, Vec<i64>, Vec<(u32, u32)>) {
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
            let tiles = cut(&positions, &ids, &edges, tile_degrees);
            let joined = join(tiles.values());
            assert_eq!(by_ids(&joined.positions, &joined.osm_ids, &joined.edges), original, "{tile_degrees}");
        }
    }

    #[test]
    fn every_edge_is_owned_by_exactly_one_tile() {
        let (positions, ids, edges) = ladder(40);
        for tile_degrees in [0.05, 0.004, 0.001] {
            let tiles = cut(&positions, &ids, &edges, tile_degrees);
            assert_eq!(tiles.values().map(Tile::owned_edges).sum::<usize>(), edges.len(), "{tile_degrees}");
        }
    }

    #[test]
    fn a_tile_round_trips_through_its_bytes_and_junk_is_refused() {
        let (positions, ids, edges) = ladder(10);
        for tile in cut(&positions, &ids, &edges, 0.004).values() {
            let bytes = encode_tile(tile);
            assert_eq!(decode_tile(&bytes).as_ref(), Some(tile));
            assert_eq!(decode_tile(&bytes[..bytes.len() - 1]), None);
        }
    }

    #[test]
    fn a_tile_alone_keeps_its_border_links() {
        let (positions, ids, edges) = ladder(10);
        let tiles = cut(&positions, &ids, &edges, 0.01);
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
}
