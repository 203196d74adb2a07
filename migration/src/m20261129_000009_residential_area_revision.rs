use sea_orm_migration::{prelude::*, schema::*};

/// A revision for residential areas, as facilities have: each API process keeps every area in
/// memory and asks only "which areas were written after revision N?". Each area row carries
/// the revision of the write that stored it (0 for rows from before this migration).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResidentialAreaRevision::Table)
                    .col(integer(ResidentialAreaRevision::Id).primary_key())
                    .col(big_integer(ResidentialAreaRevision::Revision))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ResidentialAreaRevision::Table)
                    .columns([ResidentialAreaRevision::Id, ResidentialAreaRevision::Revision])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ResidentialArea::Table)
                    .add_column(big_integer(ResidentialArea::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_residential_area_revision")
                    .table(ResidentialArea::Table)
                    .col(ResidentialArea::Revision)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_residential_area_revision").table(ResidentialArea::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(ResidentialArea::Table).drop_column(ResidentialArea::Revision).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(ResidentialAreaRevision::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ResidentialAreaRevision {
    Table,
    Id,
    Revision,
}

#[derive(DeriveIden)]
enum ResidentialArea {
    Table,
    Revision,
}
