//! What a document costs, counted before it runs, in the spirit of GitHub's GraphQL API: a
//! field costs 1 plus its children, a list multiplies its children by how many items it may
//! return (`first`, `limit`), a geometry by the vertices it draws and a planning question by
//! its inputs. A document over the budget is refused whole with `GRAPHQL_VALIDATION_FAILED`
//! and its cost in `extensions.cost`.
//!
//! The unit is roughly one object in the response or ten vertices of geometry, so the budget
//! also bounds how large a response can grow.

use crate::domain::Invalid;

/// A search through an index (nearby, reachable): a walk of the R-tree or one Dijkstra.
pub const SEARCH: usize = 10;
/// One service area: 64 vertices as a circle, a few hundred as an isochrone.
pub const GEOMETRY: usize = 50;
/// A question that reads every residential area in scope (coverage, gaps, suggestions).
pub const PLANNING: usize = 200;
/// A collection with one geometry or feature per facility (serviceCircles, facilityFeatures).
pub const COLLECTION: usize = 2_000;
/// Items assumed for lists whose length only the data decides (reachable hits, history,
/// gaps, communities).
pub const UNBOUNDED_ITEMS: usize = 100;
/// What one `within` polygon vertex costs: a containment test per area in scope.
const VERTICES_PER_UNIT: usize = 10;
/// Candidate searches per unit at the 15-minute budget; a search grows with the area it
/// covers, so with the square of the budget.
const CANDIDATES_PER_UNIT: f64 = 10.0;

/// The default budget: a page of 100 facilities with every field is ~3,000, a 500-hit nearby
/// search with ten fields ~5,500, a coverage report ~250.
pub const DEFAULT_BUDGET: usize = 10_000;

/// No count a client asks for can make a cost larger than this; sums of capped terms cannot
/// overflow.
const CAP: usize = u32::MAX as usize;

/// A list of up to `items` (a client's `first` or `limit`, None for the default) of children
/// costing `child` each.
pub fn list(items: Option<i32>, default: i32, child: usize) -> usize {
    // A negative or zero count is refused by the resolver; it costs one item here.
    let n = usize::try_from(items.unwrap_or(default)).unwrap_or(1).max(1);
    n.saturating_mul(child.max(1)).min(CAP)
}

/// A list whose length the data decides.
pub fn unbounded(child: usize) -> usize {
    list(Some(UNBOUNDED_ITEMS as i32), 0, child)
}

/// A planning question restricted to a polygon of `vertices` vertices.
pub fn planning(vertices: usize, child: usize) -> usize {
    PLANNING.saturating_add(vertices / VERTICES_PER_UNIT).saturating_add(child).min(CAP)
}

/// Candidates assumed when `suggestSites` names none (it then tries the uncovered areas, whose
/// number only the data knows).
pub const ASSUMED_CANDIDATES: usize = 1_000;

/// `suggestSites`: one search per candidate (the uncovered areas when none are given), each
/// growing with the square of the budget, then `count` greedy rounds over them.
pub fn suggestions(candidates: Option<usize>, minutes: f64, count: i32, vertices: usize, child: usize) -> usize {
    let scale = if minutes.is_finite() { (minutes.max(0.0) / 15.0).powi(2).max(1.0) } else { 1.0 };
    let searches = candidates.unwrap_or(ASSUMED_CANDIDATES) as f64 * scale / CANDIDATES_PER_UNIT;
    let rounds = usize::try_from(count).unwrap_or(1).max(1);
    let searches = if searches >= CAP as f64 { CAP } else { searches as usize };
    planning(vertices, child).saturating_add(searches).saturating_add(rounds).min(CAP)
}

/// `accessibility`: one search per facility within reach (their number only the data knows),
/// each growing with the square of the catchment.
pub fn accessibility(minutes: f64, vertices: usize, child: usize) -> usize {
    suggestions(None, minutes, 1, vertices, child)
}

/// The refusal of a document costing `cost` where `budget` is allowed.
pub fn over_budget(cost: usize, budget: usize) -> Invalid {
    Invalid::new(format!(
        "the query costs {cost}, more than the budget of {budget}: ask for fewer items (first, limit), fewer \
         aliases or fewer geometries per request"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_multiply_their_children() {
        assert_eq!(list(Some(500), 20, 3), 1_500);
        assert_eq!(list(None, 20, 3), 60);
        assert_eq!(list(Some(-5), 20, 3), 3);
        assert_eq!(list(Some(i32::MAX), 20, usize::MAX), CAP);
    }

    #[test]
    fn many_circles_cost_more_than_the_budget() {
        // The attack of issue #12: 500 hits each drawing a service circle.
        let hit = 1 + (1 + GEOMETRY);
        assert!(SEARCH + list(Some(500), 20, hit) > DEFAULT_BUDGET);
        // A map's page of facilities with a dozen fields fits easily.
        assert!(1 + list(Some(100), 20, 14) < DEFAULT_BUDGET / 2);
    }

    #[test]
    fn planning_grows_with_its_inputs() {
        assert_eq!(planning(0, 8), PLANNING + 8);
        assert_eq!(planning(100_000, 0), PLANNING + 10_000);
        let small = suggestions(Some(1_000), 15.0, 5, 0, 4);
        let far = suggestions(Some(1_000), 60.0, 5, 0, 4);
        assert!(far > 10 * small / 2, "{far} vs {small}");
        assert!(suggestions(Some(50_000), 120.0, 50, 0, 4) > DEFAULT_BUDGET);
        assert!(suggestions(None, 15.0, 5, 0, 4) < DEFAULT_BUDGET);
        assert!(suggestions(Some(10), f64::NAN, 5, 0, 4) < DEFAULT_BUDGET);
    }
}
