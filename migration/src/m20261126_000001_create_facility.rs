use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Facility::Table)
                    .col(big_pk_auto(Facility::Id))
                    .col(string_len(Facility::Kind, 40))
                    .col(string_len(Facility::Name, 200))
                    .col(string_len_null(Facility::Address, 500))
                    .col(double(Facility::Lon))
                    .col(double(Facility::Lat))
                    .col(string_len_null(Facility::CommunityCode, 12))
                    .col(string_len_null(Facility::OpeningHours, 500))
                    .col(string_len_null(Facility::Phone, 40))
                    .col(integer_null(Facility::Capacity))
                    .col(text_null(Facility::Details))
                    .col(integer(Facility::Version))
                    .col(timestamp_with_time_zone(Facility::CreatedAt))
                    .col(timestamp_with_time_zone(Facility::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Bounding-box prefilter: a range on lat, then lon, with the id to skip the table.
        manager
            .create_index(
                Index::create()
                    .name("idx_facility_lat_lon")
                    .table(Facility::Table)
                    .col(Facility::Lat)
                    .col(Facility::Lon)
                    .col(Facility::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_facility_kind").table(Facility::Table).col(Facility::Kind).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_facility_community_code")
                    .table(Facility::Table)
                    .col(Facility::CommunityCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FacilityService::Table)
                    .col(big_integer(FacilityService::FacilityId))
                    .col(string_len(FacilityService::Tag, 64))
                    .col(integer(FacilityService::Position))
                    .primary_key(Index::create().col(FacilityService::FacilityId).col(FacilityService::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_facility_service_facility")
                            .from(FacilityService::Table, FacilityService::FacilityId)
                            .to(Facility::Table, Facility::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_facility_service_tag")
                    .table(FacilityService::Table)
                    .col(FacilityService::Tag)
                    .col(FacilityService::FacilityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FacilityService::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Facility::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Facility {
    Table,
    Id,
    Kind,
    Name,
    Address,
    Lon,
    Lat,
    CommunityCode,
    OpeningHours,
    Phone,
    Capacity,
    Details,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FacilityService {
    Table,
    FacilityId,
    Tag,
    Position,
}
