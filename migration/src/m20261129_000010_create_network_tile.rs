use sea_orm_migration::{prelude::*, schema::*};

/// The walking network in tiles of a fixed grid (see `api::geo::network_tiles`): one row per
/// tile, written by the import that last covered it, and a revision bumped by every import or
/// removal so that each process knows when to reload. The single-row `walk_network` table of
/// earlier versions is converted into tiles by the application on start, then emptied.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NetworkTile::Table)
                    .col(integer(NetworkTile::TileX))
                    .col(integer(NetworkTile::TileY))
                    .col(string_len(NetworkTile::Source, 500))
                    .col(integer(NetworkTile::NodeCount))
                    .col(integer(NetworkTile::EdgeCount))
                    .col(blob(NetworkTile::Data))
                    .col(timestamp_with_time_zone(NetworkTile::ImportedAt))
                    .primary_key(Index::create().col(NetworkTile::TileX).col(NetworkTile::TileY))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkRevision::Table)
                    .col(integer(NetworkRevision::Id).primary_key())
                    .col(big_integer(NetworkRevision::Revision))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(NetworkRevision::Table)
                    .columns([NetworkRevision::Id, NetworkRevision::Revision])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(NetworkRevision::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(NetworkTile::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum NetworkTile {
    Table,
    TileX,
    TileY,
    Source,
    NodeCount,
    EdgeCount,
    Data,
    ImportedAt,
}

#[derive(DeriveIden)]
enum NetworkRevision {
    Table,
    Id,
    Revision,
}
