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
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Set when the store is closed for good: reads then fail as the pool's do, instead of
    /// opening a connection that nothing would close.
    shut: AtomicBool,
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
        if self.shut.load(Ordering::Acquire) {
            return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed).into());
        }
        let (conn, value) = match slot.take() {
            // A connection kept from earlier may have died with the server since (a restart, a
            // failover, an idle timeout): the pool tests its idle connections, this one is
            // tested by using it, and replaced once if the server has gone away from under it.
            Some(mut kept) => match query(&mut kept, counter).await {
                Err(e) if connection_lost(&e) => {
                    tracing::debug!(error = %e, "the revision connection was lost; reconnecting");
                    query_fresh(db, counter).await?
                }
                value => (kept, value),
            },
            None => query_fresh(db, counter).await?,
        };
        let value = value.map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))?;
        *slot = Some(conn);
        value.ok_or_else(|| StoreError::Corrupt(format!("no revision row: {}", counter.query())))
    }

    /// Closes the connection for good: later reads fail.
    pub(super) async fn shut(&self) {
        self.shut.store(true, Ordering::Release);
        self.close().await;
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

/// Opens a connection and reads `counter` on it.
async fn query_fresh(
    db: &DatabaseConnection,
    counter: Counter,
) -> StoreResult<(Dedicated, Result<Option<i64>, sqlx::Error>)> {
    let mut conn = connect(db).await.map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
    let value = query(&mut conn, counter).await;
    Ok((conn, value))
}

async fn query(conn: &mut Dedicated, counter: Counter) -> Result<Option<i64>, sqlx::Error> {
    match conn {
        Dedicated::Postgres(c) => sqlx::query_scalar::<_, i64>(counter.query()).fetch_optional(c).await,
        Dedicated::Sqlite(c) => sqlx::query_scalar::<_, i64>(counter.query()).fetch_optional(c).await,
    }
}

/// Whether the kept connection is gone, to be replaced: broken, or out of step with the server
/// (a protocol error, which the pool's own classification does not count).
fn connection_lost(e: &sqlx::Error) -> bool {
    super::connection_broken(e) || matches!(e, sqlx::Error::Protocol(_))
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

    /// A broken socket is a lost connection, to be replaced; a query's own failure is not.
    #[test]
    fn lost_connections_are_told_from_failed_queries() {
        let broken = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(connection_lost(&broken));
        assert!(connection_lost(&sqlx::Error::Protocol("unexpected end of stream".into())));
        assert!(!connection_lost(&sqlx::Error::RowNotFound));
        assert!(!connection_lost(&sqlx::Error::ColumnNotFound("revision".into())));
    }

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
