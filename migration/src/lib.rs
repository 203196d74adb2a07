//! Schema migrations, backend-neutral (SQLite and PostgreSQL), each with a real `down`.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_facility;
mod m20261126_000002_create_facility_history;
mod m20261126_000003_create_residential_area;
mod m20261126_000004_create_api_token;
mod m20261126_000005_create_facility_change;
mod m20261127_000006_create_walk_network;
mod m20261127_000007_add_authors;
mod m20261127_000008_create_holiday_calendar;
mod m20261129_000009_residential_area_revision;
mod m20261129_000010_create_network_tile;
mod m20261130_000011_network_tile_revision;
mod m20261130_000012_create_norm_set;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_facility::Migration),
            Box::new(m20261126_000002_create_facility_history::Migration),
            Box::new(m20261126_000003_create_residential_area::Migration),
            Box::new(m20261126_000004_create_api_token::Migration),
            Box::new(m20261126_000005_create_facility_change::Migration),
            Box::new(m20261127_000006_create_walk_network::Migration),
            Box::new(m20261127_000007_add_authors::Migration),
            Box::new(m20261127_000008_create_holiday_calendar::Migration),
            Box::new(m20261129_000009_residential_area_revision::Migration),
            Box::new(m20261129_000010_create_network_tile::Migration),
            Box::new(m20261130_000011_network_tile_revision::Migration),
            Box::new(m20261130_000012_create_norm_set::Migration),
        ]
    }
}
