//! The travel model's vocabulary.

use async_graphql::Enum;

/// What produced a travel time.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DistanceModel {
    /// Geodesic distance times the detour factor, at the walking speed.
    StraightLine,
    /// Shortest path on the imported walking network.
    Network,
    /// The network where it covers the point, else the straight line.
    Auto,
}
