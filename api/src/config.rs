//! The one typed settings value, and the one place each setting is declared: its flag, its
//! environment variable, its default and its help are the clap attributes on these fields (and
//! on the groups they flatten). Layers: the defaults, then the environment, then flags. The
//! defaults make `cargo run` work on a fresh clone: a SQLite file in the working directory, on
//! 127.0.0.1:8080. README's settings table is checked against these declarations.

use crate::domain::hours::TimeZone;
use crate::domain::travel::NetworkSettings;
use crate::graphql::QueryLimits;
use crate::map_page::MapSettings;
use crate::rate_limit::RateLimit;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://service-circle.db?mode=rwc";
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;
/// Large enough for an import of about 20,000 GeoJSON features in one request.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Enough for every facility of a large district as GeoJSON; full exports use the CLI.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8080";

#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB` (the CLI's global `--database-url`).
    #[arg(skip = DEFAULT_DATABASE_URL.to_owned())]
    pub database_url: String,
    /// Connections in the database pool (the CLI's global `--max-connections`).
    #[arg(skip = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: u32,
    /// Address to listen on; port 0 picks a free port (printed as `listening on http://ADDR`).
    #[arg(long, env = "LISTEN_ADDR", default_value = DEFAULT_LISTEN_ADDR)]
    pub listen: String,
    /// HTTP worker threads; 0 means one per core.
    #[arg(long, env = "WORKERS", default_value_t = 0)]
    pub workers: usize,
    #[command(flatten)]
    pub limits: QueryLimits,
    #[command(flatten)]
    pub network: NetworkSettings,
    /// The largest request body accepted (bytes); larger ones get HTTP 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// The most GraphQL requests one HTTP request may carry as a JSON list (each counts
    /// toward the limits on its own); larger batches get HTTP 400.
    #[arg(long, env = "MAX_BATCH", default_value_t = 1)]
    pub max_batch: usize,
    /// The most WebSocket (subscription) connections held at once; more get HTTP 503.
    #[arg(long, env = "MAX_WEBSOCKETS", default_value_t = 10_000)]
    pub max_websockets: usize,
    /// WebSocket connections one client address may hold at once; more get HTTP 429.
    #[arg(long, env = "MAX_WEBSOCKETS_PER_CLIENT", default_value_t = 16)]
    pub max_websockets_per_client: usize,
    /// The largest response body, bytes; larger ones become a RESPONSE_TOO_LARGE error.
    #[arg(long, env = "MAX_RESPONSE_BYTES", default_value_t = DEFAULT_MAX_RESPONSE_BYTES)]
    pub max_response_bytes: usize,
    /// Memory for the walking network this process holds, MiB: the regions of tiles questions
    /// reached, least recently used dropped first. A question whose region needs more is
    /// BAD_USER_INPUT. At least 1.
    #[arg(long, env = "NETWORK_CACHE_MIB", default_value_t = crate::store::DEFAULT_NETWORK_CACHE_MIB,
          value_parser = parse_cache_mib, allow_negative_numbers = true)]
    pub network_cache_mib: usize,
    /// Points snap to a part of the walking network with at least this many nodes when one is
    /// within the snap limit, and to a smaller fragment only when nothing else is.
    #[arg(long, env = "MIN_REACHABILITY", default_value_t = crate::geo::network::DEFAULT_MIN_REACHABILITY)]
    pub min_reachability: usize,
    /// Planning computations run at once, off the HTTP workers (0: one per core).
    #[arg(long, env = "PLANNING_THREADS", default_value_t = 0)]
    pub planning_threads: usize,
    #[command(flatten)]
    pub rate_limit: RateLimit,
    /// Take the client address from the last X-Forwarded-For entry (only behind a proxy you
    /// trust, which appends it).
    #[arg(long, env = "TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// IANA time zone in which opening hours are read.
    #[arg(long, env = "TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: TimeZone,
    #[command(flatten)]
    pub map: MapSettings,
}

impl Settings {
    /// Planning threads, 0 resolved to one per core.
    pub fn planning_threads(&self) -> usize {
        match self.planning_threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        declared_defaults()
    }
}

/// The defaults the clap attributes of `T` declare, whatever the environment holds.
pub fn declared_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults").no_binary_name(true)).mut_args(|a| a.env(None));
    match command.try_get_matches_from(std::iter::empty::<&str>()).and_then(|m| T::from_arg_matches(&m)) {
        Ok(defaults) => defaults,
        // Only a default that does not parse gets here: a mistake in the declarations, which
        // the unit test below catches.
        Err(error) => error.exit(),
    }
}

pub(crate) fn parse_cache_mib(s: &str) -> Result<usize, String> {
    match s.parse::<i64>() {
        Ok(m) if (1..=1 << 30).contains(&m) => usize::try_from(m).map_err(|e| e.to_string()),
        _ => Err(format!("expected a whole number of MiB, at least 1, got {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_defaults_parse() {
        let settings = Settings::default();
        assert_eq!(settings.listen, DEFAULT_LISTEN_ADDR);
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(settings.limits.depth, 16);
        assert_eq!(settings.limits.computation, std::time::Duration::from_secs(20));
        assert_eq!(settings.rate_limit.per_minute, 600);
        assert!(!settings.rate_limit.exempt_loopback);
        assert_eq!(settings.network.snap_limit_m, 500.0);
        assert_eq!(settings.map.tile_url, None);
        assert!(settings.planning_threads() >= 1);
    }
}
