use sea_orm::entity::prelude::*;

/// One tile of the walking network: its nodes, the edges touching them and the far ends of
/// those that leave the tile, encoded by `api::geo::network_tiles`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_tile")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tile_x: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tile_y: i32,
    /// The import (its source name) that last wrote the tile.
    pub source: String,
    pub node_count: i32,
    pub edge_count: i32,
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
    pub imported_at: DateTimeUtc,
    /// The network revision of the write that stored the tile.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
