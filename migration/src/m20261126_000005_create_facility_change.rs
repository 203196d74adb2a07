use sea_orm_migration::{prelude::*, schema::*};

/// A global revision of the facility table and a log of which facilities each revision
/// touched, so that every API process can keep an in-memory index exactly up to date by asking
/// the database only "what changed since revision N?".
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FacilityRevision::Table)
                    .col(integer(FacilityRevision::Id).primary_key())
                    .col(big_integer(FacilityRevision::Revision))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(FacilityRevision::Table)
                    .columns([FacilityRevision::Id, FacilityRevision::Revision])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FacilityChange::Table)
                    .col(big_integer(FacilityChange::Revision))
                    .col(big_integer(FacilityChange::FacilityId))
                    .primary_key(Index::create().col(FacilityChange::Revision).col(FacilityChange::FacilityId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FacilityChange::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(FacilityRevision::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum FacilityRevision {
    Table,
    Id,
    Revision,
}

#[derive(DeriveIden)]
enum FacilityChange {
    Table,
    Revision,
    FacilityId,
}
