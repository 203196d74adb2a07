use sea_orm_migration::{prelude::*, schema::*};

/// Each network tile carries the network revision of the write that stored it (0 for tiles
/// from before this migration), so that a process holding some tiles in memory can tell which
/// of them an import replaced without reading them again.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(NetworkTile::Table)
                    .add_column(big_integer(NetworkTile::Revision).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(NetworkTile::Table).drop_column(NetworkTile::Revision).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NetworkTile {
    Table,
    Revision,
}
