use sea_orm_migration::{prelude::*, schema::*};

/// Imported walking networks, each stored whole (nodes and edges in one binary column), so
/// that an import replaces the network in one transaction and every API process loads the
/// newest one with a single read.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WalkNetwork::Table)
                    .col(big_pk_auto(WalkNetwork::Id))
                    .col(string_len(WalkNetwork::Source, 500))
                    .col(integer(WalkNetwork::NodeCount))
                    .col(integer(WalkNetwork::EdgeCount))
                    .col(blob(WalkNetwork::Data))
                    .col(timestamp_with_time_zone(WalkNetwork::ImportedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WalkNetwork::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WalkNetwork {
    Table,
    Id,
    Source,
    NodeCount,
    EdgeCount,
    Data,
    ImportedAt,
}
