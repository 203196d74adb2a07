//! Every database query. Typed ids and domain types in, domain types out; the only module
//! that speaks SeaORM. What is kept between requests (facilities, the walking network) is
//! checked against the database on every use: the database is the truth,
//! so several processes can share one PostgreSQL.

mod area_cache;
mod changes;
mod facility;
mod facility_cache;
mod history;
mod holidays;
mod interned;
mod network;
mod network_cache;
mod norms;
mod residents;
mod revision;
mod shared_check;
mod tokens;

pub use area_cache::Areas;
pub use changes::{ChangeKind, FacilityChange, FeedEvent};
pub use facility::FacilityImport;
pub use facility_cache::{FacilityMark, Located};
pub use history::{FacilityRevision, RevisionAction};
pub use holidays::CalendarLoad;
pub use network::{NetworkInfo, NetworkSelection, NetworkSource};
pub use network_cache::{DEFAULT_NETWORK_CACHE_MIB, LoadedNetwork, NetworkCacheUse, NetworkDirectory};
pub use norms::StoredNorms;
pub use residents::AreaImport;
pub use tokens::TokenRecord;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::time::Duration;

/// What can go wrong in the store, in terms the GraphQL layer can turn into error codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("version {given} is stale; the current version is {current}")]
    StaleVersion { given: i32, current: i32 },
    #[error("no recorded state has version {0}")]
    NoSuchRevision(i32),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// What was being imported could not be read (nothing was written).
    #[error("cannot read the import: {0}")]
    Input(String),
    #[error(transparent)]
    Invalid(#[from] crate::domain::Invalid),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Whether `e` says the connection it came from broke (the socket, or the server ending the
/// session or going away) rather than the statement failing: another connection may succeed.
pub fn connection_broken(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_) | Error::Tls(_) => true,
        Error::Database(db) => db.code().is_some_and(|code| server_going_away(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a server going away or full: 08 (connection exception), 57P
/// (operator intervention: shutdown, crash, cannot connect now), 53300 (too many connections).
fn server_going_away(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || sqlstate.starts_with("57P") || sqlstate == "53300"
}

/// The handle every resolver uses. Cheap to clone (a connection pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// One connection of its own for `/healthz`, so that a pool busy with requests does not
    /// make the service look down (or slow) to a load balancer's probe.
    health: DatabaseConnection,
    cache: std::sync::Arc<facility_cache::FacilityCache>,
    areas: std::sync::Arc<area_cache::AreaCache>,
    network: std::sync::Arc<network_cache::NetworkCache>,
    feed: std::sync::Arc<changes::ChangeFeed>,
    calendar: std::sync::Arc<holidays::CalendarCache>,
    /// Reads the revision counters every search checks first, on a connection of its own.
    counters: std::sync::Arc<revision::CounterReader>,
    /// For connections outside the pool (the change listener).
    url: DatabaseUrl,
}

/// The database URL, kept out of `Debug` output: it may hold a password.
#[derive(Clone)]
struct DatabaseUrl(std::sync::Arc<str>);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(..)")
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let db = Database::connect(pool_options(url, max_connections)).await?;
        Migrator::up(&db, None).await?;
        let mut health = pool_options(url, 1);
        health.acquire_timeout(Duration::from_secs(1));
        let store = Self {
            db,
            health: Database::connect(health).await?,
            cache: Default::default(),
            areas: Default::default(),
            network: Default::default(),
            feed: Default::default(),
            calendar: Default::default(),
            counters: Default::default(),
            url: DatabaseUrl(url.into()),
        };
        store.convert_single_row_network().await?;
        Ok(store)
    }

    /// Whether the database answers, asked on the health connection.
    pub async fn ping(&self) -> bool {
        self.health.ping().await.is_ok()
    }

    /// Connections the pool holds, and how many of them are idle.
    pub fn pool_use(&self) -> crate::metrics::PoolUse {
        let (open, idle) = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        crate::metrics::PoolUse { open, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
    }

    /// Closes idle connections until `keep` remain open. sqlx's own idle reaper does not do it
    /// reliably: its check puts a connection that is not yet old enough back as freshly idle, and
    /// it checks at the same period as the timeout, so a connection checked once is never old
    /// enough (16 SQLite connections a burst opened were still open minutes later, each with
    /// its page cache). Called when the server has been quiet for a while.
    pub async fn close_idle_connections(&self, keep: u32) {
        self.counters.close().await;
        match self.db.get_database_backend() {
            DbBackend::Postgres => close_idle(self.db.get_postgres_connection_pool(), keep).await,
            _ => close_idle(self.db.get_sqlite_connection_pool(), keep).await,
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool (so that a SQLite file can be reopened by the next process at once).
    pub async fn close(self) {
        self.counters.shut().await;
        for pool in [self.db, self.health] {
            if let Err(e) = pool.close().await {
                tracing::warn!(error = %e, "closing the database pool failed");
            }
        }
    }

    pub(crate) fn conn(&self) -> &impl ConnectionTrait {
        &self.db
    }

    /// The current value of a revision counter (whatever was committed before the call).
    async fn counter(&self, counter: revision::Counter) -> StoreResult<i64> {
        self.counters.read(&self.db, counter).await
    }
}

/// A pool of up to `max_connections`. SQLite files are created when missing, in WAL mode with
/// `synchronous=NORMAL`: a killed process loses no committed transaction.
fn pool_options(url: &str, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        // Short, so that requests fail fast (SERVICE_UNAVAILABLE) while the database is down.
        .acquire_timeout(Duration::from_secs(2))
        // A burst opens up to max_connections; each holds a page cache (SQLite) or a
        // backend (PostgreSQL), so connections idle this long are closed again.
        .idle_timeout(Duration::from_secs(30))
        // sqlx pings a connection when it comes back to the pool, and by default again when it
        // is handed out: a round trip per query for nothing while connections are in use. A
        // connection idle for a second is still pinged first (one the database dropped is
        // replaced, not used).
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Another process holding the write lock (an import) makes a write wait
                // this long, then fail as SERVICE_UNAVAILABLE: a request must not hang.
                .busy_timeout(Duration::from_secs(3))
        });
    options
}

async fn close_idle<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>, keep: u32) {
    while pool.size() > keep {
        let Some(connection) = pool.try_acquire() else { break };
        let _ = connection.close().await;
    }
}

/// A stored community code, read back into its type; anything else in the column was not
/// written by this service.
fn stored_code(row: i64, code: Option<&str>) -> StoreResult<Option<crate::domain::community_code::CommunityCode>> {
    crate::domain::validate::community_code(code).map_err(|e| StoreError::Corrupt(format!("row {row}: {e}")))
}
