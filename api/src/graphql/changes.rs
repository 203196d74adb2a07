//! `facilityChanged`: a subscription to facility writes made through any instance.

use super::facility::{Facility, FacilityFilter};
use super::store;
use crate::domain::facility as domain;
use crate::domain::ids::FacilityId;
use crate::error::{ApiError, ApiResult};
use crate::store::{ChangeKind, FacilityChange, FeedEvent, Store};
use async_graphql::{Context, Enum, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FacilityChangeKind {
    Created,
    Updated,
    Deleted,
    /// Brought back from history by `restoreFacility`.
    Restored,
}

impl From<ChangeKind> for FacilityChangeKind {
    fn from(k: ChangeKind) -> Self {
        match k {
            ChangeKind::Created => Self::Created,
            ChangeKind::Updated => Self::Updated,
            ChangeKind::Deleted => Self::Deleted,
            ChangeKind::Restored => Self::Restored,
        }
    }
}

/// One committed change of a facility.
pub struct FacilityChangeEvent {
    change: FacilityChange,
    /// The state after the change, or for a deletion the state deleted.
    state: Arc<domain::Facility>,
}

#[Object]
impl FacilityChangeEvent {
    async fn kind(&self) -> FacilityChangeKind {
        self.change.kind.into()
    }
    async fn id(&self) -> ID {
        ID(FacilityId(self.change.id).encode())
    }
    /// The version the change made (for a deletion, the version deleted).
    async fn version(&self) -> i32 {
        self.change.version
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.change.at
    }
    /// The facility as the change left it; null when it was deleted.
    async fn facility(&self) -> Option<Facility> {
        (self.change.kind != ChangeKind::Deleted).then(|| Facility(Arc::clone(&self.state)))
    }
    /// The facility as it was when deleted; null for other changes.
    async fn deleted_facility(&self) -> Option<Facility> {
        (self.change.kind == ChangeKind::Deleted).then(|| Facility(Arc::clone(&self.state)))
    }
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every facility change committed from now on, through any instance of the service,
    /// for facilities passing `filter` after the change or before it (an update that takes a
    /// facility out of the filter is sent, with the new state, so a map can drop it; a deletion
    /// is checked against the state deleted). If changes may have been missed (a subscriber too slow to
    /// keep up, or a lost database notification connection) an error with code
    /// `CHANGES_MISSED` is sent and the subscription goes on: refetch to catch up.
    async fn facility_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<FacilityFilter>,
    ) -> Result<impl Stream<Item = ApiResult<FacilityChangeEvent>> + use<>, ApiError> {
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let store = store(ctx)?.clone();
        let feed = store.facility_changes();
        Ok(futures_util::stream::unfold((feed, store, filter), |(mut feed, store, filter)| async move {
            loop {
                let change = match feed.recv().await {
                    Ok(FeedEvent::Change(change)) => change,
                    Ok(FeedEvent::Gap) => return Some((Err(ApiError::ChangesMissed(None)), (feed, store, filter))),
                    Err(RecvError::Lagged(n)) => {
                        return Some((Err(ApiError::ChangesMissed(Some(n))), (feed, store, filter)));
                    }
                    Err(RecvError::Closed) => return None,
                };
                match event(&store, &filter, change).await {
                    Ok(None) => continue,
                    Ok(Some(event)) => return Some((Ok(event), (feed, store, filter))),
                    Err(error) => return Some((Err(error), (feed, store, filter))),
                }
            }
        }))
    }
}

/// The event for `change` if the facility passes `filter`, or passed it before the change (so a
/// client sees a facility leave its filter, e.g. a canteen turned into a day-care center). The
/// event carries the state the change made, even if later changes are already committed.
async fn event(
    store: &Store,
    filter: &domain::FacilityFilter,
    change: FacilityChange,
) -> ApiResult<Option<FacilityChangeEvent>> {
    let id = FacilityId(change.id);
    // Usually the change is the newest state, in memory; older states are in the history.
    let current = store.facility_current(id).await?.filter(|f| f.version == change.version);
    let mut history = None;
    let state = match current {
        Some(state) => state,
        None => {
            let recorded = history.insert(store.facility_history(id).await?);
            match recorded.iter().find(|r| r.facility.version == change.version) {
                Some(r) => Arc::new(r.facility.clone()),
                None => return Ok(None),
            }
        }
    };
    let relevant = filter.matches(&state.draft)
        || (!matches!(change.kind, ChangeKind::Created | ChangeKind::Deleted) && {
            let recorded = match history {
                Some(recorded) => recorded,
                None => store.facility_history(id).await?,
            };
            recorded
                .iter()
                .rev()
                .find(|r| r.facility.version < change.version)
                .is_some_and(|r| filter.matches(&r.facility.draft))
        });
    Ok(relevant.then_some(FacilityChangeEvent { change, state }))
}
