use sea_orm_migration::{prelude::*, schema::*};

/// Official public-holiday calendars loaded by an admin, one year at a time: the days off and
/// the make-up working days that opening-hours evaluation uses.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HolidayCalendarYear::Table)
                    .col(integer(HolidayCalendarYear::Year).primary_key())
                    .col(timestamp_with_time_zone(HolidayCalendarYear::LoadedAt))
                    .col(string_len(HolidayCalendarYear::LoadedBy, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HolidayCalendarDay::Table)
                    .col(date(HolidayCalendarDay::Day).primary_key())
                    .col(integer(HolidayCalendarDay::Year))
                    .col(string_len(HolidayCalendarDay::Kind, 16))
                    .col(string_len_null(HolidayCalendarDay::Name, 100))
                    .col(small_integer_null(HolidayCalendarDay::AsWeekday))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HolidayCalendarDay::Table, HolidayCalendarDay::Year)
                            .to(HolidayCalendarYear::Table, HolidayCalendarYear::Year)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("holiday_calendar_day_year")
                    .table(HolidayCalendarDay::Table)
                    .col(HolidayCalendarDay::Year)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(HolidayCalendarDay::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(HolidayCalendarYear::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum HolidayCalendarYear {
    Table,
    Year,
    LoadedAt,
    LoadedBy,
}

#[derive(DeriveIden)]
enum HolidayCalendarDay {
    Table,
    Day,
    Year,
    Kind,
    Name,
    AsWeekday,
}
