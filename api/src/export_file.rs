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

/// Writes a whole FeatureCollection (CSV columns: the properties in order of first appearance).
pub fn write(collection: &Json, format: Format, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let features = collection["features"].as_array().map(Vec::as_slice).unwrap_or_default();
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
    let mut writer = FeatureWriter::new(format, &columns, out)?;
    for feature in features {
        writer.write(feature)?;
    }
    writer.finish().map(drop)
}

/// Writes features one at a time, so an export of any size needs memory for one feature.
pub struct FeatureWriter<'a> {
    out: Output<'a>,
    columns: Vec<String>,
    written: usize,
}

enum Output<'a> {
    Geojson(&'a mut dyn std::io::Write),
    Csv(Box<csv::Writer<&'a mut dyn std::io::Write>>),
}

impl<'a> FeatureWriter<'a> {
    /// Starts the output; `columns` are the CSV's property columns (after `lon` and `lat`).
    pub fn new(format: Format, columns: &[String], out: &'a mut dyn std::io::Write) -> anyhow::Result<Self> {
        let out = match format {
            Format::Geojson => {
                out.write_all(br#"{"type":"FeatureCollection","features":["#)?;
                Output::Geojson(out)
            }
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(["lon", "lat"].into_iter().chain(columns.iter().map(String::as_str)))?;
                Output::Csv(Box::new(writer))
            }
        };
        Ok(Self { out, columns: columns.to_vec(), written: 0 })
    }

    pub fn write(&mut self, feature: &Json) -> anyhow::Result<()> {
        match &mut self.out {
            Output::Geojson(out) => {
                if self.written > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut **out, feature)?;
            }
            Output::Csv(writer) => {
                let coordinates = &feature["geometry"]["coordinates"];
                if feature["geometry"]["type"] != "Point" {
                    anyhow::bail!("only Point features can be written as CSV");
                }
                let mut row = vec![cell("lon", &coordinates[0]), cell("lat", &coordinates[1])];
                row.extend(self.columns.iter().map(|c| cell(c, &feature["properties"][c.as_str()])));
                writer.write_record(&row)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the output; returns how many features were written.
    pub fn finish(self) -> anyhow::Result<usize> {
        match self.out {
            Output::Geojson(out) => out.write_all(b"]}\n")?,
            Output::Csv(mut writer) => writer.flush()?,
        }
        Ok(self.written)
    }
}

fn cell(column: &str, value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => crate::import_file::formula_safe(s),
        Json::Array(items) if column == "services" => {
            crate::import_file::formula_safe(&items.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(";"))
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
              "properties": { "name": "=HYPERLINK(\"x\")", "kind": "MEAL_POINT", "phone": "+86-951-1234567", "address": "[1]",
                              "services": ["=HYPERLINK(\"http://x\")", "TEA"] } }
        ]});
        let mut out = Vec::new();
        write(&fc, Format::Csv, &mut out).unwrap();
        let mut geojson = Vec::new();
        write(&fc, Format::Geojson, &mut geojson).unwrap();
        assert_eq!(serde_json::from_slice::<Json>(&geojson).unwrap(), fc);
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("'=HYPERLINK") && text.contains("'+86"), "{text}");
        assert!(!text.lines().any(|l| l.split(',').any(|c| c.trim_matches('"').starts_with('='))), "{text}");
        let back = csv_to_features(text).unwrap();
        assert_eq!(back, fc);
    }
}
