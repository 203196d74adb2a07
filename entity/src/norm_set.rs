use sea_orm::entity::prelude::*;

/// A named life-circle norm set.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "norm_set")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The set (description, circles, requirements) as JSON.
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    /// 1 when first loaded, one more on each load under the same name.
    pub version: i32,
    pub loaded_at: DateTimeUtc,
    /// Name of the token that loaded it.
    pub loaded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
