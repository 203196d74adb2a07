use sea_orm::entity::prelude::*;

/// An imported walking network; the one with the highest id is current.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "walk_network")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The file it was imported from.
    pub source: String,
    pub node_count: i32,
    pub edge_count: i32,
    /// Nodes and edges, encoded by the `api` network module.
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
