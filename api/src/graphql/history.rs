//! What facilities looked like before they were changed or deleted: nothing a user saved is
//! lost silently. Admins only.

use super::facility::Facility;
use super::{require, store};
use crate::auth::Role;
use crate::domain::ids::FacilityId;
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

/// A facility as it was before an update or a delete.
pub struct FacilityRevision(Revision);

#[Object]
impl FacilityRevision {
    /// The facility as it was, with the version it had then.
    async fn facility(&self) -> Facility {
        Facility::from(self.0.facility.clone())
    }
    /// What happened to this state.
    async fn action(&self) -> RevisionAction {
        self.0.action.into()
    }
    /// Name of the token that made the change.
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }
    /// When the change was made.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

#[derive(Default)]
pub struct HistoryQuery;

#[Object]
impl HistoryQuery {
    /// Every earlier state of a facility (also of a deleted one), oldest first. Needs the
    /// admin role.
    async fn facility_history(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Vec<FacilityRevision>> {
        require(ctx, Role::Admin).await?;
        let id = FacilityId::decode(&id)?;
        Ok(store(ctx)?.facility_history(id).await?.into_iter().map(FacilityRevision).collect())
    }
}
