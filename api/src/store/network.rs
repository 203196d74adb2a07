//! Stored walking networks.

use super::{Store, StoreError, StoreResult};
use crate::geo::network::{WalkingNetwork, decode};
use chrono::{SubsecRound, Utc};
use entity::walk_network;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use std::sync::{Arc, PoisonError, RwLock};

/// A stored network's description (without its data).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkInfo {
    pub id: i64,
    pub source: String,
    pub node_count: i32,
    pub edge_count: i32,
}

impl Store {
    /// Stores a network and removes the older ones, in one transaction: readers see either the
    /// old network or the new one, never a mix.
    pub async fn replace_walk_network(
        &self,
        source: &str,
        node_count: usize,
        edge_count: usize,
        data: Vec<u8>,
    ) -> StoreResult<NetworkInfo> {
        let txn = self.db.begin().await?;
        let saved = walk_network::ActiveModel {
            id: NotSet,
            source: Set(source.to_owned()),
            node_count: Set(node_count as i32),
            edge_count: Set(edge_count as i32),
            data: Set(data),
            imported_at: Set(Utc::now().trunc_subsecs(6)),
        }
        .insert(&txn)
        .await?;
        walk_network::Entity::delete_many().filter(walk_network::Column::Id.lt(saved.id)).exec(&txn).await?;
        txn.commit().await?;
        Ok(NetworkInfo {
            id: saved.id,
            source: saved.source,
            node_count: saved.node_count,
            edge_count: saved.edge_count,
        })
    }

    /// The current network and its encoded data, if one was imported.
    pub async fn current_walk_network(&self) -> StoreResult<Option<(NetworkInfo, Vec<u8>)>> {
        let row = walk_network::Entity::find().order_by_desc(walk_network::Column::Id).one(self.conn()).await?;
        Ok(row.map(|r| {
            (NetworkInfo { id: r.id, source: r.source, node_count: r.node_count, edge_count: r.edge_count }, r.data)
        }))
    }
}

/// The walking network this process has loaded, and which stored network it is.
#[derive(Debug)]
pub struct LoadedNetwork {
    pub info: NetworkInfo,
    pub network: WalkingNetwork,
}

/// The current network, loaded once per import: each use reads the id of the newest stored
/// network (a one-row, one-column query) and loads the data only when it changed, so a
/// network imported through any process is used by every process from its next query on.
#[derive(Debug, Default)]
pub(super) struct NetworkCache {
    loaded: RwLock<Option<Arc<LoadedNetwork>>>,
    /// One load at a time; concurrent callers wait for it and share the result.
    loader: tokio::sync::Mutex<()>,
}

impl NetworkCache {
    fn cached(&self, id: Option<i64>) -> Option<Option<Arc<LoadedNetwork>>> {
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        match (id, loaded.as_ref()) {
            (None, _) => Some(None),
            (Some(id), Some(n)) if n.info.id == id => Some(Some(Arc::clone(n))),
            _ => None,
        }
    }
}

impl Store {
    /// The newest imported walking network, if any, as of this call.
    pub async fn walking_network(&self) -> StoreResult<Option<Arc<LoadedNetwork>>> {
        let newest = self.newest_network_id().await?;
        if let Some(hit) = self.network.cached(newest) {
            return Ok(hit);
        }
        let _loading = self.network.loader.lock().await;
        let newest = self.newest_network_id().await?;
        if let Some(hit) = self.network.cached(newest) {
            return Ok(hit);
        }
        let Some((info, data)) = self.current_walk_network().await? else {
            return Ok(None);
        };
        // Building the graph and its index takes a while on a large network: off the workers.
        let loaded = tokio::task::spawn_blocking(move || {
            let (positions, edges) = decode(&data)
                .ok_or_else(|| StoreError::Corrupt(format!("walking network {} cannot be decoded", info.id)))?;
            Ok::<_, StoreError>(LoadedNetwork { info, network: WalkingNetwork::new(positions, edges) })
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("loading the walking network failed: {e}")))??;
        tracing::info!(id = loaded.info.id, nodes = loaded.network.node_count(), "loaded the walking network");
        let loaded = Arc::new(loaded);
        *self.network.loaded.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&loaded));
        Ok(Some(loaded))
    }

    async fn newest_network_id(&self) -> StoreResult<Option<i64>> {
        Ok(walk_network::Entity::find()
            .select_only()
            .column(walk_network::Column::Id)
            .order_by_desc(walk_network::Column::Id)
            .into_tuple::<i64>()
            .one(self.conn())
            .await?)
    }
}
