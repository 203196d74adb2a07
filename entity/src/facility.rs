use sea_orm::entity::prelude::*;

/// A community service facility. Coordinates are WGS-84 degrees.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facility")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub community_code: Option<String>,
    pub opening_hours: Option<String>,
    pub phone: Option<String>,
    pub capacity: Option<i32>,
    /// Category-specific details as JSON text; its shape is owned by the `api` domain types.
    #[sea_orm(column_type = "Text", nullable)]
    pub details: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Name of the token that created the facility.
    pub created_by: Option<String>,
    /// Name of the token that made the current version.
    pub updated_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::facility_service::Entity")]
    Service,
}

impl Related<super::facility_service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
