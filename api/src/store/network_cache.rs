//! The walking network as each process holds it: only the regions questions reach. A region
//! is a rectangle of tiles, built into one searchable graph the first time a question needs
//! it and kept while the byte budget (`--network-cache-mib`) allows, least recently used
//! dropped first. Which tiles exist, and the revision each was written at, is the directory:
//! re-read only when the network revision moves (one small query per question otherwise), so
//! a tile re-imported through any process is rebuilt by every other on its next question.

use super::{Store, StoreError, StoreResult};
use crate::domain::Invalid;
use crate::geo::LonLat;
use crate::geo::network::{DEFAULT_MIN_REACHABILITY, SnapRule, WalkingNetwork};
use crate::geo::network_tiles::{TILE_DEGREES, TileKey, join};
use entity::network_tile;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Heap bytes a built region needs per stored edge and per node, for refusing a question
/// before building what the budget cannot hold (measured: about 45 bytes per edge with
/// nodes; see `geo::network` tests).
const ESTIMATED_BYTES_PER_EDGE: usize = 48;
const ESTIMATED_BYTES_PER_NODE: usize = 12;

pub const DEFAULT_NETWORK_CACHE_MIB: usize = 512;

/// What is stored, as of one network revision: every tile with the revision it was written
/// at and its size.
#[derive(Debug, Default)]
pub struct NetworkDirectory {
    pub revision: i64,
    tiles: BTreeMap<TileKey, StoredTile>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredTile {
    revision: i64,
    nodes: usize,
    edges: usize,
}

impl NetworkDirectory {
    /// Whether no network is stored at all.
    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// The stored tiles inside the rectangle of tiles `low..=high`, in key order.
    fn within(&self, low: TileKey, high: TileKey) -> Vec<(TileKey, StoredTile)> {
        (low.x..=high.x)
            .flat_map(|x| self.tiles.range(TileKey { x, y: low.y }..=TileKey { x, y: high.y }))
            .map(|(k, t)| (*k, *t))
            .collect()
    }
}

/// The walking network of one rectangle of tiles.
#[derive(Debug)]
pub struct LoadedNetwork {
    pub network: WalkingNetwork,
}

/// A built region: the tiles (and their revisions) it was built from.
#[derive(Debug)]
struct Region {
    tiles: Vec<(TileKey, i64)>,
    loaded: Arc<LoadedNetwork>,
    bytes: usize,
    last_used: AtomicU64,
}

impl Region {
    fn current(&self, stored: &[(TileKey, StoredTile)]) -> bool {
        self.tiles.len() == stored.len()
            && self.tiles.iter().zip(stored).all(|(a, (k, t))| a.0 == *k && a.1 == t.revision)
    }
}

type RegionKey = (TileKey, TileKey);

#[derive(Debug)]
pub(super) struct NetworkCache {
    directory: RwLock<Arc<NetworkDirectory>>,
    /// One revision check at a time; callers waiting for it share its answer.
    check: super::shared_check::SharedCheck,
    regions: Mutex<HashMap<RegionKey, Arc<Region>>>,
    /// One region built for questions at a time: concurrent questions on a cold region share
    /// one build. With the one growing in the background, at most two regions beyond the
    /// budget exist while they are being built.
    builder: tokio::sync::Mutex<()>,
    budget_bytes: AtomicUsize,
    /// Components smaller than this are snapped to only when nothing else is near.
    min_reachability: AtomicUsize,
    clock: AtomicU64,
    /// Regions built since start (for metrics and tests).
    builds: AtomicU64,
    /// Whether a region is being built a tile wider in the background (one at a time).
    widening: AtomicBool,
}

impl Default for NetworkCache {
    fn default() -> Self {
        Self {
            directory: RwLock::new(Arc::new(NetworkDirectory { revision: -1, tiles: BTreeMap::new() })),
            check: Default::default(),
            regions: Mutex::default(),
            builder: tokio::sync::Mutex::new(()),
            budget_bytes: AtomicUsize::new(DEFAULT_NETWORK_CACHE_MIB << 20),
            min_reachability: AtomicUsize::new(DEFAULT_MIN_REACHABILITY),
            clock: AtomicU64::new(0),
            builds: AtomicU64::new(0),
            widening: AtomicBool::new(false),
        }
    }
}

/// What the process holds of the walking network, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkCacheUse {
    pub regions: usize,
    pub tiles: usize,
    pub bytes: usize,
    pub budget_bytes: usize,
    pub builds: u64,
}

impl NetworkCache {
    fn directory(&self) -> Arc<NetworkDirectory> {
        Arc::clone(&self.directory.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn regions(&self) -> std::sync::MutexGuard<'_, HashMap<RegionKey, Arc<Region>>> {
        self.regions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The region built for `key`, or else the smallest current one whose rectangle holds
    /// `key`'s: a walk within reach of the question's places never leaves `key`'s rectangle,
    /// so it goes the same way in any region that holds it. (Snapping may only improve: a
    /// fragment cut by `key`'s border counts as large there and may be seen whole in a larger
    /// region.)
    fn hit(&self, directory: &NetworkDirectory, key: RegionKey) -> Option<Arc<LoadedNetwork>> {
        let regions = self.regions();
        let exact = regions.get(&key).filter(|r| r.current(&directory.within(key.0, key.1)));
        let region = exact.or_else(|| {
            regions
                .iter()
                .filter(|(k, _)| holds(**k, key))
                .filter(|(k, r)| r.current(&directory.within(k.0, k.1)))
                .min_by_key(|(_, r)| r.bytes)
                .map(|(_, r)| r)
        })?;
        region.last_used.store(self.clock.fetch_add(1, Relaxed), Relaxed);
        Some(Arc::clone(&region.loaded))
    }

    /// Keeps `region`, then drops the least recently used others until the budget holds.
    /// Regions it holds are dropped: it answers every question they would.
    fn keep(&self, key: RegionKey, region: Region) {
        let budget = self.budget_bytes.load(Relaxed);
        let mut regions = self.regions();
        regions.retain(|k, _| *k == key || !holds(key, *k));
        regions.insert(key, Arc::new(region));
        let mut total: usize = regions.values().map(|r| r.bytes).sum();
        while total > budget {
            let Some((&oldest, r)) =
                regions.iter().filter(|(k, _)| **k != key).min_by_key(|(_, r)| r.last_used.load(Relaxed))
            else {
                break;
            };
            total -= r.bytes;
            regions.remove(&oldest);
        }
    }

    pub(super) fn usage(&self) -> NetworkCacheUse {
        let regions = self.regions();
        NetworkCacheUse {
            regions: regions.len(),
            tiles: regions.values().map(|r| r.tiles.len()).sum(),
            bytes: regions.values().map(|r| r.bytes).sum(),
            budget_bytes: self.budget_bytes.load(Relaxed),
            builds: self.builds.load(Relaxed),
        }
    }
}

/// Whether the rectangle of tiles `outer` holds `inner`.
fn holds(outer: RegionKey, inner: RegionKey) -> bool {
    outer.0.x <= inner.0.x && outer.0.y <= inner.0.y && outer.1.x >= inner.1.x && outer.1.y >= inner.1.y
}

/// Regions of at most this many tiles across are also built a tile wider on every side, so
/// that the next questions nearby (a person's next search, the next random point of a load
/// test) find them already built: questions at random points across a province otherwise
/// built a region each (p99 33 ms against 4.6 ms for a search that needs no network).
const GROWN_UP_TO_TILES: i32 = 2;

/// The rectangle to build a tile wider than `key`, in the background, when `key` is small and
/// the wider one fits beside what the cache holds. Once the cache is full, regions are built
/// only as needed: on a 19.5-million-edge province, whose network is four times the budget,
/// wider regions only evicted each other (p50 29 ms against 10 ms).
fn to_grow(directory: &NetworkDirectory, key: RegionKey, budget: usize, held: usize) -> Option<RegionKey> {
    let small = key.1.x - key.0.x < GROWN_UP_TO_TILES && key.1.y - key.0.y < GROWN_UP_TO_TILES;
    let grown = (TileKey { x: key.0.x - 1, y: key.0.y - 1 }, TileKey { x: key.1.x + 1, y: key.1.y + 1 });
    let estimate = estimated_bytes(&directory.within(grown.0, grown.1));
    (small && estimate <= budget / 8 && held + estimate <= budget).then_some(grown)
}

fn estimated_bytes(stored: &[(TileKey, StoredTile)]) -> usize {
    stored.iter().map(|(_, t)| t.edges * ESTIMATED_BYTES_PER_EDGE + t.nodes * ESTIMATED_BYTES_PER_NODE).sum()
}

/// The smallest rectangle of tiles that holds the rectangle `sw`-`ne`.
pub fn tiles_covering(sw: LonLat, ne: LonLat) -> (TileKey, TileKey) {
    (TileKey::of(sw, TILE_DEGREES), TileKey::of(ne, TILE_DEGREES))
}

impl Store {
    /// Sets the byte budget of the walking-network cache (at start).
    pub fn set_network_cache_bytes(&self, bytes: usize) {
        self.network.budget_bytes.store(bytes, Relaxed);
    }

    /// Sets the smallest component points snap to when a larger one is near (at start).
    pub fn set_min_reachability(&self, nodes: usize) {
        self.network.min_reachability.store(nodes, Relaxed);
    }

    pub fn network_cache_use(&self) -> NetworkCacheUse {
        self.network.usage()
    }

    /// The stored tiles as of this call: one revision read (shared by concurrent callers), and
    /// the directory read again only when the revision moved.
    pub async fn network_directory(&self) -> StoreResult<Arc<NetworkDirectory>> {
        self.network.check.run(|| self.refresh_network_directory()).await?;
        Ok(self.network.directory())
    }

    async fn refresh_network_directory(&self) -> StoreResult<()> {
        let revision = self.counter(super::revision::Counter::Network).await?;
        if self.network.directory().revision >= revision {
            return Ok(());
        }
        // Read the revision again inside the same snapshot as the rows is not possible
        // portably; reading it first means the rows are at least that new, and a later
        // revision read reloads them again.
        let rows: Vec<(i32, i32, i64, i32, i32)> = network_tile::Entity::find()
            .select_only()
            .columns([
                network_tile::Column::TileX,
                network_tile::Column::TileY,
                network_tile::Column::Revision,
                network_tile::Column::NodeCount,
                network_tile::Column::EdgeCount,
            ])
            .into_tuple()
            .all(self.conn())
            .await?;
        let tiles = rows
            .into_iter()
            .map(|(x, y, revision, nodes, edges)| {
                let size = |c: i32| usize::try_from(c).unwrap_or(0);
                (TileKey { x, y }, StoredTile { revision, nodes: size(nodes), edges: size(edges) })
            })
            .collect();
        let directory = Arc::new(NetworkDirectory { revision, tiles });
        // Regions built from tiles that have since been replaced or removed are of no use.
        self.network.regions().retain(|&(low, high), r| r.current(&directory.within(low, high)));
        *self.network.directory.write().unwrap_or_else(PoisonError::into_inner) = directory;
        Ok(())
    }

    /// The walking network of the tiles that hold the rectangle `sw`-`ne`, as `directory`
    /// lists them: from the cache, or read and built. None when no network is stored at all;
    /// an empty network where none is stored in the rectangle. A rectangle whose network
    /// cannot fit in the cache's budget is refused.
    pub async fn walking_network_over(
        &self,
        directory: &NetworkDirectory,
        sw: LonLat,
        ne: LonLat,
    ) -> StoreResult<Option<Arc<LoadedNetwork>>> {
        if directory.is_empty() {
            return Ok(None);
        }
        let key = tiles_covering(sw, ne);
        if let Some(hit) = self.network.hit(directory, key) {
            return Ok(Some(hit));
        }
        let stored = directory.within(key.0, key.1);
        let estimate = estimated_bytes(&stored);
        let budget = self.network.budget_bytes.load(Relaxed);
        if estimate > budget {
            return Err(StoreError::Invalid(Invalid::new(format!(
                "the question reaches {} tiles of walking network (about {} MiB), more than the network cache \
                 holds ({} MiB, --network-cache-mib); narrow it (within, communityCodePrefix, a filter)",
                stored.len(),
                estimate >> 20,
                budget >> 20
            ))));
        }
        let _building = self.network.builder.lock().await;
        if let Some(hit) = self.network.hit(directory, key) {
            return Ok(Some(hit));
        }
        let region = self.build_region(key).await?;
        self.network.builds.fetch_add(1, Relaxed);
        tracing::debug!(tiles = region.tiles.len(), bytes = region.bytes, "built a walking network region");
        let loaded = Arc::clone(&region.loaded);
        region.last_used.store(self.network.clock.fetch_add(1, Relaxed), Relaxed);
        self.network.keep(key, region);
        if let Some(grown) = to_grow(directory, key, budget, self.network.usage().bytes) {
            self.grow_later(grown);
        }
        Ok(Some(loaded))
    }

    /// Reads the tiles of `key` and joins them (off the async workers).
    async fn build_region(&self, key: RegionKey) -> StoreResult<Region> {
        let rows = self.tiles_of(key).await?;
        let min_component_nodes = self.network.min_reachability.load(Relaxed);
        tokio::task::spawn_blocking(move || build_region(rows, min_component_nodes))
            .await
            .map_err(|e| StoreError::Corrupt(format!("building the walking network failed: {e}")))?
    }

    async fn tiles_of(&self, key: RegionKey) -> StoreResult<Vec<network_tile::Model>> {
        Ok(network_tile::Entity::find()
            .filter(network_tile::Column::TileX.between(key.0.x, key.1.x))
            .filter(network_tile::Column::TileY.between(key.0.y, key.1.y))
            .all(self.conn())
            .await?)
    }

    /// Builds the region `grown` in the background, on a thread at the lowest priority, unless
    /// one is being built already: the question that needed a smaller one has its answer
    /// without waiting for it (a 4 x 4-tile region took ~45 ms where its middle took ~5), and
    /// the next questions nearby find it. A failure only means they build what they need.
    fn grow_later(&self, grown: RegionKey) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let Some(growing) = Growing::start(&self.network) else { return };
        let store = self.clone();
        runtime.spawn(async move {
            let Ok(rows) = store.tiles_of(grown).await else { return };
            let min_component_nodes = store.network.min_reachability.load(Relaxed);
            // The guard moves into the thread; if the thread cannot start, dropping it here
            // lets the next question try again.
            let _ = std::thread::Builder::new().name("network-grow".into()).spawn(move || {
                crate::planning_pool::lower_priority();
                let network = Arc::clone(&growing.0);
                let built = build_region(rows, min_component_nodes);
                if let Ok(region) = &built {
                    region.last_used.store(network.clock.fetch_add(1, Relaxed), Relaxed);
                }
                // Kept only if still worth it: built from tiles replaced meanwhile it would never
                // be used, and questions may have filled the cache since the room was checked.
                let fits = |r: &Region| network.usage().bytes + r.bytes <= network.budget_bytes.load(Relaxed);
                if let Ok(region) = built
                    && region.current(&network.directory().within(grown.0, grown.1))
                    && fits(&region)
                {
                    network.keep(grown, region);
                }
                // Over before it is counted, so that whoever sees the count can start the next.
                drop(growing);
                network.builds.fetch_add(1, Relaxed);
            });
        });
    }
}

/// The one background growth under way; over when dropped (panics included).
struct Growing(Arc<NetworkCache>);

impl Growing {
    fn start(network: &Arc<NetworkCache>) -> Option<Self> {
        (!network.widening.swap(true, Relaxed)).then(|| Self(Arc::clone(network)))
    }
}

impl Drop for Growing {
    fn drop(&mut self) {
        self.0.widening.store(false, Relaxed);
    }
}

/// Joins the tiles read into one graph (off the async workers: it takes a while on a city).
fn build_region(rows: Vec<network_tile::Model>, min_component_nodes: usize) -> StoreResult<Region> {
    let mut tiles = Vec::with_capacity(rows.len());
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        let tile = super::network::decode_row(&row)?;
        keys.push((TileKey { x: row.tile_x, y: row.tile_y }, row.revision));
        tiles.push(tile);
    }
    keys.sort_unstable();
    let joined = join(tiles.iter());
    drop(tiles);
    // A component that reaches beyond the region (through a far end in a tile not loaded) may
    // be large out there: it counts as large.
    let rule = SnapRule { min_component_nodes, open_from: joined.open_from };
    let network = WalkingNetwork::build(joined.positions, joined.edges, rule);
    let bytes = network.heap_bytes();
    Ok(Region { tiles: keys, loaded: Arc::new(LoadedNetwork { network }), bytes, last_used: AtomicU64::new(0) })
}
