//! Stored walking networks.

use super::{Store, StoreResult};
use chrono::{SubsecRound, Utc};
use entity::walk_network;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

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
