//! service-circle: who can reach which community service within 15 minutes.
//!
//! `geo` holds every computation (pure), `domain` the vocabulary and input rules, `store` every
//! query, `graphql` the API, `startup` the HTTP server and `cli` the commands.

pub mod app;
pub mod auth;
pub mod bulk_lane;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod error_code;
pub mod export_file;
pub mod geo;
pub mod graphql;
pub mod graphql_http;
pub mod import_file;
pub mod map_page;
pub mod memory_release;
pub mod metrics;
pub mod osm_import;
pub mod osm_tiles;
pub mod planning_pool;
pub mod rate_limit;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tiles_http;
pub mod web_assets;
pub mod websocket;
