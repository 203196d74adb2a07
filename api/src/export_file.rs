//! Writing exports: a FeatureCollection of Points as GeoJSON or as CSV. The CSV is the one
//! `import_file` reads: `lon` and `lat` columns, then one column per property; `services` as
//! a `;`-separated list, other lists and objects as JSON. Text that a spreadsheet would take
//! for a formula (`=`, `+`, `-`, `@` first) gets a leading `'`, which the import removes.

use serde_json::Value as Json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Geojson,
    Csv,
}

pub fn write(collection: &Json, format: Format, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match format {
        Format::Geojson => {
            serde_json::to_writer(&mut *out, collection)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(collection, out)?,
    }
    Ok(())
}

fn write_csv(collection: &Json, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let features = collection["features"].as_array().map(Vec::as_slice).unwrap_or_default();
    // Columns in the order they first appear.
    let mut columns: Vec<String> = Vec::new();
    for feature in features {
        if let Some(props) = feature["properties"].as_object() {
            for key in props.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["lon", "lat"].into_iter().chain(columns.iter().map(String::as_str)))?;
    for feature in features {
        let coordinates = &feature["geometry"]["coordinates"];
        if feature["geometry"]["type"] != "Point" {
            anyhow::bail!("only Point features can be written as CSV");
        }
        let mut row = vec![cell("lon", &coordinates[0]), cell("lat", &coordinates[1])];
        row.extend(columns.iter().map(|c| cell(c, &feature["properties"][c.as_str()])));
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

fn cell(column: &str, value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => crate::import_file::formula_safe(s),
        Json::Array(items) if column == "services" => {
            items.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(";")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::import_file::csv_to_features;
    use serde_json::json;

    #[test]
    fn csv_written_here_reads_back_the_same() {
        let fc = json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": [106.25, 38.4712345] },
              "properties": { "name": "食堂, \"东\"", "kind": "COMMUNITY_CANTEEN", "capacity": 40,
                              "services": ["HALAL", "TEA"], "canteen": { "halal": true, "meals": ["LUNCH"] } } },
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": [106.3, 38.5] },
              "properties": { "name": "=HYPERLINK(\"x\")", "kind": "MEAL_POINT", "phone": "+86-951-1234567", "address": "[1]" } }
        ]});
        let mut out = Vec::new();
        write(&fc, Format::Csv, &mut out).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("'=HYPERLINK") && text.contains("'+86"), "{text}");
        let back = csv_to_features(text).unwrap();
        assert_eq!(back, fc);
    }
}
