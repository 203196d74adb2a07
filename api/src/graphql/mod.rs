//! The GraphQL API: one module per domain, merged into one schema. Resolvers parse input into
//! domain types, call a use case of `app` (or `store` for a plain read or write), and map the
//! results to output types; no SQL, no math.

mod accessibility;
pub mod admission;
mod changes;
pub mod cost;
pub mod coverage;
mod details_input;
pub mod errors;
pub mod export;
mod facility;
mod geojson;
mod geometry;
mod grid;
mod history;
pub mod hours;
pub mod import;
mod norms;
pub mod nulls;
mod plain_hits;
mod residents;
mod travel;

use crate::auth::{Actor, Credentials, authorize};
use crate::domain::hours::TimeZone;
use crate::domain::role::Role;
use crate::domain::travel::NetworkSettings;
use crate::error::{ApiError, ApiResult};
use crate::planning_pool::PlanningPool;
use crate::store::Store;
use async_graphql::{Context, MergedObject, Schema};
pub use changes::Subscription;

/// Reads: facilities and searches around a point, residential areas, coverage planning
/// (coverage, gaps, site suggestions, service circles), facility history and the holiday
/// calendar. No token is needed, except for the fields that name a role.
#[derive(MergedObject, Default)]
pub struct Query(
    facility::FacilityQuery,
    residents::ResidentsQuery,
    coverage::CoverageQuery,
    accessibility::AccessibilityQuery,
    norms::NormsQuery,
    grid::GridQuery,
    history::HistoryQuery,
    hours::HoursQuery,
    export::ExportQuery,
);

/// Writes. Each needs an `Authorization: Bearer TOKEN` header whose role is at least the one
/// the field names (editor or admin): without a valid token UNAUTHENTICATED, with too low a
/// role FORBIDDEN.
#[derive(MergedObject, Default)]
pub struct Mutation(
    facility::FacilityMutation,
    residents::ResidentsMutation,
    import::ImportMutation,
    history::HistoryMutation,
    hours::HoursMutation,
    norms::NormsMutation,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The `facilities` page type, which async-graphql defines (and leaves undescribed).
type FacilityConnection = async_graphql::connection::Connection<String, facility::Facility, facility::FacilityTotals>;

/// Descriptions of the types the library defines, given to every schema built, so the served
/// schema and `schema.graphql` describe them alike.
fn describe_library_types(
    builder: async_graphql::SchemaBuilder<Query, Mutation, Subscription>,
) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    builder.override_output_type_description::<FacilityConnection>(
        "One page of facilities in id order (Relay): pass `pageInfo.endCursor` as `after` for the next page.",
    )
}

/// Guard rails on what one document may ask for (declared as the server's flags).
#[derive(Clone, Copy, Debug, PartialEq, clap::Args)]
pub struct QueryLimits {
    /// Deepest selection nesting a document may have (GraphiQL's introspection query needs
    /// about 13).
    #[arg(long = "max-query-depth", env = "MAX_QUERY_DEPTH", default_value_t = 16)]
    pub depth: usize,
    /// The most a document may cost: each field 1 plus its children, lists their children
    /// once per item they may return (first, limit), a service area 50, a planning question
    /// 200 plus its inputs (polygon vertices, candidates). Over it: GRAPHQL_VALIDATION_FAILED
    /// with the cost in `extensions.cost`.
    #[arg(long = "max-query-cost", alias = "max-query-complexity", env = "MAX_QUERY_COST",
          default_value_t = cost::DEFAULT_BUDGET)]
    pub cost: usize,
    /// The longest GraphQL document (the query text, not its variables), bytes: far below the
    /// body limit, since variables carry data and documents only ask.
    #[arg(long = "max-document-bytes", env = "MAX_DOCUMENT_BYTES", default_value_t = 32 * 1024)]
    pub document_bytes: usize,
    /// The most fields a document may write out (before fragments are expanded); validation
    /// work grows with it, faster than linearly for repeated names.
    #[arg(long = "max-document-fields", env = "MAX_DOCUMENT_FIELDS", default_value_t = 1_000)]
    pub fields: usize,
    /// How long one planning computation (site suggestions, service-circle collections) may
    /// run, in seconds, before it stops with TIMEOUT.
    #[arg(long = "max-computation-seconds", env = "MAX_COMPUTATION_SECONDS", default_value = "20", value_name = "SECONDS",
          value_parser = parse_seconds)]
    pub computation: std::time::Duration,
    /// The most candidate sites one suggestSites may name (more is BAD_USER_INPUT).
    #[arg(long = "max-candidates", env = "MAX_CANDIDATES", default_value_t = 50_000)]
    pub candidates: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t <= 3_600.0 => Ok(std::time::Duration::from_secs_f64(t)),
        _ => Err(format!("expected seconds in (0, 3600], got {s}")),
    }
}

fn limits(ctx: &Context<'_>) -> QueryLimits {
    ctx.data_opt::<QueryLimits>().copied().unwrap_or_default()
}

/// The address the request came from (as the rate limit keys it), for fair planning, and the
/// time its planning questions spent, for charging the client what the request cost.
#[derive(Clone, Debug, Default)]
pub struct RequestClient {
    pub address: Option<std::net::IpAddr>,
    pub planning: std::sync::Arc<crate::planning_pool::PlanningTime>,
}

impl RequestClient {
    pub fn new(address: Option<std::net::IpAddr>) -> Self {
        Self { address, planning: Default::default() }
    }

    /// The work a request answered after `elapsed` did: its wall time without the waits for
    /// planning slots (waiting is not work), or its planning threads' time if that is more
    /// (several planning questions of one request run side by side).
    pub fn worked(&self, elapsed: std::time::Duration) -> std::time::Duration {
        let (waited, computed) = self.planning.totals();
        elapsed.saturating_sub(waited).max(computed)
    }
}

/// When the HTTP layer started executing this request.
#[derive(Clone, Copy, Debug)]
pub struct RequestStarted(pub std::time::Instant);

pub use crate::app::RequestNetwork;

/// What the use cases of `app` work with, for this request: its store access (with its read
/// slots and its one view of the walking network), its planning client and its deadline.
fn services<'a>(ctx: &Context<'a>) -> ApiResult<crate::app::Services<'a>> {
    let pool = ctx.data::<PlanningPool>().map_err(|e| ApiError::internal(&e.message))?.clone();
    let settings = ctx.data_opt::<NetworkSettings>().copied().unwrap_or_default();
    let mut services = crate::app::Services::new(store(ctx)?, pool, settings, deadline(ctx));
    if let Some(reads) = ctx.data_opt::<RequestReads>() {
        services = services.with_reads(&reads.0);
    }
    if let Some(network) = ctx.data_opt::<RequestNetwork>() {
        services = services.with_network(network);
    }
    if let Some(client) = ctx.data_opt::<RequestClient>() {
        services = services.for_client(client.address, Some(std::sync::Arc::clone(&client.planning)));
    }
    Ok(services)
}

/// The deadline of this request's computations: one budget for the whole request, however
/// many fields draw on it.
fn deadline(ctx: &Context<'_>) -> crate::geo::deadline::Deadline {
    let started = ctx.data_opt::<RequestStarted>().map_or_else(std::time::Instant::now, |s| s.0);
    crate::geo::deadline::Deadline::at(started + limits(ctx).computation)
}

/// The schema with its shared data. Built once per process and shared by every worker.
pub fn build_schema(
    store: Store,
    limits: QueryLimits,
    network: NetworkSettings,
    zone: TimeZone,
    planning: PlanningPool,
) -> AppSchema {
    describe_library_types(Schema::build(Query::default(), Mutation::default(), Subscription))
        .data(store)
        .data(network)
        .data(zone)
        .data(limits)
        .data(planning)
        .data(std::sync::Arc::new(changes::ResolvedChanges::default()))
        .limit_depth(limits.depth)
        .limit_complexity(limits.cost)
        .finish()
}

/// The schema's SDL, as `schema.graphql` holds it.
pub fn sdl() -> String {
    describe_library_types(Schema::build(Query::default(), Mutation::default(), Subscription)).finish().sdl()
}

/// How many database reads one request may have in flight at once: a document of a thousand
/// aliased lookups waits for its own turns instead of taking every pooled connection.
pub const READS_PER_REQUEST: usize = 2;

/// The per-request limit on database reads (see `READS_PER_REQUEST`).
pub struct RequestReads(tokio::sync::Semaphore);

impl Default for RequestReads {
    fn default() -> Self {
        Self(tokio::sync::Semaphore::new(READS_PER_REQUEST))
    }
}

/// The store, for a resolver that reads the database once per field: holds one of the
/// request's read slots until dropped.
async fn reading<'a>(ctx: &Context<'a>) -> ApiResult<(&'a Store, Option<tokio::sync::SemaphorePermit<'a>>)> {
    let slot = match ctx.data_opt::<RequestReads>() {
        Some(reads) => Some(reads.0.acquire().await.map_err(|_| ApiError::Unavailable)?),
        None => None,
    };
    Ok((store(ctx)?, slot))
}

/// The most facilities one GeoJSON collection (`facilityFeatures`, `facilityCircles`) holds:
/// about 15 MB of features, under the response cap; whole data sets go through the CLI's
/// `export`, which pages.
const MAX_COLLECTION_FACILITIES: usize = 50_000;

/// The error for a collection of `count` facilities, more than one response holds.
fn too_many(count: usize) -> ApiError {
    ApiError::BadUserInput(format!(
        "{count} facilities match; a collection holds at most {MAX_COLLECTION_FACILITIES}: narrow the filter (categories, kinds, communityCodePrefix) or use `service-circle export facilities`"
    ))
}

fn store<'a>(ctx: &Context<'a>) -> ApiResult<&'a Store> {
    ctx.data::<Store>().map_err(|e| ApiError::internal(&e.message))
}

/// The actor of this request if its token holds at least `needed`.
async fn require(ctx: &Context<'_>, needed: Role) -> ApiResult<Actor> {
    authorize(store(ctx)?, ctx.data_opt::<Credentials>(), needed).await
}
