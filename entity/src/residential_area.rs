use sea_orm::entity::prelude::*;

/// A residential area (小区 or village): the demand side of coverage. WGS-84 degrees.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "residential_area")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub population: i32,
    pub elderly_population: i32,
    pub community_code: Option<String>,
    /// The outline as a GeoJSON Polygon, when the area was given as one.
    #[sea_orm(column_type = "Text", nullable)]
    pub boundary: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Name of the token that created the area.
    pub created_by: Option<String>,
    /// The residential-area revision of the write that stored this row.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
