use sea_orm::entity::prelude::*;

/// One special day of a loaded holiday calendar.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "holiday_calendar_day")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub year: i32,
    /// `DAY_OFF` or `WORKING_DAY`.
    pub kind: String,
    pub name: Option<String>,
    /// For a working day, the weekday whose schedule it follows (0 = Monday).
    pub as_weekday: Option<i16>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
