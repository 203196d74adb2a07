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
    #[error("{0} is not a GeoJSON FeatureCollection with a \"features\" list")]
    NotACollection(String),
}

/// Reads the file's features in file order and hands them to `each` in batches of `batch`
/// (`.csv` as CSV, anything else as a GeoJSON FeatureCollection), converted from `crs` to
/// WGS-84, holding one batch at a time however large the file. Stops early, without error,
/// when `each` returns false.
pub fn stream_features(
    path: &Path,
    crs: crate::geo::Crs,
    batch: usize,
    each: &mut dyn FnMut(Vec<Json>) -> bool,
) -> Result<(), ReadError> {
    let name = path.display().to_string();
    let mut pending = Vec::with_capacity(batch);
    let mut open = true;
    let mut push = |mut feature: Json| {
        feature_to_wgs84(&mut feature, crs);
        pending.push(feature);
        if pending.len() >= batch {
            open = each(std::mem::replace(&mut pending, Vec::with_capacity(batch)));
        }
        open
    };
    let file = std::fs::File::open(path).map_err(|e| ReadError::Io(name.clone(), e))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let mut rows = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(reader);
        let columns = Columns::of(&mut rows).map_err(|e| ReadError::Csv(name.clone(), e))?;
        for (row, record) in rows.records().enumerate() {
            let record = record.map_err(|e| ReadError::Csv(name.clone(), format!("row {}: {e}", row + 1)))?;
            if !push(columns.feature(&record)) {
                return Ok(());
            }
        }
    } else {
        let mut json = serde_json::Deserializer::from_reader(reader);
        let kind = serde::de::DeserializeSeed::deserialize(CollectionSeed(&mut push), &mut json);
        match kind {
            Err(e) if e.to_string().starts_with(STOPPED) => return Ok(()),
            Err(e) => return Err(ReadError::Json(name, e)),
            Ok(Collection { kind, has_features }) => {
                json.end().map_err(|e| ReadError::Json(name.clone(), e))?;
                if kind.as_deref() != Some("FeatureCollection") || !has_features {
                    return Err(ReadError::NotACollection(name));
                }
            }
        }
    }
    if !pending.is_empty() {
        each(pending);
    }
    Ok(())
}

/// The message of the error that ends a parse `each` stopped.
const STOPPED: &str = "import stopped";

/// What the top level of a streamed GeoJSON document said about itself.
struct Collection {
    kind: Option<String>,
    has_features: bool,
}

/// Reads the top-level object, handing each element of `features` to the closure as it is
/// parsed, so that only one feature is held at a time.
struct CollectionSeed<'a>(&'a mut dyn FnMut(Json) -> bool);

impl<'de> serde::de::DeserializeSeed<'de> for CollectionSeed<'_> {
    type Value = Collection;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Collection, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CollectionSeed<'_> {
    type Value = Collection;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Collection, A::Error> {
        let mut collection = Collection { kind: None, has_features: false };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => collection.kind = Some(map.next_value()?),
                "features" => {
                    map.next_value_seed(FeaturesSeed(&mut *self.0))?;
                    collection.has_features = true;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(collection)
    }
}

struct FeaturesSeed<'a>(&'a mut dyn FnMut(Json) -> bool);

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FeaturesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<Json>()? {
            if !(self.0)(feature) {
                return Err(serde::de::Error::custom(STOPPED));
            }
        }
        Ok(())
    }
}

/// Converts every position of the feature's geometry from `crs` to WGS-84, in place.
/// Positions that are not two numbers in range are left for the import to reject.
fn feature_to_wgs84(feature: &mut Json, crs: crate::geo::Crs) {
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
    if let Some(coordinates) = feature.get_mut("geometry").and_then(|g| g.get_mut("coordinates")) {
        convert(coordinates, crs);
    }
}

/// CSV with a header row to a FeatureCollection. Empty cells are left out; `services` is a
/// list separated by `;`; the category-detail columns are JSON; a leading `'` before a
/// formula character (see `formula_safe`) is removed. (Imports stream their rows through
/// `stream_features`; this reads a whole text, as the export tests do.)
#[cfg(test)]
pub fn csv_to_features(text: &str) -> Result<Json, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let columns = Columns::of(&mut reader)?;
    let mut features = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", row + 1))?;
        features.push(columns.feature(&record));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// A CSV header: the column names and where the position is.
struct Columns {
    headers: csv::StringRecord,
    lon: usize,
    lat: usize,
}

impl Columns {
    fn of<R: std::io::Read>(reader: &mut csv::Reader<R>) -> Result<Self, String> {
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let column = |name: &str| headers.iter().position(|h| h == name);
        match (column("lon"), column("lat")) {
            (Some(lon), Some(lat)) => Ok(Self { headers, lon, lat }),
            _ => Err("the header needs lon and lat columns".into()),
        }
    }

    /// One row as a Point feature.
    fn feature(&self, record: &csv::StringRecord) -> Json {
        let number = |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok()).map_or(Json::Null, Json::from);
        let mut properties = Map::new();
        for (i, header) in self.headers.iter().enumerate() {
            let Some(cell) = record.get(i).filter(|c| !c.is_empty()) else { continue };
            if i == self.lon || i == self.lat {
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
        json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [number(self.lon), number(self.lat)] },
            "properties": properties,
        })
    }
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

    fn streamed(name: &str, text: &str, batch: usize, stop_after: usize) -> (Result<(), ReadError>, Vec<Vec<Json>>) {
        let path = std::env::temp_dir().join(format!("service-circle-stream-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let mut batches = Vec::new();
        let result = stream_features(&path, crate::geo::Crs::Wgs84, batch, &mut |b| {
            batches.push(b);
            batches.len() < stop_after
        });
        std::fs::remove_file(&path).ok();
        (result, batches)
    }

    #[test]
    fn files_are_streamed_in_batches_in_file_order_and_junk_is_refused() {
        let feature = |i: usize| json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [106.0, 38.0] }, "properties": { "name": i } });
        // "features" before "type", and other members, as GeoJSON allows.
        let text = json!({ "features": (0..7).map(feature).collect::<Vec<_>>(), "bbox": [0, 0, 1, 1], "type": "FeatureCollection" })
            .to_string();
        let (result, batches) = streamed("a.geojson", &text, 3, usize::MAX);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        let names: Vec<Json> = batches.iter().flatten().map(|f| f["properties"]["name"].clone()).collect();
        assert_eq!(names, (0..7).map(|i| json!(i)).collect::<Vec<_>>());
        // The consumer stops: no more batches, no error.
        let (result, batches) = streamed("b.geojson", &text, 3, 1);
        assert!(result.is_ok() && batches.len() == 1, "{result:?}");
        let csv = "name,lon,lat\na,106.1,38.1\nb,106.2,38.2\n";
        let (result, batches) = streamed("c.csv", csv, 1, usize::MAX);
        assert!(result.is_ok() && batches.len() == 2, "{result:?}");
        assert_eq!(batches[1][0]["geometry"]["coordinates"], json!([106.2, 38.2]));
        for (name, junk) in [
            ("d.geojson", r#"{"type": "Feature", "geometry": null}"#.to_owned()),
            ("e.geojson", text[..text.len() / 2].to_owned()),
            ("f.geojson", r#"{"type": "FeatureCollection"}"#.to_owned()),
            ("g.geojson", format!("{text} trailing")),
            ("h.csv", "name,x,y\na,1,2\n".to_owned()),
        ] {
            let (result, _) = streamed(name, &junk, 3, usize::MAX);
            assert!(result.is_err(), "{name} is refused");
        }
    }
}
