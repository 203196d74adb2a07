//! SeaORM entities, one file per table. Plain rows, no behaviour: the domain lives in `api`.

pub mod api_token;
pub mod facility;
pub mod facility_change;
pub mod facility_history;
pub mod facility_revision;
pub mod facility_service;
pub mod holiday_calendar_day;
pub mod holiday_calendar_year;
pub mod network_revision;
pub mod network_tile;
pub mod norm_set;
pub mod residential_area;
pub mod residential_area_revision;
pub mod walk_network;
