//! Prometheus metrics, as OpenMetrics text on `GET /metrics`: GraphQL requests, errors (by
//! code) and latency by operation name, and the database pool's connections.
//!
//! Operation names come from clients, so they are checked (identifier characters, at most 64)
//! and capped at `MAX_OPERATIONS` distinct names; others count as `other`, unnamed ones as
//! `anonymous`. That keeps the number of series bounded whatever clients send.

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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationError {
    operation: String,
    code: String,
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
    operations: Mutex<HashSet<String>>,
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
        Self { registry, requests, errors, latency, pool, websockets, operations: Mutex::new(HashSet::new()) }
    }
}

impl Metrics {
    /// The label for a request's operation name.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
        let valid = name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return "other".into();
        }
        let mut seen = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.contains(name) || seen.len() < MAX_OPERATIONS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    /// The label for a request: its `operationName`, else the name of the document's first
    /// operation (`query Name ...`), read without parsing the whole document.
    pub fn request_label(&self, operation_name: Option<&str>, query: &str) -> String {
        self.operation_label(operation_name.or_else(|| first_operation_name(query)))
    }

    /// Records one executed request.
    pub fn observe<'a>(&self, operation: String, seconds: f64, error_codes: impl Iterator<Item = &'a str>) {
        let labels = Operation { operation };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
        for code in error_codes {
            self.errors
                .get_or_create(&OperationError { operation: labels.operation.clone(), code: code.to_owned() })
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
    pub fn render(&self, pool: PoolUse) -> String {
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
    fn operation_names_are_checked_and_capped() {
        let m = Metrics::default();
        assert_eq!(m.operation_label(None), "anonymous");
        assert_eq!(m.request_label(None, "  query Reach($p: PointInput!) { x }"), "Reach");
        assert_eq!(m.request_label(None, "{ __typename }"), "anonymous");
        assert_eq!(m.request_label(None, "query { x }"), "anonymous");
        assert_eq!(m.request_label(Some("Given"), "query Other { x }"), "Given");
        assert_eq!(m.operation_label(Some("Nearby")), "Nearby");
        assert_eq!(m.operation_label(Some("bad name{}")), "other");
        for i in 0..MAX_OPERATIONS {
            m.operation_label(Some(&format!("op{i}")));
        }
        assert_eq!(m.operation_label(Some("Nearby")), "Nearby", "names seen before keep their label");
        assert_eq!(m.operation_label(Some("OneTooMany")), "other");
        m.observe("Nearby".into(), 0.002, ["BAD_USER_INPUT"].into_iter());
        let text = m.render(PoolUse { open: 4, idle: 3 });
        assert!(text.contains(r#"graphql_requests_total{operation="Nearby"} 1"#), "{text}");
        assert!(text.contains(r#"graphql_errors_total{operation="Nearby",code="BAD_USER_INPUT"} 1"#), "{text}");
        assert!(text.contains(r#"db_pool_connections{state="in_use"} 1"#), "{text}");
        assert!(text.contains("graphql_request_duration_seconds_bucket"), "{text}");
    }
}
