//! Every computation on places: coordinates, distances, search areas, ranking and travel
//! times. Synchronous and pure: plain types in, plain types out. This module must not import
//! actix_web, async_graphql or sea_orm, and does no I/O.

pub mod accessibility;
pub mod bounds;
pub mod circle;
pub mod coords;
pub mod coverage;
pub mod deadline;
pub mod distance;
pub mod gaps;
pub mod h3_grid;
pub mod isochrone;
pub mod nearest;
pub mod network;
pub mod network_tiles;
pub mod point_cells;
pub mod sites;
pub mod sphere_index;
pub mod sphere_points;
pub mod travel;
pub mod walk_times;
pub mod web_tiles;

pub use coords::{Crs, InvalidCoordinate, LonLat};
