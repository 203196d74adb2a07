use sea_orm_migration::{prelude::*, schema::*};

/// Named life-circle norm sets an admin loaded: the set's circles and requirements as JSON
/// text (read whole, never queried by their parts), with a version that grows on each load.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NormSet::Table)
                    .col(string_len(NormSet::Name, 100).primary_key())
                    .col(text(NormSet::Definition))
                    .col(integer(NormSet::Version))
                    .col(timestamp_with_time_zone(NormSet::LoadedAt))
                    .col(string_len(NormSet::LoadedBy, 200))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(NormSet::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum NormSet {
    Table,
    Name,
    Definition,
    Version,
    LoadedAt,
    LoadedBy,
}
