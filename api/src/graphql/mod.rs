//! The GraphQL API: one module per domain, merged into one schema. Resolvers parse input into
//! domain types, call `store` and `geo`, and map the results to output types; no SQL, no math.

mod changes;
mod coverage;
pub mod errors;
pub mod export;
mod facility;
mod geojson;
mod geometry;
mod history;
pub mod hours;
pub mod import;
mod residents;
mod travel;

use crate::auth::{Actor, Credentials, Role, authorize};
use crate::domain::hours::TimeZone;
use crate::domain::travel::NetworkSettings;
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use async_graphql::{Context, MergedObject, Schema};
pub use changes::Subscription;

#[derive(MergedObject, Default)]
pub struct Query(
    facility::FacilityQuery,
    residents::ResidentsQuery,
    coverage::CoverageQuery,
    history::HistoryQuery,
    hours::HoursQuery,
    export::ExportQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    facility::FacilityMutation,
    residents::ResidentsMutation,
    import::ImportMutation,
    history::HistoryMutation,
    hours::HoursMutation,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Guard rails on what one document may ask for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueryLimits {
    /// Deepest selection nesting; GraphiQL's introspection query needs about 13.
    pub depth: usize,
    /// Total field complexity (each field counts 1, lists count their children again).
    pub complexity: usize,
    /// How long one planning computation (site suggestions, service-circle collections) may
    /// run before it gives up with `TIMEOUT`.
    pub computation: std::time::Duration,
    /// The most candidate sites one `suggestSites` may name.
    pub candidates: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self { depth: 16, complexity: 5_000, computation: std::time::Duration::from_secs(20), candidates: 50_000 }
    }
}

fn limits(ctx: &Context<'_>) -> QueryLimits {
    ctx.data_opt::<QueryLimits>().copied().unwrap_or_default()
}

/// When the HTTP layer started executing this request.
#[derive(Clone, Copy, Debug)]
pub struct RequestStarted(pub std::time::Instant);

/// The deadline of this request's computations: one budget for the whole request, however
/// many fields draw on it.
fn deadline(ctx: &Context<'_>) -> crate::geo::deadline::Deadline {
    let started = ctx.data_opt::<RequestStarted>().map_or_else(std::time::Instant::now, |s| s.0);
    crate::geo::deadline::Deadline::at(started + limits(ctx).computation)
}

/// The schema with its shared data. Built once per process and shared by every worker.
pub fn build_schema(store: Store, limits: QueryLimits, network: NetworkSettings, zone: TimeZone) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(store)
        .data(network)
        .data(zone)
        .data(limits)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .finish()
}

/// The schema's SDL, as `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription).finish().sdl()
}

fn store<'a>(ctx: &Context<'a>) -> ApiResult<&'a Store> {
    ctx.data::<Store>().map_err(|e| ApiError::internal(&e.message))
}

/// The actor of this request if its token holds at least `needed`.
async fn require(ctx: &Context<'_>, needed: Role) -> ApiResult<Actor> {
    authorize(store(ctx)?, ctx.data_opt::<Credentials>(), needed).await
}
