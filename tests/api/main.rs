//! End-to-end tests: the real application on port 0, a fresh database per test, GraphQL over
//! HTTP. SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set (see `helpers`).

// Test support code panics on purpose: a failed set-up step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod auth;
mod bad_input;
mod coverage;
mod demo;
mod exports;
mod facilities;
mod grid;
mod helpers;
mod hostile;
mod import;
mod nearby;
mod network;
mod network_cache;
mod network_queries;
mod norms;
mod opening_hours;
mod pagination;
mod processes;
mod readme;
mod schema;
mod service;
mod subscriptions;
mod tiles;
