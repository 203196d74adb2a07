//! The stored walking network, in tiles (see `geo::network_tiles`): an import writes the tiles
//! its extract covers and leaves the others, so several cities' networks live side by side.

use super::{Store, StoreError, StoreResult};
use crate::geo::LonLat;
use crate::geo::network::decode;
use crate::geo::network_tiles::{TILE_DEGREES, Tile, TileKey, cut, decode_tile, encode_tile};
use chrono::{DateTime, SubsecRound, Utc};
use entity::{network_revision, network_tile, walk_network};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::BTreeMap;

/// What one import wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkInfo {
    /// The network revision after the write.
    pub revision: i64,
    pub tiles: usize,
    pub node_count: usize,
    pub edge_count: usize,
}

/// What `network list` shows of one source: the tiles it last wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSource {
    pub source: String,
    pub tiles: usize,
    pub nodes: usize,
    pub edges: usize,
    /// South-west and north-east corners of its tiles.
    pub bounds: (LonLat, LonLat),
    pub imported_at: DateTime<Utc>,
}

/// Which tiles to remove.
#[derive(Clone, Debug)]
pub enum NetworkSelection {
    Source(String),
    /// Tiles that overlap this rectangle (south-west, north-east corners).
    Bounds(LonLat, LonLat),
}

impl Store {
    /// Writes the tiles that the network's nodes fall in, replacing what they held, in one
    /// transaction: readers see the old tiles or the new ones, never a mix. Other tiles stay.
    pub async fn import_walk_network(
        &self,
        source: &str,
        positions: &[LonLat],
        osm_ids: &[i64],
        edges: &[(u32, u32)],
    ) -> StoreResult<NetworkInfo> {
        let mut tiles: Vec<(TileKey, Tile)> =
            cut(positions, osm_ids, edges, TILE_DEGREES, source).into_iter().collect();
        tiles.sort_unstable_by_key(|(key, _)| *key);
        self.import_walk_network_tiles(source, tiles.into_iter().map(Ok)).await
    }

    /// Writes one import's tiles (each cut from the import alone, `source` its only source) as
    /// they come, in one transaction: a tile another import already wrote keeps what other
    /// sources put there (`Tile::overwritten_by`). If reading a tile fails, nothing is written.
    pub async fn import_walk_network_tiles(
        &self,
        source: &str,
        tiles: impl Iterator<Item = std::io::Result<(TileKey, Tile)>>,
    ) -> StoreResult<NetworkInfo> {
        let at = Utc::now().trunc_subsecs(6);
        let txn = self.db.begin().await?;
        let revision = next_revision(&txn).await?;
        let mut info = NetworkInfo { revision, tiles: 0, node_count: 0, edge_count: 0 };
        for tile in tiles {
            // On an error the transaction is dropped unfinished: rolled back.
            let (key, tile) = tile.map_err(|e| StoreError::Input(e.to_string()))?;
            info.tiles += 1;
            info.node_count += tile.nodes.len();
            info.edge_count += tile.owned_edges();
            let merged = match network_tile::Entity::find_by_id((key.x, key.y)).one(&txn).await? {
                Some(row) => decode_row(&row)?.overwritten_by(&tile),
                None => tile,
            };
            write_tile(&txn, source, key, &merged, at, revision).await?;
        }
        txn.commit().await?;
        Ok(info)
    }

    /// Removes a source's part of every tile (tiles left empty go), or every tile overlapping
    /// a rectangle; how many tiles were removed or changed. Removing nothing is an error and
    /// changes nothing.
    pub async fn remove_walk_network(&self, selection: &NetworkSelection) -> StoreResult<u64> {
        let txn = self.db.begin().await?;
        let changed = match selection {
            NetworkSelection::Source(source) => {
                let mut changed = 0;
                let keys: Vec<(i32, i32)> = network_tile::Entity::find()
                    .select_only()
                    .columns([network_tile::Column::TileX, network_tile::Column::TileY])
                    .into_tuple()
                    .all(&txn)
                    .await?;
                let revision = next_revision(&txn).await?;
                // A tile at a time: memory stays one tile however large the network.
                for (x, y) in keys {
                    let Some(row) = network_tile::Entity::find_by_id((x, y)).one(&txn).await? else { continue };
                    let tile = decode_row(&row)?;
                    if !tile.sources.iter().any(|s| s == source) {
                        continue;
                    }
                    changed += 1;
                    let rest = tile.without(source);
                    network_tile::Entity::delete_by_id((x, y)).exec(&txn).await?;
                    if !rest.is_empty() {
                        let writer = if row.source == *source { rest.sources[0].clone() } else { row.source };
                        network_tile::Entity::insert(tile_row(
                            &writer,
                            TileKey { x, y },
                            &rest,
                            row.imported_at,
                            revision,
                        ))
                        .exec(&txn)
                        .await?;
                    }
                }
                changed
            }
            NetworkSelection::Bounds(sw, ne) => {
                let (low, high) = (TileKey::of(*sw, TILE_DEGREES), TileKey::of(*ne, TILE_DEGREES));
                next_revision(&txn).await?;
                network_tile::Entity::delete_many()
                    .filter(network_tile::Column::TileX.between(low.x, high.x))
                    .filter(network_tile::Column::TileY.between(low.y, high.y))
                    .exec(&txn)
                    .await?
                    .rows_affected
            }
        };
        if changed == 0 {
            // Dropping the transaction rolls the revision back: nothing changed.
            return Err(StoreError::NotFound);
        }
        txn.commit().await?;
        Ok(changed)
    }

    /// The stored network by source, in source order.
    pub async fn walk_network_sources(&self) -> StoreResult<Vec<NetworkSource>> {
        let rows: Vec<(String, i32, i32, i32, i32, DateTime<Utc>)> = network_tile::Entity::find()
            .select_only()
            .columns([
                network_tile::Column::Source,
                network_tile::Column::TileX,
                network_tile::Column::TileY,
                network_tile::Column::NodeCount,
                network_tile::Column::EdgeCount,
                network_tile::Column::ImportedAt,
            ])
            .into_tuple()
            .all(self.conn())
            .await?;
        let mut sources: BTreeMap<String, NetworkSource> = BTreeMap::new();
        for (source, x, y, nodes, edges, at) in rows {
            let (sw, ne) = TileKey { x, y }.bounds(TILE_DEGREES);
            let entry = sources.entry(source.clone()).or_insert(NetworkSource {
                source,
                tiles: 0,
                nodes: 0,
                edges: 0,
                bounds: (sw, ne),
                imported_at: at,
            });
            entry.tiles += 1;
            entry.nodes += nodes as usize;
            entry.edges += edges as usize;
            let (lo, hi) = &mut entry.bounds;
            *lo = LonLat { lon: lo.lon.min(sw.lon), lat: lo.lat.min(sw.lat) };
            *hi = LonLat { lon: hi.lon.max(ne.lon), lat: hi.lat.max(ne.lat) };
            entry.imported_at = Ord::max(entry.imported_at, at);
        }
        Ok(sources.into_values().collect())
    }

    /// Moves a network stored by an earlier version (one row, no OSM ids) into tiles, its
    /// nodes numbered -1, -2, ... so that they never meet an imported OSM node.
    pub(super) async fn convert_single_row_network(&self) -> StoreResult<()> {
        let Some(row) = walk_network::Entity::find().order_by_desc(walk_network::Column::Id).one(self.conn()).await?
        else {
            return Ok(());
        };
        let (positions, edges) = decode(&row.data)
            .ok_or_else(|| StoreError::Corrupt(format!("walking network {} cannot be decoded", row.id)))?;
        let ids: Vec<i64> = (1..=positions.len() as i64).map(|i| -i).collect();
        let tiles = cut(&positions, &ids, &edges, TILE_DEGREES, &row.source);
        let txn = self.db.begin().await?;
        write_tiles(&txn, &row.source, tiles, row.imported_at).await?;
        walk_network::Entity::delete_many().exec(&txn).await?;
        txn.commit().await?;
        tracing::info!(source = %row.source, "moved the stored walking network into tiles");
        Ok(())
    }
}

/// The stored tiles among `keys`, decoded.
/// A stored tile's data.
pub(super) fn decode_row(row: &network_tile::Model) -> StoreResult<Tile> {
    decode_tile(&row.data, &row.source)
        .ok_or_else(|| StoreError::Corrupt(format!("network tile ({}, {}) cannot be decoded", row.tile_x, row.tile_y)))
}

/// Replaces the given tiles inside `txn` and bumps the network revision (returned).
async fn write_tiles(
    txn: &impl ConnectionTrait,
    source: &str,
    tiles: impl IntoIterator<Item = (TileKey, Tile)>,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let revision = next_revision(txn).await?;
    for (key, tile) in tiles {
        write_tile(txn, source, key, &tile, at, revision).await?;
    }
    Ok(revision)
}

async fn write_tile(
    txn: &impl ConnectionTrait,
    source: &str,
    key: TileKey,
    tile: &Tile,
    at: DateTime<Utc>,
    revision: i64,
) -> StoreResult<()> {
    network_tile::Entity::delete_by_id((key.x, key.y)).exec(txn).await?;
    network_tile::Entity::insert(tile_row(source, key, tile, at, revision)).exec(txn).await?;
    Ok(())
}

fn tile_row(source: &str, key: TileKey, tile: &Tile, now: DateTime<Utc>, revision: i64) -> network_tile::ActiveModel {
    network_tile::ActiveModel {
        tile_x: Set(key.x),
        tile_y: Set(key.y),
        source: Set(source.to_owned()),
        node_count: Set(tile.nodes.len() as i32),
        edge_count: Set(tile.owned_edges() as i32),
        data: Set(encode_tile(tile)),
        imported_at: Set(now),
        revision: Set(revision),
    }
}

async fn next_revision(txn: &impl ConnectionTrait) -> StoreResult<i64> {
    super::revision::bump::<network_revision::Entity>(txn, REVISION_ID, REVISION).await
}

const REVISION_ID: network_revision::Column = network_revision::Column::Id;
const REVISION: network_revision::Column = network_revision::Column::Revision;
