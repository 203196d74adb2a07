//! The single-row revision counters (facilities, residential areas, the walking network): each
//! table holds one row, id 1, whose `revision` a write bumps inside its transaction. The row
//! stays locked until commit, so writers take revisions in commit order.

use super::{StoreError, StoreResult};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// Bumps the revision of `E` inside `txn` and returns the new value.
pub(super) async fn bump<E>(txn: &impl ConnectionTrait, id: E::Column, revision: E::Column) -> StoreResult<i64>
where
    E: EntityTrait,
    E::Column: IntoColumnRef + Copy,
{
    E::update_many().col_expr(revision, Expr::col(revision).add(1)).filter(id.eq(1)).exec(txn).await?;
    read::<E>(txn, id, revision).await
}

/// The current revision of `E`.
pub(super) async fn read<E>(conn: &impl ConnectionTrait, id: E::Column, revision: E::Column) -> StoreResult<i64>
where
    E: EntityTrait,
    E::Column: Copy,
{
    let value: Option<i64> = E::find().select_only().column(revision).filter(id.eq(1)).into_tuple().one(conn).await?;
    value.ok_or_else(|| StoreError::Corrupt(format!("the {} row is missing", E::default().table_name())))
}
