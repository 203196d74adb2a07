//! The `GeoJSON` scalar (RFC 7946 objects as JSON, not strings) and the geometries the API
//! reads and writes.

use super::geometry::Crs;
use crate::domain::Invalid;
use crate::geo::LonLat;
use ::geo::{LineString, MultiPolygon, Polygon};
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use serde_json::{Value as Json, json};

/// An RFC 7946 GeoJSON Geometry, Feature or FeatureCollection object (not a string).
#[derive(Clone, Debug, PartialEq)]
pub struct GeoJson(pub Json);

/// An RFC 7946 GeoJSON Geometry, Feature or FeatureCollection object, as a JSON value (not a
/// string); positions are [longitude, latitude] in degrees. Inputs are WGS-84; outputs are in
/// the coordinate system named by the `crs` argument of the query that returns them.
#[Scalar(name = "GeoJSON")]
impl ScalarType for GeoJson {
    fn parse(value: Value) -> InputValueResult<Self> {
        let json = value.into_json().map_err(|e| InputValueError::custom(e.to_string()))?;
        if json.get("type").and_then(Json::as_str).is_none() {
            return Err(InputValueError::custom("a GeoJSON object needs a \"type\" member"));
        }
        Ok(Self(json))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

fn position(p: LonLat, crs: Crs) -> Json {
    let p = p.from_wgs84(crs.into());
    json!([p.lon, p.lat])
}

/// A Polygon geometry from one closed WGS-84 ring, in `crs`.
pub fn polygon(ring: &[LonLat], crs: Crs) -> GeoJson {
    GeoJson(json!({ "type": "Polygon", "coordinates": [ring.iter().map(|&p| position(p, crs)).collect::<Vec<_>>()] }))
}

/// A Polygon geometry if `area` is one polygon, else a MultiPolygon, from WGS-84 rings, in `crs`.
pub fn multi_polygon(area: &MultiPolygon<f64>, crs: Crs) -> GeoJson {
    let ring =
        |r: &LineString<f64>| r.coords().map(|c| position(LonLat { lon: c.x, lat: c.y }, crs)).collect::<Vec<_>>();
    let rings = |p: &Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect::<Vec<_>>();
    GeoJson(match area.0.as_slice() {
        [one] => json!({ "type": "Polygon", "coordinates": rings(one) }),
        many => json!({ "type": "MultiPolygon", "coordinates": many.iter().map(rings).collect::<Vec<_>>() }),
    })
}

/// A Point geometry, in `crs`.
pub fn point(p: LonLat, crs: Crs) -> Json {
    json!({ "type": "Point", "coordinates": position(p, crs) })
}

pub fn feature(geometry: Json, properties: Json) -> Json {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

pub fn feature_collection(features: Vec<Json>) -> GeoJson {
    GeoJson(json!({ "type": "FeatureCollection", "features": features }))
}

/// Polygons (outer ring, holes) read from a WGS-84 Polygon or MultiPolygon geometry (or a
/// Feature holding one).
/// The most vertices a polygon given as input may have, counted before any work on it.
pub const MAX_POLYGON_VERTICES: usize = 10_000;

/// How many positions a Polygon or MultiPolygon (or a Feature of one) lists; 0 for anything
/// else. Counts without building anything.
pub fn position_count(value: &Json) -> usize {
    let geometry = if value.get("type").and_then(Json::as_str) == Some("Feature") { &value["geometry"] } else { value };
    let Some(coordinates) = geometry.get("coordinates").and_then(Json::as_array) else {
        return 0;
    };
    let rings =
        |polygon: &Json| polygon.as_array().map_or(0, |r| r.iter().filter_map(Json::as_array).map(Vec::len).sum());
    match geometry.get("type").and_then(Json::as_str) {
        Some("Polygon") => coordinates.iter().filter_map(Json::as_array).map(Vec::len).sum(),
        Some("MultiPolygon") => coordinates.iter().map(rings).sum(),
        _ => 0,
    }
}

pub fn read_polygons(value: &Json) -> Result<Vec<Vec<Vec<LonLat>>>, Invalid> {
    let bad = |why: &str| Invalid::new(format!("within must be a GeoJSON Polygon or MultiPolygon: {why}"));
    let vertices = position_count(value);
    if vertices > MAX_POLYGON_VERTICES {
        return Err(bad(&format!("{vertices} vertices, more than the {MAX_POLYGON_VERTICES} allowed")));
    }
    let geometry = if value.get("type").and_then(Json::as_str) == Some("Feature") { &value["geometry"] } else { value };
    let coordinates = geometry.get("coordinates").ok_or_else(|| bad("no coordinates"))?;
    let polygons: Vec<&Json> = match geometry.get("type").and_then(Json::as_str) {
        Some("Polygon") => vec![coordinates],
        Some("MultiPolygon") => {
            coordinates.as_array().ok_or_else(|| bad("coordinates are not a list"))?.iter().collect()
        }
        _ => return Err(bad("wrong type")),
    };
    polygons
        .into_iter()
        .map(|rings| {
            let rings = rings.as_array().ok_or_else(|| bad("a polygon is not a list of rings"))?;
            if rings.is_empty() {
                return Err(bad("a polygon needs an outer ring"));
            }
            rings
                .iter()
                .map(|ring| {
                    let ring: Vec<LonLat> = ring
                        .as_array()
                        .ok_or_else(|| bad("a ring is not a list of positions"))?
                        .iter()
                        .map(|pos| {
                            let numbers =
                                pos.as_array().filter(|p| (2..=3).contains(&p.len()) && p.iter().all(Json::is_number));
                            if numbers.is_none() {
                                return Err(bad("a position is a list of two or three numbers"));
                            }
                            let lon =
                                pos.get(0).and_then(Json::as_f64).ok_or_else(|| bad("a position needs numbers"))?;
                            let lat =
                                pos.get(1).and_then(Json::as_f64).ok_or_else(|| bad("a position needs numbers"))?;
                            LonLat::new(lon, lat).map_err(|e| bad(&e.to_string()))
                        })
                        .collect::<Result<_, _>>()?;
                    if ring.len() < 4 || ring.first() != ring.last() {
                        return Err(bad("a ring needs at least four positions, the last equal to the first"));
                    }
                    Ok(ring)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_are_read_and_bad_ones_rejected() {
        let square = json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] });
        assert_eq!(read_polygons(&square).unwrap()[0][0].len(), 5);
        let multi = json!({ "type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 5]]]] });
        assert_eq!(read_polygons(&multi).unwrap().len(), 2);
        assert!(read_polygons(&json!({ "type": "Point", "coordinates": [0, 0] })).is_err());
        assert!(read_polygons(&json!({ "type": "Polygon", "coordinates": [] })).is_err());
        assert!(read_polygons(&json!({ "type": "MultiPolygon", "coordinates": [[]] })).is_err());
        assert!(read_polygons(&json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]] })).is_err());
        assert!(
            read_polygons(&json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]] })).is_err()
        );
    }
}
