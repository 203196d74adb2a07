use sea_orm::entity::prelude::*;

/// A facility as it was before an update or a delete. Not a foreign key on purpose:
/// history outlives the facility it describes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facility_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub facility_id: i64,
    /// The version the snapshot had.
    pub version: i32,
    /// `UPDATE` or `DELETE`: what replaced this snapshot.
    pub action: String,
    /// The whole facility as JSON (owned by the `api` domain types).
    #[sea_orm(column_type = "Text")]
    pub snapshot: String,
    /// Name of the token that made the change.
    pub actor: Option<String>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
