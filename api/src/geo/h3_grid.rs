//! H3 cells covering an area (the `h3o` crate): the grid a travel-time heatmap is drawn on,
//! with a limit on how many cells one question may ask for.

use super::LonLat;
use ::geo::{ConvexHull, Geodesic, GeodesicArea, Length, MultiPoint, MultiPolygon, Point};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};

/// One cell of a grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridCell {
    pub index: CellIndex,
    /// Its centroid, where travel is timed from.
    pub center: LonLat,
}

impl GridCell {
    fn new(index: CellIndex) -> Self {
        let c = LatLng::from(index);
        Self { index, center: LonLat { lon: c.lng(), lat: c.lat() } }
    }

    /// Its boundary as a closed WGS-84 ring.
    pub fn ring(&self) -> Vec<LonLat> {
        let boundary = self.index.boundary();
        let mut ring: Vec<LonLat> = boundary.iter().map(|p| LonLat { lon: p.lng(), lat: p.lat() }).collect();
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        ring
    }
}

/// Why no grid was drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum GridRefusal {
    /// The area needs more cells than allowed at this resolution; `finest` is the finest
    /// resolution whose estimate fits (none if not even resolution 0 does).
    TooManyCells { cells: usize, finest: Option<u8> },
    /// The polygon is not one H3 can tile (a ring that crosses itself, NaN coordinates).
    InvalidArea(String),
}

/// The resolution for a number 0..=15.
pub fn resolution(r: u8) -> Option<Resolution> {
    Resolution::try_from(r).ok()
}

/// Roughly how many cells cover `area` at `resolution`: its area over a cell's, plus a ring
/// of cells around its boundary's length.
fn estimate(area: &MultiPolygon<f64>, resolution: Resolution) -> usize {
    let m2 = area.geodesic_area_unsigned();
    let cell_m2 = resolution.area_m2();
    let perimeter_m: f64 = area.0.iter().map(|p| Geodesic.length(p.exterior())).sum();
    let edge_m = (cell_m2 / 2.598).sqrt();
    let cells = m2 / cell_m2 + perimeter_m / edge_m;
    if cells.is_finite() { cells.ceil() as usize } else { usize::MAX }
}

/// The finest resolution, from `below` down, whose estimate for `area` is within `max_cells`.
fn finest_within(area: &MultiPolygon<f64>, below: u8, max_cells: usize) -> Option<u8> {
    (0..below).rev().find(|&r| resolution(r).is_some_and(|res| estimate(area, res) <= max_cells))
}

/// Every cell of `resolution` that touches `area` (WGS-84 longitude/latitude), in index order;
/// refused when more than `max_cells` would.
pub fn covering(
    area: &MultiPolygon<f64>,
    resolution: Resolution,
    max_cells: usize,
) -> Result<Vec<GridCell>, GridRefusal> {
    let r = u8::from(resolution);
    let guess = estimate(area, resolution);
    // A guess far over the limit is refused before any cell is made.
    if guess > max_cells.saturating_mul(2) {
        return Err(GridRefusal::TooManyCells { cells: guess, finest: finest_within(area, r, max_cells) });
    }
    let mut tiler = TilerBuilder::new(resolution).containment_mode(ContainmentMode::Covers).build();
    for polygon in &area.0 {
        tiler.add(polygon.clone()).map_err(|e| GridRefusal::InvalidArea(e.to_string()))?;
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    if cells.len() > max_cells {
        return Err(GridRefusal::TooManyCells { cells: cells.len(), finest: finest_within(area, r, max_cells) });
    }
    Ok(cells.into_iter().map(GridCell::new).collect())
}

/// The area a set of places spans: their convex hull, or none when it has no area (fewer
/// than three places, or all on a line).
pub fn hull(places: &[LonLat]) -> Option<MultiPolygon<f64>> {
    let points: MultiPoint<f64> = places.iter().map(|p| Point::new(p.lon, p.lat)).collect();
    let hull = points.convex_hull();
    (hull.geodesic_area_unsigned() > 0.0).then(|| MultiPolygon::new(vec![hull]))
}

/// The cells holding `places` (for places that span no area), in index order.
pub fn holding(places: &[LonLat], resolution: Resolution) -> Vec<GridCell> {
    let mut cells: Vec<CellIndex> =
        places.iter().filter_map(|p| LatLng::new(p.lat, p.lon).ok()).map(|ll| ll.to_cell(resolution)).collect();
    cells.sort_unstable();
    cells.dedup();
    cells.into_iter().map(GridCell::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::geo::{Contains, Distance, Polygon, polygon};

    fn square(lon: f64, lat: f64, side_deg: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: lon, y: lat), (x: lon + side_deg, y: lat), (x: lon + side_deg, y: lat + side_deg),
            (x: lon, y: lat + side_deg), (x: lon, y: lat)
        ]])
    }

    #[test]
    fn the_cells_cover_the_area_and_their_centres_are_inside_them() {
        let area = square(106.25, 38.45, 0.02);
        let res = resolution(9).unwrap();
        let cells = covering(&area, res, 10_000).unwrap();
        // Resolution 9 cells average 0.105 km2; the square is about 3.9 km2.
        let km2 = area.geodesic_area_unsigned() / 1e6;
        assert!(cells.len() as f64 > km2 / 0.1053, "{} cells for {km2} km2", cells.len());
        assert!(cells.len() < 100, "{}", cells.len());
        // Every point of the area lies in one of the cells (checked on a lattice).
        let polygons: Vec<Polygon<f64>> =
            cells.iter().map(|c| Polygon::new(c.ring().iter().map(|p| (p.lon, p.lat)).collect(), vec![])).collect();
        for i in 0..=20 {
            for j in 0..=20 {
                let p = Point::new(106.25 + 0.001 * f64::from(i), 38.45 + 0.001 * f64::from(j));
                assert!(polygons.iter().any(|c| c.contains(&p) || ::geo::Intersects::intersects(c, &p)), "{p:?}");
            }
        }
        for (cell, polygon) in cells.iter().zip(&polygons) {
            assert!(polygon.contains(&Point::new(cell.center.lon, cell.center.lat)));
            // A resolution 9 cell's edge is about 200 m: its centre is within 250 m of its corners.
            let corner = cell.ring()[0];
            let d = Geodesic.distance(Point::new(cell.center.lon, cell.center.lat), Point::new(corner.lon, corner.lat));
            assert!(d > 100.0 && d < 250.0, "{d}");
        }
        let mut sorted = cells.clone();
        sorted.sort_by_key(|c| c.index);
        sorted.dedup();
        assert_eq!(sorted, cells, "sorted, each once");
    }

    #[test]
    fn too_many_cells_are_refused_with_a_resolution_that_fits() {
        let district = square(106.0, 38.2, 0.5);
        let refused = covering(&district, resolution(12).unwrap(), 50_000).unwrap_err();
        let GridRefusal::TooManyCells { cells, finest: Some(finest) } = refused else { panic!("{refused:?}") };
        assert!(cells > 50_000);
        assert!(finest < 12);
        let fitting = covering(&district, resolution(finest).unwrap(), 50_000).unwrap();
        assert!(fitting.len() <= 50_000 && fitting.len() > 50_000 / 10, "{}", fitting.len());
        assert!(covering(&district, resolution(finest + 1).unwrap(), 50_000).is_err());
    }

    #[test]
    fn places_on_a_line_span_no_area() {
        let line = [LonLat { lon: 106.0, lat: 38.0 }, LonLat { lon: 106.01, lat: 38.0 }];
        assert!(hull(&line).is_none());
        let cells = holding(&line, resolution(8).unwrap());
        assert_eq!(cells.len(), 2);
        let triangle = [line[0], line[1], LonLat { lon: 106.0, lat: 38.01 }];
        assert!(hull(&triangle).is_some());
    }
}
