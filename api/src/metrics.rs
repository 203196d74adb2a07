//! Prometheus metrics, as OpenMetrics text on `GET /metrics`: GraphQL requests, errors (by
//! code) and latency by operation name, and the database pool's connections.
//!
//! Operation names come from clients, so they are checked (identifier characters, at most 64)
//! and a name gets a label of its own only once `PROMOTE_AFTER` requests of that name have
//! succeeded, up to `MAX_OPERATIONS` names, never evicted. Until then, and beyond the cap, a
//! request counts as `other`; unnamed ones as `anonymous`. Made-up names sent once each (or
//! failing) cannot take the labels of the operations real clients run.

use crate::error_code::ErrorCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

const MAX_OPERATIONS: usize = 200;
/// Successful requests of one name before it is given a label of its own.
const PROMOTE_AFTER: u32 = 20;
/// Names counted toward promotion at once; when full the counts start over.
const MAX_CANDIDATES: usize = 1_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationError {
    operation: String,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: String,
}

type LatencyFamily = Family<Operation, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<Operation, Counter>,
    errors: Family<OperationError, Counter>,
    latency: LatencyFamily,
    pool: Family<PoolState, Gauge>,
    websockets: Gauge,
    /// The walking network held in memory: regions, tiles, bytes, budget, regions built.
    network: [Gauge; 5],
    operations: Mutex<Operations>,
}

/// The operation names with labels of their own, and the names on their way there.
#[derive(Default)]
struct Operations {
    labelled: HashSet<String>,
    candidates: std::collections::HashMap<String, u32>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// Database connections, open and idle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Operation, Counter>::default();
        let errors = Family::<OperationError, Counter>::default();
        // 0.5 ms to about 16 s.
        let latency = LatencyFamily::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        let pool = Family::<PoolState, Gauge>::default();
        registry.register("graphql_requests", "GraphQL requests by operation name", requests.clone());
        registry.register("graphql_errors", "GraphQL errors by operation name and error code", errors.clone());
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL execution time by operation name",
            latency.clone(),
        );
        registry.register("db_pool_connections", "Database pool connections by state", pool.clone());
        let websockets = Gauge::default();
        registry.register("graphql_websocket_connections", "Open GraphQL WebSocket connections", websockets.clone());
        let network: [Gauge; 5] = Default::default();
        for (gauge, (name, help)) in network.iter().zip([
            ("network_cache_regions", "Walking-network regions held in memory"),
            ("network_cache_tiles", "Walking-network tiles held in memory (counted once per region)"),
            ("network_cache_bytes", "Bytes of walking network held in memory"),
            ("network_cache_budget_bytes", "The walking-network memory budget (--network-cache-mib)"),
            ("network_regions_built", "Walking-network regions built since start"),
        ]) {
            registry.register(name, help, gauge.clone());
        }
        Self { registry, requests, errors, latency, pool, websockets, network, operations: Mutex::default() }
    }
}

impl Metrics {
    /// The label for a request's operation name.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
        let operations = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        if operations.labelled.contains(name) { name.to_owned() } else { "other".into() }
    }

    /// The label for a request: its `operationName`, else the name of the document's first
    /// operation (`query Name ...`), read without parsing the whole document.
    pub fn request_label(&self, operation_name: Option<&str>, query: &str) -> String {
        self.operation_label(operation_name.or_else(|| first_operation_name(query)))
    }

    /// Counts a request that succeeded toward its name's own label.
    pub fn succeeded(&self, operation_name: Option<&str>, query: &str) {
        let Some(name) = operation_name.or_else(|| first_operation_name(query)).filter(|n| valid_name(n)) else {
            return;
        };
        let mut operations = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        if operations.labelled.contains(name) || operations.labelled.len() >= MAX_OPERATIONS {
            return;
        }
        if operations.candidates.len() >= MAX_CANDIDATES && !operations.candidates.contains_key(name) {
            operations.candidates.clear();
        }
        let count = operations.candidates.entry(name.to_owned()).or_default();
        *count += 1;
        if *count >= PROMOTE_AFTER {
            operations.candidates.remove(name);
            operations.labelled.insert(name.to_owned());
        }
    }

    /// Records one executed request.
    pub fn observe(&self, operation: String, seconds: f64, error_codes: impl Iterator<Item = ErrorCode>) {
        let labels = Operation { operation };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
        for code in error_codes {
            self.errors
                .get_or_create(&OperationError { operation: labels.operation.clone(), code: code.as_str() })
                .inc();
        }
    }

    /// Counts a new WebSocket connection unless `max` are open; the slot is given back when
    /// the returned guard drops.
    pub fn open_websocket(&self, max: usize) -> Option<WebSocketSlot> {
        let before = self.websockets.inc();
        if usize::try_from(before).is_ok_and(|n| n >= max) {
            self.websockets.dec();
            return None;
        }
        Some(WebSocketSlot(self.websockets.clone()))
    }

    /// The metrics as OpenMetrics text, with the pool use read now.
    pub fn render(&self, pool: PoolUse, network: crate::store::NetworkCacheUse) -> String {
        let values = [network.regions, network.tiles, network.bytes, network.budget_bytes]
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        for (gauge, value) in
            self.network.iter().zip(values.into_iter().chain([network.builds.min(i64::MAX as u64) as i64]))
        {
            gauge.set(value);
        }
        let busy = pool.open.saturating_sub(pool.idle);
        self.pool.get_or_create(&PoolState { state: "idle".into() }).set(i64::from(pool.idle));
        self.pool.get_or_create(&PoolState { state: "in_use".into() }).set(i64::from(busy));
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        text
    }
}

/// One open WebSocket connection, counted until dropped.
pub struct WebSocketSlot(Gauge);

impl Drop for WebSocketSlot {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn first_operation_name(query: &str) -> Option<&str> {
    let rest = query.trim_start();
    let rest = ["query", "mutation", "subscription"].iter().find_map(|k| rest.strip_prefix(k))?;
    if !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_earn_labels_that_junk_cannot_take() {
        let m = Metrics::default();
        let run = |name: &str, times: u32| (0..times).for_each(|_| m.succeeded(Some(name), ""));
        assert_eq!(m.operation_label(None), "anonymous");
        assert_eq!(m.request_label(None, "{ __typename }"), "anonymous");
        assert_eq!(m.request_label(None, "  query Reach($p: PointInput!) { x }"), "other", "not yet earned");
        run("Reach", PROMOTE_AFTER);
        assert_eq!(m.request_label(None, "  query Reach($p: PointInput!) { x }"), "Reach");
        assert_eq!(m.request_label(Some("Reach"), "query Other { x }"), "Reach");
        run("bad name{}", 100);
        assert_eq!(m.operation_label(Some("bad name{}")), "other");
        // A flood of names, each used a few times, earns nothing and evicts nothing.
        for i in 0..50_000 {
            m.succeeded(Some(&format!("junk{i}")), "");
        }
        assert_eq!(m.operation_label(Some("junk7")), "other");
        run("Nearby", PROMOTE_AFTER);
        assert_eq!(m.operation_label(Some("Nearby")), "Nearby", "a real operation still earns its label");
        assert_eq!(m.operation_label(Some("Reach")), "Reach");
        for i in 0..MAX_OPERATIONS {
            run(&format!("op{i}"), PROMOTE_AFTER);
        }
        assert_eq!(m.operation_label(Some("op199")), "other", "at most {MAX_OPERATIONS} labels");
        m.observe("Nearby".into(), 0.002, [ErrorCode::BadUserInput].into_iter());
        let text = m.render(PoolUse { open: 4, idle: 3 }, Default::default());
        assert!(text.contains(r#"graphql_requests_total{operation="Nearby"} 1"#), "{text}");
        assert!(text.contains(r#"graphql_errors_total{operation="Nearby",code="BAD_USER_INPUT"} 1"#), "{text}");
        assert!(text.contains(r#"db_pool_connections{state="in_use"} 1"#), "{text}");
        assert!(text.contains("graphql_request_duration_seconds_bucket"), "{text}");
    }
}
