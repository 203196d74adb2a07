//! The one typed settings value. Layers: built-in defaults, then the environment, then
//! command-line flags (clap reads both; see `cli`). Defaults make `cargo run` work on a fresh
//! clone: a SQLite file in the working directory, on 127.0.0.1:8080.

use crate::domain::hours::TimeZone;
use crate::domain::travel::NetworkSettings;
use crate::graphql::QueryLimits;
use crate::map_page::MapSettings;
use crate::rate_limit::RateLimit;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://service-circle.db?mode=rwc";
/// Large enough for an import of about 20,000 GeoJSON features in one request.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Enough for every facility of a large district as GeoJSON; full exports use the CLI.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";

#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB`.
    pub database_url: String,
    /// Address to bind; port 0 picks a free port.
    pub listen: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Connections in the database pool.
    pub max_connections: u32,
    pub limits: QueryLimits,
    pub network: NetworkSettings,
    /// The largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// The most GraphQL requests one HTTP request may carry as a JSON list.
    pub max_batch: usize,
    /// The most WebSocket (subscription) connections held at once.
    pub max_websockets: usize,
    /// WebSocket connections one client address may hold at once.
    pub max_websockets_per_client: usize,
    /// The largest response body written, bytes; larger ones are replaced by a
    /// `RESPONSE_TOO_LARGE` error.
    pub max_response_bytes: usize,
    /// The byte budget of the walking network each process holds, MiB.
    pub network_cache_mib: usize,
    /// Points snap to components of at least this many nodes when one is near.
    pub min_reachability: usize,
    /// Planning computations (coverage, gaps, suggestions, collections) run at once, off the
    /// HTTP workers; more wait for a slot until their deadline.
    pub planning_threads: usize,
    pub rate_limit: RateLimit,
    /// Take the client address from `X-Forwarded-For` / `Forwarded` (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Where opening hours are read (Asia/Shanghai by default).
    pub time_zone: TimeZone,
    /// The built-in map page at `GET /`.
    pub map: MapSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            listen: DEFAULT_LISTEN_ADDR.to_owned(),
            workers: 0,
            max_connections: 16,
            limits: QueryLimits::default(),
            network: NetworkSettings::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch: 1,
            max_websockets: 10_000,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            network_cache_mib: crate::store::DEFAULT_NETWORK_CACHE_MIB,
            min_reachability: crate::geo::network::DEFAULT_MIN_REACHABILITY,
            max_websockets_per_client: 16,
            planning_threads: std::thread::available_parallelism().map_or(2, usize::from),
            rate_limit: RateLimit::default(),
            trust_forwarded_for: false,
            time_zone: TimeZone::default(),
            map: MapSettings::default(),
        }
    }
}
