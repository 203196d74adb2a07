//! The single-row revision counters (facilities, residential areas, the walking network): each
//! table holds one row, id 1, whose `revision` a write bumps inside its transaction. The row
//! stays locked until commit, so writers take revisions in commit order.
//!
//! Every search first reads a counter, so those reads take a connection of their own rather
//! than one from the pool: sqlx pings each connection the pool takes back (a second round trip
//! per read, in a task of its own), which under load cost more than the read itself.

use super::{StoreError, StoreResult};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef};
use sea_orm::sqlx::{self, Connection, PgConnection, SqliteConnection};
use sea_orm::{
    ColumnTrait, ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, RuntimeErr,
};
use std::sync::Arc;

/// Bumps the revision of `E` inside `txn` and returns the new value.
pub(super) async fn bump<E>(txn: &impl ConnectionTrait, id: E::Column, revision: E::Column) -> StoreResult<i64>
where
    E: EntityTrait,
    E::Column: IntoColumnRef + Copy,
{
    E::update_many().col_expr(revision, Expr::col(revision).add(1)).filter(id.eq(1)).exec(txn).await?;
    read::<E>(txn, id, revision).await
}

/// The current revision of `E`, read on `conn` (inside a write transaction, say).
pub(super) async fn read<E>(conn: &impl ConnectionTrait, id: E::Column, revision: E::Column) -> StoreResult<i64>
where
    E: EntityTrait,
    E::Column: Copy,
{
    let value: Option<i64> = E::find().select_only().column(revision).filter(id.eq(1)).into_tuple().one(conn).await?;
    value.ok_or_else(|| StoreError::Corrupt(format!("the {} row is missing", E::default().table_name())))
}

/// Which counter to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counter {
    Facilities,
    ResidentialAreas,
    Network,
}

impl Counter {
    /// Spelled out so that the connection prepares each once and reuses it.
    fn query(self) -> &'static str {
        match self {
            Self::Facilities => "SELECT revision FROM facility_revision WHERE id = 1",
            Self::ResidentialAreas => "SELECT revision FROM residential_area_revision WHERE id = 1",
            Self::Network => "SELECT revision FROM network_revision WHERE id = 1",
        }
    }
}

/// Reads the counters on one connection outside the pool, opened with the pool's options when
/// first needed. Reads take turns (the checks that call it are already one at a time per
/// counter).
#[derive(Default)]
pub(super) struct CounterReader {
    /// `None` until first used, and again after a failed read or one abandoned midway: that
    /// connection is dropped rather than reused in an unknown state.
    conn: tokio::sync::Mutex<Option<Dedicated>>,
}

enum Dedicated {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for CounterReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CounterReader")
    }
}

impl CounterReader {
    /// The counter's current value: whatever was committed before the call is counted. Given
    /// as long as a query waits for a pooled connection, so that it fails as fast while the
    /// database is unreachable.
    pub(super) async fn read(&self, db: &DatabaseConnection, counter: Counter) -> StoreResult<i64> {
        let limit = match db.get_database_backend() {
            DbBackend::Postgres => db.get_postgres_connection_pool().options().get_acquire_timeout(),
            _ => db.get_sqlite_connection_pool().options().get_acquire_timeout(),
        };
        tokio::time::timeout(limit, self.read_unbounded(db, counter))
            .await
            .unwrap_or_else(|_| Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout).into()))
    }

    async fn read_unbounded(&self, db: &DatabaseConnection, counter: Counter) -> StoreResult<i64> {
        let mut slot = self.conn.lock().await;
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => connect(db).await.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?,
        };
        let value = match &mut conn {
            Dedicated::Postgres(c) => sqlx::query_scalar::<_, i64>(counter.query()).fetch_optional(c).await,
            Dedicated::Sqlite(c) => sqlx::query_scalar::<_, i64>(counter.query()).fetch_optional(c).await,
        }
        .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))?;
        *slot = Some(conn);
        value.ok_or_else(|| StoreError::Corrupt(format!("no revision row: {}", counter.query())))
    }

    /// Closes the connection (it is opened again when next needed).
    pub(super) async fn close(&self) {
        let conn = self.conn.lock().await.take();
        let closed = match conn {
            Some(Dedicated::Postgres(c)) => c.close().await,
            Some(Dedicated::Sqlite(c)) => c.close().await,
            None => Ok(()),
        };
        if let Err(e) = closed {
            tracing::debug!(error = %e, "closing the revision connection failed");
        }
    }
}

async fn connect(db: &DatabaseConnection) -> Result<Dedicated, sqlx::Error> {
    match db.get_database_backend() {
        DbBackend::Postgres => PgConnection::connect_with(&db.get_postgres_connection_pool().connect_options())
            .await
            .map(Dedicated::Postgres),
        _ => SqliteConnection::connect_with(&db.get_sqlite_connection_pool().connect_options())
            .await
            .map(Dedicated::Sqlite),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::{facility_revision, network_revision, residential_area_revision};
    use sea_orm::{EntityName, IdenStatic};

    /// The spelled-out queries name the entities' tables and columns.
    #[test]
    fn queries_name_the_entities_tables() {
        let expected = [
            (
                Counter::Facilities,
                facility_revision::Entity.table_name(),
                facility_revision::Column::Revision.as_str(),
                facility_revision::Column::Id.as_str(),
            ),
            (
                Counter::ResidentialAreas,
                residential_area_revision::Entity.table_name(),
                residential_area_revision::Column::Revision.as_str(),
                residential_area_revision::Column::Id.as_str(),
            ),
            (
                Counter::Network,
                network_revision::Entity.table_name(),
                network_revision::Column::Revision.as_str(),
                network_revision::Column::Id.as_str(),
            ),
        ];
        for (counter, table, revision, id) in expected {
            assert_eq!(counter.query(), format!("SELECT {revision} FROM {table} WHERE {id} = 1"));
        }
    }
}
