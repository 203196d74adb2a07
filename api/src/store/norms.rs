//! Loaded life-circle norm sets, one row each, the set as JSON. Read on every compliance
//! question (one row by key), so every process answers with the set last loaded in any of them.

use super::{Store, StoreError, StoreResult};
use crate::domain::norms::NormSet;
use chrono::{DateTime, SubsecRound, Utc};
use entity::norm_set;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

/// A loaded norm set with its version and who loaded it when.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredNorms {
    pub set: NormSet,
    pub version: i32,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

impl Store {
    pub async fn norm_set(&self, name: &str) -> StoreResult<Option<StoredNorms>> {
        norm_set::Entity::find_by_id(name.to_owned()).one(self.conn()).await?.map(to_domain).transpose()
    }

    /// Every loaded set, by name.
    pub async fn norm_sets(&self) -> StoreResult<Vec<StoredNorms>> {
        let rows = norm_set::Entity::find().order_by_asc(norm_set::Column::Name).all(self.conn()).await?;
        rows.into_iter().map(to_domain).collect()
    }

    /// Stores `set` (already checked) under its name: version 1, or one more than the set it
    /// replaces. Two loads of one name at once: one wins, the other is a conflict.
    pub async fn load_norms(&self, set: &NormSet, actor: &str) -> StoreResult<StoredNorms> {
        let definition = serde_json::to_string(set).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let loaded_at = Utc::now().trunc_subsecs(6);
        let txn = self.db.begin().await?;
        let current = norm_set::Entity::find_by_id(set.name.clone()).one(&txn).await?;
        let conflict =
            || StoreError::Conflict(format!("the norm set {:?} was loaded concurrently; load it again", set.name));
        let version = match current {
            None => {
                let inserted = norm_set::Entity::insert(norm_set::ActiveModel {
                    name: Set(set.name.clone()),
                    definition: Set(definition),
                    version: Set(1),
                    loaded_at: Set(loaded_at),
                    loaded_by: Set(actor.to_owned()),
                })
                .exec(&txn)
                .await;
                if let Err(e) = inserted {
                    txn.rollback().await?;
                    return Err(match e.sql_err() {
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => conflict(),
                        _ => e.into(),
                    });
                }
                1
            }
            Some(row) => {
                let version = row.version.saturating_add(1);
                let updated = norm_set::Entity::update_many()
                    .set(norm_set::ActiveModel {
                        definition: Set(definition),
                        version: Set(version),
                        loaded_at: Set(loaded_at),
                        loaded_by: Set(actor.to_owned()),
                        ..Default::default()
                    })
                    .filter(norm_set::Column::Name.eq(set.name.clone()))
                    .filter(norm_set::Column::Version.eq(row.version))
                    .exec(&txn)
                    .await?;
                if updated.rows_affected != 1 {
                    txn.rollback().await?;
                    return Err(conflict());
                }
                version
            }
        };
        txn.commit().await?;
        Ok(StoredNorms { set: set.clone(), version, loaded_at, loaded_by: actor.to_owned() })
    }

    /// Removes the set named `name`; not found if there is none.
    pub async fn remove_norms(&self, name: &str) -> StoreResult<()> {
        let deleted = norm_set::Entity::delete_by_id(name.to_owned()).exec(self.conn()).await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn to_domain(row: norm_set::Model) -> StoreResult<StoredNorms> {
    let set: NormSet = serde_json::from_str(&row.definition)
        .map_err(|e| StoreError::Corrupt(format!("norm set {:?}: {e}", row.name)))?;
    Ok(StoredNorms { set, version: row.version, loaded_at: row.loaded_at, loaded_by: row.loaded_by })
}
