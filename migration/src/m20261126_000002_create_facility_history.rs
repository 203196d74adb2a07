use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FacilityHistory::Table)
                    .col(big_pk_auto(FacilityHistory::Id))
                    .col(big_integer(FacilityHistory::FacilityId))
                    .col(integer(FacilityHistory::Version))
                    .col(string_len(FacilityHistory::Action, 16))
                    .col(text(FacilityHistory::Snapshot))
                    .col(string_len_null(FacilityHistory::Actor, 100))
                    .col(timestamp_with_time_zone(FacilityHistory::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_facility_history_facility")
                    .table(FacilityHistory::Table)
                    .col(FacilityHistory::FacilityId)
                    .col(FacilityHistory::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FacilityHistory::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum FacilityHistory {
    Table,
    Id,
    FacilityId,
    Version,
    Action,
    Snapshot,
    Actor,
    RecordedAt,
}
