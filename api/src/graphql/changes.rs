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

/// What a change did to a facility.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FacilityChangeKind {
    /// Created by `createFacility` or an import; the version is 1.
    Created,
    /// Changed by `updateFacility` or by an import feature naming its id.
    Updated,
    /// Deleted by `deleteFacility`; `deletedFacility` holds its last state.
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

/// One committed change of a facility, as `facilityChanged` sends it.
#[Object]
impl FacilityChangeEvent {
    /// What the change did.
    async fn kind(&self) -> FacilityChangeKind {
        self.change.kind.into()
    }
    /// The id of the facility changed (also for a deletion).
    async fn id(&self) -> ID {
        ID(FacilityId(self.change.id).encode())
    }
    /// The version the change made (for a deletion, the version deleted).
    async fn version(&self) -> i32 {
        self.change.version
    }
    /// When the change was committed.
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

/// Live updates, over a WebSocket on `/graphql` (graphql-transport-ws, or the legacy
/// graphql-ws protocol). Needs no token.
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
        #[graphql(desc = "Which facilities' changes to send; default: every facility.")] filter: Option<FacilityFilter>,
    ) -> Result<impl Stream<Item = ApiResult<FacilityChangeEvent>> + use<>, ApiError> {
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let store = store(ctx)?.clone();
        let resolved = ctx.data_opt::<Arc<ResolvedChanges>>().cloned().unwrap_or_default();
        let feed = store.facility_changes();
        let state = (feed, store, resolved, filter);
        Ok(futures_util::stream::unfold(state, |(mut feed, store, resolved, filter)| async move {
            loop {
                let change = match feed.recv().await {
                    Ok(FeedEvent::Change(change)) => change,
                    Ok(FeedEvent::Gap) => {
                        return Some((Err(ApiError::ChangesMissed(None)), (feed, store, resolved, filter)));
                    }
                    Err(RecvError::Lagged(n)) => {
                        return Some((Err(ApiError::ChangesMissed(Some(n))), (feed, store, resolved, filter)));
                    }
                    Err(RecvError::Closed) => return None,
                };
                match event(&store, &resolved, &filter, change).await {
                    Ok(None) => continue,
                    Ok(Some(event)) => return Some((Ok(event), (feed, store, resolved, filter))),
                    Err(error) => return Some((Err(error), (feed, store, resolved, filter))),
                }
            }
        }))
    }
}

/// What one change did: the state it made and, for an update or a restore, the state before.
/// Read once per process however many subscribers receive the change.
#[derive(Clone)]
struct Resolved {
    state: Arc<domain::Facility>,
    before: Option<Arc<domain::Facility>>,
}

/// Changes resolved in this process, by (facility, version): the first subscriber to look a
/// change up reads it, the others (hundreds, on a busy map) wait for that read and share it.
#[derive(Default)]
pub struct ResolvedChanges {
    recent: std::sync::Mutex<std::collections::VecDeque<(ChangeKey, ResolvedSlot)>>,
}

type ResolvedSlot = Arc<OnceCell<Option<Resolved>>>;

type ChangeKey = (i64, i32);
type OnceCell<T> = tokio::sync::OnceCell<T>;
/// Changes remembered; subscribers more than this far behind are told they missed some anyway.
const REMEMBERED: usize = 1_024;

impl ResolvedChanges {
    fn cell(&self, key: ChangeKey) -> ResolvedSlot {
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, cell)) = recent.iter().rev().find(|(k, _)| *k == key) {
            return Arc::clone(cell);
        }
        if recent.len() == REMEMBERED {
            recent.pop_front();
        }
        let cell = Arc::new(OnceCell::new());
        recent.push_back((key, Arc::clone(&cell)));
        cell
    }
}

/// The event for `change` if the facility passes `filter`, or passed it before the change (so a
/// client sees a facility leave its filter, e.g. a canteen turned into a day-care center). The
/// event carries the state the change made, even if later changes are already committed.
async fn event(
    store: &Store,
    resolved: &ResolvedChanges,
    filter: &domain::FacilityFilter,
    change: FacilityChange,
) -> ApiResult<Option<FacilityChangeEvent>> {
    let cell = resolved.cell((change.id, change.version));
    let Some(r) = cell.get_or_try_init(|| resolve(store, &change)).await? else {
        return Ok(None);
    };
    let relevant = filter.matches(&r.state.draft) || r.before.as_ref().is_some_and(|b| filter.matches(&b.draft));
    Ok(relevant.then(|| FacilityChangeEvent { change, state: Arc::clone(&r.state) }))
}

/// Reads what `change` did: its state (in memory when it is the newest, else in the history)
/// and the state before it for updates and restores.
async fn resolve(store: &Store, change: &FacilityChange) -> ApiResult<Option<Resolved>> {
    let id = FacilityId(change.id);
    let current = store.facility_current(id).await?.filter(|f| f.version == change.version);
    let needs_before = !matches!(change.kind, ChangeKind::Created | ChangeKind::Deleted);
    let history = if current.is_none() || needs_before { Some(store.facility_history(id).await?) } else { None };
    let state = match current {
        Some(state) => state,
        None => match history.iter().flatten().find(|r| r.facility.version == change.version) {
            Some(r) => Arc::new(r.facility.clone()),
            None => return Ok(None),
        },
    };
    let before = needs_before
        .then(|| history.iter().flatten().rev().find(|r| r.facility.version < change.version))
        .flatten()
        .map(|r| Arc::new(r.facility.clone()));
    Ok(Some(Resolved { state, before }))
}
