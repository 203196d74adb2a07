//! Facility history: the state a facility had before each update or delete.

use super::{Store, StoreError, StoreResult};
use crate::domain::facility::Facility;
use crate::domain::ids::FacilityId;
use chrono::{DateTime, Utc};
use entity::facility_history;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

/// What replaced a recorded state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevisionAction {
    Update,
    Delete,
}

impl RevisionAction {
    fn code(self) -> &'static str {
        match self {
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }
}

/// One recorded state of a facility.
#[derive(Clone, Debug)]
pub struct FacilityRevision {
    pub facility: Facility,
    pub action: RevisionAction,
    pub actor: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

pub(super) async fn record(
    conn: &impl ConnectionTrait,
    previous: &Facility,
    action: RevisionAction,
    actor: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let snapshot = serde_json::to_string(previous).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    facility_history::ActiveModel {
        id: NotSet,
        facility_id: Set(previous.id.0),
        version: Set(previous.version),
        action: Set(action.code().to_owned()),
        snapshot: Set(snapshot),
        actor: Set(Some(actor.to_owned())),
        recorded_at: Set(at),
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Every recorded state of a facility, oldest first.
    pub async fn facility_history(&self, id: FacilityId) -> StoreResult<Vec<FacilityRevision>> {
        let rows = facility_history::Entity::find()
            .filter(facility_history::Column::FacilityId.eq(id.0))
            .order_by_asc(facility_history::Column::Id)
            .all(self.conn())
            .await?;
        rows.into_iter()
            .map(|row| {
                let facility: Facility = serde_json::from_str(&row.snapshot)
                    .map_err(|e| StoreError::Corrupt(format!("history row {}: {e}", row.id)))?;
                let action = match row.action.as_str() {
                    "UPDATE" => RevisionAction::Update,
                    "DELETE" => RevisionAction::Delete,
                    other => return Err(StoreError::Corrupt(format!("history action {other:?}"))),
                };
                Ok(FacilityRevision { facility, action, actor: row.actor, recorded_at: row.recorded_at })
            })
            .collect()
    }
}
