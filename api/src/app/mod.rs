//! Use cases without GraphQL: coverage, gaps, site choice, service circles, reachable
//! facilities and bulk imports. The resolvers and the CLI both call these; they parse their
//! own input (GraphQL arguments, command-line flags) into domain types first and shape the
//! answers afterwards. Nothing here imports `async_graphql` or `actix_web`: the store does
//! the I/O, `geo` the computation, and the long computations run on the planning pool.

pub mod accessibility;
pub mod coverage;
pub mod grid;
pub mod import;
pub mod norms;
pub mod reach;
pub mod tiles;
pub mod travel;

use crate::error::{ApiError, ApiResult};
use crate::geo::deadline::Deadline;
use crate::planning_pool::{PlanningPool, PlanningTime};
use crate::store::{NetworkDirectory, Store};
use std::net::IpAddr;
use std::sync::Arc;

/// What a use case works with: the store, the planning pool, the walking-network settings and
/// the deadline of the request (or command) it serves.
pub struct Services<'a> {
    store: &'a Store,
    reads: Option<&'a tokio::sync::Semaphore>,
    network: Option<&'a RequestNetwork>,
    pub network_settings: crate::domain::travel::NetworkSettings,
    pool: PlanningPool,
    client: Option<IpAddr>,
    spent: Option<Arc<PlanningTime>>,
    pub deadline: Deadline,
}

/// Which walking-network tiles one request sees, read once however many fields ask (a list
/// of 100 facilities with their service areas checks the stored network once, not 100 times):
/// a request sees one network from start to end.
#[derive(Default)]
pub struct RequestNetwork(tokio::sync::OnceCell<Arc<NetworkDirectory>>);

impl<'a> Services<'a> {
    /// Services with no per-request limits (a command of the CLI, a test).
    pub fn new(
        store: &'a Store,
        pool: PlanningPool,
        network_settings: crate::domain::travel::NetworkSettings,
        deadline: Deadline,
    ) -> Self {
        Self { store, reads: None, network: None, network_settings, pool, client: None, spent: None, deadline }
    }

    /// Limits the database reads in flight to the permits of `reads` (a request's share of the
    /// pool).
    pub fn with_reads(self, reads: &'a tokio::sync::Semaphore) -> Self {
        Self { reads: Some(reads), ..self }
    }

    /// Reads the walking network's directory once for the whole request.
    pub fn with_network(self, network: &'a RequestNetwork) -> Self {
        Self { network: Some(network), ..self }
    }

    /// Charges planning time to `client` (its address, for fair scheduling; `spent`, for the
    /// rate limit).
    pub fn for_client(self, client: Option<IpAddr>, spent: Option<Arc<PlanningTime>>) -> Self {
        Self { client, spent, ..self }
    }

    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The store, holding one of the request's read slots until the permit is dropped.
    pub async fn reading(&self) -> ApiResult<(&'a Store, Option<tokio::sync::SemaphorePermit<'a>>)> {
        let slot = match self.reads {
            Some(reads) => Some(reads.acquire().await.map_err(|_| ApiError::Unavailable)?),
            None => None,
        };
        Ok((self.store, slot))
    }

    /// The stored network's directory as of this request.
    pub async fn network_directory(&self) -> ApiResult<Arc<NetworkDirectory>> {
        match self.network {
            Some(network) => Ok(network.0.get_or_try_init(|| self.store.network_directory()).await?.clone()),
            None => Ok(self.store.network_directory().await?),
        }
    }

    /// Runs `work` on the planning pool within the deadline, charged to the client.
    pub async fn compute<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let note = |waited, computed| {
            if let Some(spent) = &self.spent {
                spent.add(waited, computed);
            }
        };
        self.pool.run_timed(self.client, self.deadline, work, &note).await?
    }
}
