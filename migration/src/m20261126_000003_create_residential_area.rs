use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResidentialArea::Table)
                    .col(big_pk_auto(ResidentialArea::Id))
                    .col(string_len(ResidentialArea::Name, 200))
                    .col(double(ResidentialArea::Lon))
                    .col(double(ResidentialArea::Lat))
                    .col(integer(ResidentialArea::Population))
                    .col(integer(ResidentialArea::ElderlyPopulation))
                    .col(string_len_null(ResidentialArea::CommunityCode, 12))
                    .col(text_null(ResidentialArea::Boundary))
                    .col(timestamp_with_time_zone(ResidentialArea::CreatedAt))
                    .col(timestamp_with_time_zone(ResidentialArea::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_residential_area_lat_lon")
                    .table(ResidentialArea::Table)
                    .col(ResidentialArea::Lat)
                    .col(ResidentialArea::Lon)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_residential_area_community_code")
                    .table(ResidentialArea::Table)
                    .col(ResidentialArea::CommunityCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ResidentialArea::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ResidentialArea {
    Table,
    Id,
    Name,
    Lon,
    Lat,
    Population,
    ElderlyPopulation,
    CommunityCode,
    Boundary,
    CreatedAt,
    UpdatedAt,
}
