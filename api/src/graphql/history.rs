//! What facilities looked like before they were changed or deleted: nothing a user saved is
//! lost silently. Admins only.

use super::facility::Facility;
use super::{cost, reading, require, store};
use crate::domain::ids::FacilityId;
use crate::domain::role::Role;
use crate::error::ApiResult;
use crate::store::{self, FacilityRevision as Revision};
use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};

/// What replaced a recorded state.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "store::RevisionAction")]
pub enum RevisionAction {
    /// The facility was updated.
    Update,
    /// The facility was deleted.
    Delete,
}

/// A facility as it was before an update or a delete, and what replaced it.
pub struct FacilityRevision {
    before: Revision,
    /// The state the update produced; None after a delete.
    after: Option<crate::domain::facility::Facility>,
}

/// A state of a facility recorded before an update or a delete, with what replaced it.
#[Object]
impl FacilityRevision {
    /// The facility as it was, with the version it had then.
    async fn facility(&self) -> Facility {
        Facility::from(self.before.facility.clone())
    }
    /// What happened to this state.
    async fn action(&self) -> RevisionAction {
        self.before.action.into()
    }
    /// The state that replaced it (the next version); null after a delete.
    async fn after(&self) -> Option<Facility> {
        self.after.clone().map(Facility::from)
    }
    /// Name of the token that made the change.
    async fn actor(&self) -> Option<&str> {
        self.before.actor.as_deref()
    }
    /// When the change was made.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.before.recorded_at
    }
}

#[derive(Default)]
pub struct HistoryQuery;

#[Object]
impl HistoryQuery {
    /// Every earlier state of a facility (also of a deleted one), oldest first. Needs the
    /// admin role.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn facility_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The facility's id; a deleted facility's id works too.")] id: ID,
    ) -> ApiResult<Vec<FacilityRevision>> {
        require(ctx, Role::Admin).await?;
        let id = FacilityId::decode(&id)?;
        let (store, _slot) = reading(ctx).await?;
        let history = store.facility_history(id).await?;
        let current = store.facility(id).await?;
        // Versions are unique per facility: an update from version v produced version v + 1.
        let state_at = |version: i32| {
            history.iter().map(|r| &r.facility).chain(current.as_ref()).find(|f| f.version == version).cloned()
        };
        let after: Vec<Option<crate::domain::facility::Facility>> = history
            .iter()
            .map(|r| match r.action {
                store::RevisionAction::Update => state_at(r.facility.version + 1),
                store::RevisionAction::Delete => None,
            })
            .collect();
        Ok(history.into_iter().zip(after).map(|(before, after)| FacilityRevision { before, after }).collect())
    }
}

#[derive(Default)]
pub struct HistoryMutation;

#[Object]
impl HistoryMutation {
    /// Brings a facility back to a state in its history (`toVersion`). A deleted facility
    /// returns under its id (leave `version` out); an existing one is overwritten when
    /// `version` is its current version (else CONFLICT), its state kept in history. The result
    /// gets a version above every earlier one. Needs the admin role.
    async fn restore_facility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The facility to restore, existing or deleted.")] id: ID,
        #[graphql(desc = "The version to bring back, as `facilityHistory` lists it.")] to_version: i32,
        #[graphql(desc = "The facility's current version if it exists; left out for a deleted facility.")]
        version: Option<i32>,
    ) -> ApiResult<Facility> {
        let actor = require(ctx, Role::Admin).await?;
        let id = FacilityId::decode(&id)?;
        Ok(Facility::from(store(ctx)?.restore_facility(id, to_version, version, &actor.name).await?))
    }
}
