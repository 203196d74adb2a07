//! Reading the walking network of an OpenStreetMap extract straight into tiles, in memory
//! bounded by a budget instead of by the file's size (a province's extract holds tens of
//! millions of nodes).
//!
//! The same network as `osm_import::read_walking_network` (same walkability rule, same splits
//! at missing nodes, same plaza crossings), cut as `network_tiles::cut` cuts it, by way of
//! three external sorts whose buffers share the budget and spill to temporary files (in
//! `TMPDIR`):
//! 1. the ways' node references, by node id, merged with the file's nodes (which a PBF lists
//!    by id) to give each reference its position;
//! 2. the positioned references, by way and place in the way, to walk each way's edges;
//! 3. each edge's pieces (its ends, the edge, the far ends of border links), by tile.
//!
//! Tiles then come out one at a time. Only plaza outlines (pedestrian areas) are held whole.

use crate::geo::LonLat;
use crate::geo::network_tiles::{TILE_DEGREES, Tile, TileKey};
use crate::osm_import::{OsmError, count_touching, cross_area, is_pedestrian_area, is_walkable};
use extsort::{ExternalSorter, Sortable};
use osmpbf::{Element, ElementReader};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;

/// A way's reference to a node: the node, the way (numbered as read) and the place in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct WayRef {
    node: i64,
    way: u32,
    at: u32,
}

/// A reference with the node's position, ordered by way and place.
#[derive(Clone, Copy, Debug)]
struct PlacedRef {
    way: u32,
    at: u32,
    node: i64,
    position: LonLat,
}

/// One piece of a tile: a node, an edge (by the ids of its ends, lower first) or the far end
/// of a border link.
#[derive(Clone, Copy, Debug)]
struct TilePiece {
    tile: TileKey,
    kind: PieceKind,
    id: i64,
    other: i64,
    position: LonLat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PieceKind {
    Node = 0,
    Edge = 1,
    Foreign = 2,
}

/// What reading an extract found, and its tiles, in tile order.
pub struct WalkingTiles {
    /// Pieces of tiles read (none: the extract has no walkable way).
    pub pieces: u64,
    pub ways: usize,
    pub missing_node_refs: usize,
    pub tiles: TileStream,
}

/// Reads the walking network of a PBF file into tiles of `source`, holding at most about
/// `memory_bytes` of sort buffers. `progress` is told how many elements each pass read.
pub fn read_walking_tiles(
    path: &Path,
    source: &str,
    memory_bytes: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<WalkingTiles, OsmError> {
    let error = |reason: osmpbf::Error| OsmError::new(path, reason.to_string());
    let io = |e: std::io::Error| OsmError::new(path, format!("temporary sort files: {e}"));
    // Two sorts are alive at once (one read while the next is filled), and a buffer may
    // grow to twice its segment before it is written out.
    let segment = |record_bytes: usize| (memory_bytes / 4 / record_bytes).max(1024);

    // Pass 1: the walkable ways' references; plaza outlines kept whole.
    let mut refs = ExternalSorter::new().with_segment_size(segment(16)).pushed::<WayRef>();
    let mut ways: u32 = 0;
    let mut areas: HashMap<u32, Vec<i64>> = HashMap::new();
    let mut failed: Option<std::io::Error> = None;
    ElementReader::from_path(path)
        .map_err(error)?
        .for_each(|element| {
            progress(1);
            let Element::Way(way) = element else { return };
            if failed.is_some() || !is_walkable(way.tags()) {
                return;
            }
            let ids: Vec<i64> = way.refs().collect();
            for (at, &node) in ids.iter().enumerate() {
                if let Err(e) = refs.push(WayRef { node, way: ways, at: at as u32 }) {
                    failed.get_or_insert(e);
                }
            }
            if ids.len() >= 4 && ids.first() == ids.last() && is_pedestrian_area(way.tags()) {
                areas.insert(ways, ids);
            }
            ways += 1;
        })
        .map_err(error)?;
    if let Some(e) = failed {
        return Err(io(e));
    }
    let mut refs = refs.done().map_err(io)?.peekable();

    // Pass 2: positions for the references, the file's nodes merged in id order.
    let mut placed = ExternalSorter::new()
        .with_segment_size(segment(32))
        .pushed_by_key::<PlacedRef, _, _>(|r: &PlacedRef| (r.way, r.at));
    let mut missing = 0usize;
    let mut last_id = i64::MIN;
    let mut unsorted = false;
    ElementReader::from_path(path)
        .map_err(error)?
        .for_each(|element| {
            progress(1);
            let (id, lon, lat) = match element {
                Element::Node(n) => (n.id(), n.lon(), n.lat()),
                Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
                _ => return,
            };
            if failed.is_some() || unsorted {
                return;
            }
            if id < last_id {
                unsorted = true;
                return;
            }
            last_id = id;
            // The references to nodes up to this one: those before it are to missing nodes.
            while let Some(next) = refs.next_if(|r| !matches!(r, Ok(r) if r.node > id)) {
                let pushed = match next {
                    Err(e) => Err(e),
                    Ok(r) if r.node < id => {
                        missing += 1;
                        Ok(())
                    }
                    Ok(r) => placed.push(PlacedRef { way: r.way, at: r.at, node: id, position: LonLat { lon, lat } }),
                };
                if let Err(e) = pushed {
                    failed.get_or_insert(e);
                    break;
                }
            }
        })
        .map_err(error)?;
    if unsorted {
        return Err(OsmError::new(path, "its nodes are not in id order; sort it first (osmium sort)".to_owned()));
    }
    for r in refs {
        r.map_err(io)?;
        missing += 1;
    }
    if let Some(e) = failed {
        return Err(io(e));
    }

    // Pass 3: each way's edges, cut into tile pieces; plaza outlines and their entrances.
    let outline_nodes: HashSet<i64> = areas.values().flatten().copied().collect();
    let mut touching: HashMap<i64, u32> = HashMap::new();
    let mut outlines: HashMap<u32, Vec<Option<LonLat>>> =
        areas.iter().map(|(&w, ids)| (w, vec![None; ids.len()])).collect();
    let mut pieces = ExternalSorter::new().with_segment_size(segment(48)).pushed_by_key::<TilePiece, _, _>(|p| {
        (p.tile, p.kind, p.id, p.other, p.position.lon.to_bits(), p.position.lat.to_bits())
    });
    let mut push_edge = |a: (i64, LonLat), b: (i64, LonLat)| -> std::io::Result<()> {
        for piece in edge_pieces(a, b) {
            pieces.push(piece)?;
        }
        Ok(())
    };
    let mut previous: Option<PlacedRef> = None;
    let mut way_outline_nodes: Vec<i64> = Vec::new();
    let placed = placed.done().map_err(io)?;
    for r in placed {
        let r = r.map_err(io)?;
        if previous.is_some_and(|p| p.way != r.way) {
            count_touching(&mut way_outline_nodes, &mut touching);
        }
        if outline_nodes.contains(&r.node) {
            way_outline_nodes.push(r.node);
        }
        if let Some(slot) = outlines.get_mut(&r.way).and_then(|o| o.get_mut(r.at as usize)) {
            *slot = Some(r.position);
        }
        if let Some(p) = previous
            && p.way == r.way
            && p.at + 1 == r.at
            && p.node != r.node
        {
            push_edge((p.node, p.position), (r.node, r.position)).map_err(io)?;
        }
        previous = Some(r);
    }
    count_touching(&mut way_outline_nodes, &mut touching);
    let mut area_ways: Vec<u32> = areas.keys().copied().collect();
    area_ways.sort_unstable();
    for w in area_ways {
        let (ids, points) = (&areas[&w], &outlines[&w]);
        let ring = &ids[..ids.len() - 1];
        let Some(points) = points[..ring.len()].iter().copied().collect::<Option<Vec<LonLat>>>() else { continue };
        let at: HashMap<i64, LonLat> = ring.iter().copied().zip(points.iter().copied()).collect();
        for (a, b) in cross_area(ring, &points, &touching) {
            push_edge((a, at[&a]), (b, at[&b])).map_err(io)?;
        }
    }
    let pieces = pieces.done().map_err(io)?;
    let count = pieces.sorted_count();
    let pieces: Box<dyn Iterator<Item = std::io::Result<TilePiece>> + Send> = Box::new(pieces);
    Ok(WalkingTiles {
        pieces: count,
        ways: ways as usize,
        missing_node_refs: missing,
        tiles: TileStream { pieces: pieces.peekable(), source: source.to_owned() },
    })
}

/// The pieces of an edge between two positioned nodes: both ends, the edge in each end's tile,
/// and across a border the far end in each.
fn edge_pieces(a: (i64, LonLat), b: (i64, LonLat)) -> Vec<TilePiece> {
    let (ka, kb) = (TileKey::of(a.1, TILE_DEGREES), TileKey::of(b.1, TILE_DEGREES));
    let (low, high) = (a.0.min(b.0), a.0.max(b.0));
    let piece = |tile, kind, id, other, position| TilePiece { tile, kind, id, other, position };
    let nowhere = LonLat { lon: 0.0, lat: 0.0 };
    let mut pieces = vec![
        piece(ka, PieceKind::Node, a.0, 0, a.1),
        piece(kb, PieceKind::Node, b.0, 0, b.1),
        piece(ka, PieceKind::Edge, low, high, nowhere),
    ];
    if ka != kb {
        pieces.push(piece(kb, PieceKind::Edge, low, high, nowhere));
        pieces.push(piece(ka, PieceKind::Foreign, b.0, 0, b.1));
        pieces.push(piece(kb, PieceKind::Foreign, a.0, 0, a.1));
    }
    pieces
}

/// The tiles of an extract, one at a time in tile order.
pub struct TileStream {
    pieces: std::iter::Peekable<Box<dyn Iterator<Item = std::io::Result<TilePiece>> + Send>>,
    source: String,
}

impl Iterator for TileStream {
    type Item = std::io::Result<(TileKey, Tile)>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = match self.pieces.next()? {
            Ok(piece) => piece,
            Err(e) => return Some(Err(e)),
        };
        let mut tile = Tile { sources: vec![self.source.clone()], ..Tile::default() };
        add(&mut tile, first);
        loop {
            match self.pieces.peek() {
                Some(Ok(piece)) if piece.tile == first.tile => {
                    let piece = *piece;
                    add(&mut tile, piece);
                    self.pieces.next();
                }
                Some(Err(_)) => return self.pieces.next().and_then(Result::err).map(Err),
                _ => break,
            }
        }
        tile.sort();
        Some(Ok((first.tile, tile)))
    }
}

fn add(tile: &mut Tile, piece: TilePiece) {
    match piece.kind {
        PieceKind::Node => tile.nodes.push((piece.id, piece.position, 0)),
        PieceKind::Edge => tile.edges.push((piece.id, piece.other, 0)),
        PieceKind::Foreign => tile.foreign.push((piece.id, piece.position)),
    }
}

impl Sortable for WayRef {
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.node.to_le_bytes())?;
        w.write_all(&self.way.to_le_bytes())?;
        w.write_all(&self.at.to_le_bytes())
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let mut b = [0u8; 16];
        r.read_exact(&mut b)?;
        Ok(Self { node: i64_at(&b, 0), way: u32_at(&b, 8), at: u32_at(&b, 12) })
    }
}

impl Sortable for PlacedRef {
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.way.to_le_bytes())?;
        w.write_all(&self.at.to_le_bytes())?;
        w.write_all(&self.node.to_le_bytes())?;
        w.write_all(&self.position.lon.to_le_bytes())?;
        w.write_all(&self.position.lat.to_le_bytes())
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let mut b = [0u8; 32];
        r.read_exact(&mut b)?;
        Ok(Self { way: u32_at(&b, 0), at: u32_at(&b, 4), node: i64_at(&b, 8), position: lon_lat_at(&b, 16) })
    }
}

impl Sortable for TilePiece {
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.tile.x.to_le_bytes())?;
        w.write_all(&self.tile.y.to_le_bytes())?;
        w.write_all(&[self.kind as u8])?;
        w.write_all(&self.id.to_le_bytes())?;
        w.write_all(&self.other.to_le_bytes())?;
        w.write_all(&self.position.lon.to_le_bytes())?;
        w.write_all(&self.position.lat.to_le_bytes())
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let mut b = [0u8; 41];
        r.read_exact(&mut b)?;
        let kind = match b[8] {
            0 => PieceKind::Node,
            1 => PieceKind::Edge,
            2 => PieceKind::Foreign,
            _ => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a tile piece")),
        };
        let tile = TileKey { x: u32_at(&b, 0) as i32, y: u32_at(&b, 4) as i32 };
        Ok(Self { tile, kind, id: i64_at(&b, 9), other: i64_at(&b, 17), position: lon_lat_at(&b, 25) })
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    i64::from_le_bytes(v)
}

fn lon_lat_at(b: &[u8], at: usize) -> LonLat {
    LonLat { lon: f64::from_bits(i64_at(b, at) as u64), lat: f64::from_bits(i64_at(b, at + 8) as u64) }
}
