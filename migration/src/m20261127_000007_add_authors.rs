use sea_orm_migration::{prelude::*, schema::*};

/// Who wrote what: the token name that created a facility or residential area, and the one
/// that made a facility's current version (earlier versions keep theirs in their history
/// snapshots). Nullable: rows written before this migration have no recorded author.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for column in [Facility::CreatedBy, Facility::UpdatedBy] {
            manager
                .alter_table(Table::alter().table(Facility::Table).add_column(string_len_null(column, 200)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ResidentialArea::Table)
                    .add_column(string_len_null(ResidentialArea::CreatedBy, 200))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Facility::CreatedBy, Facility::UpdatedBy] {
            manager.alter_table(Table::alter().table(Facility::Table).drop_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(ResidentialArea::Table).drop_column(ResidentialArea::CreatedBy).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Facility {
    Table,
    CreatedBy,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum ResidentialArea {
    Table,
    CreatedBy,
}
