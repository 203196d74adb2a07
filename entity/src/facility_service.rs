use sea_orm::entity::prelude::*;

/// One service tag of a facility; `position` keeps the order the user gave.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facility_service")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub facility_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::facility::Entity",
        from = "Column::FacilityId",
        to = "super::facility::Column::Id",
        on_delete = "Cascade"
    )]
    Facility,
}

impl Related<super::facility::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Facility.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
