//! Reading import files: GeoJSON FeatureCollections as they are, CSV rows (with `lon` and
//! `lat` columns, WGS-84) turned into Point features whose properties are the other columns.

use serde_json::{Map, Value as Json, json};
use std::path::Path;

/// Columns whose CSV text is JSON (a facility's category details).
const JSON_COLUMNS: [&str; 3] = ["canteen", "elderCare", "restStation"];
/// First characters that make spreadsheets read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a CSV cell no spreadsheet runs as a formula: a leading `'` where needed.
pub fn formula_safe(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) || text.starts_with('\'') { format!("'{text}") } else { text.to_owned() }
}

/// The text `formula_safe` was given.
fn from_formula_safe(cell: &str) -> &str {
    cell.strip_prefix('\'').filter(|rest| rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'')).unwrap_or(cell)
}

/// Columns whose CSV text is a number in the API.
const NUMERIC_COLUMNS: [&str; 4] = ["capacity", "population", "elderlyPopulation", "seats"];

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0} is not JSON: {1}")]
    Json(String, serde_json::Error),
    #[error("{0}: {1}")]
    Csv(String, String),
}

/// The file as a FeatureCollection. `.csv` files are read as CSV, anything else as GeoJSON.
pub fn read_feature_collection(path: &Path) -> Result<Json, ReadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ReadError::Io(name.clone(), e))?;
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        csv_to_features(&text).map_err(|e| ReadError::Csv(name, e))
    } else {
        serde_json::from_str(&text).map_err(|e| ReadError::Json(name, e))
    }
}

/// Converts every position of every feature's geometry from `crs` to WGS-84, in place.
/// Positions that are not two numbers in range are left for the import to reject.
pub fn to_wgs84(collection: &mut Json, crs: crate::geo::Crs) {
    fn convert(coordinates: &mut Json, crs: crate::geo::Crs) {
        let Some(items) = coordinates.as_array_mut() else { return };
        if let [Json::Number(x), Json::Number(y), ..] = items.as_slice()
            && let (Some(lon), Some(lat)) = (x.as_f64(), y.as_f64())
        {
            if let Ok(p) = crate::geo::LonLat::new(lon, lat) {
                let p = p.to_wgs84(crs);
                items[0] = json!(p.lon);
                items[1] = json!(p.lat);
            }
            return;
        }
        items.iter_mut().for_each(|c| convert(c, crs));
    }
    if crs == crate::geo::Crs::Wgs84 {
        return;
    }
    if let Some(features) = collection.get_mut("features").and_then(Json::as_array_mut) {
        for feature in features {
            if let Some(coordinates) = feature.get_mut("geometry").and_then(|g| g.get_mut("coordinates")) {
                convert(coordinates, crs);
            }
        }
    }
}

/// CSV with a header row to a FeatureCollection. Empty cells are left out; `services` is a
/// list separated by `;`; the category-detail columns are JSON; a leading `'` before a
/// formula character (see `formula_safe`) is removed.
pub fn csv_to_features(text: &str) -> Result<Json, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (lon, lat) = match (column("lon"), column("lat")) {
        (Some(lon), Some(lat)) => (lon, lat),
        _ => return Err("the header needs lon and lat columns".into()),
    };
    let mut features = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", row + 1))?;
        let number = |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok()).map_or(Json::Null, Json::from);
        let mut properties = Map::new();
        for (i, header) in headers.iter().enumerate() {
            let Some(cell) = record.get(i).filter(|c| !c.is_empty()) else { continue };
            if i == lon || i == lat {
                continue;
            }
            let value = if header == "services" {
                json!(from_formula_safe(cell).split(';').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            } else if NUMERIC_COLUMNS.contains(&header) {
                cell.parse::<i64>().map(Json::from).unwrap_or_else(|_| Json::from(cell))
            } else if JSON_COLUMNS.contains(&header) {
                serde_json::from_str(cell).unwrap_or_else(|_| Json::from(cell))
            } else {
                Json::from(from_formula_safe(cell))
            };
            properties.insert(header.to_owned(), value);
        }
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [number(lon), number(lat)] },
            "properties": properties,
        }));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_point_features_with_typed_properties() {
        let text = "name,kind,lon,lat,capacity,services,canteen\n食堂,COMMUNITY_CANTEEN,106.3,38.5,40,HALAL; TEA,\"{\"\"halal\"\": true}\"\nx,MEAL_POINT,bad,38.5,,,\n";
        let fc = csv_to_features(text).unwrap();
        let f = &fc["features"][0];
        assert_eq!(f["geometry"]["coordinates"], json!([106.3, 38.5]));
        assert_eq!(f["properties"]["capacity"], 40);
        assert_eq!(f["properties"]["services"], json!(["HALAL", "TEA"]));
        assert_eq!(f["properties"]["canteen"]["halal"], true);
        assert_eq!(fc["features"][1]["geometry"]["coordinates"][0], Json::Null);
        assert!(fc["features"][1]["properties"].get("capacity").is_none());
        assert!(csv_to_features("name,x,y\n").is_err());
    }
}
