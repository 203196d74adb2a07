//! Exports: `service-circle export` (the real binary) and the GraphQL FeatureCollections. An
//! export of the demo facilities, imported into an empty database, gives the same facilities,
//! in GeoJSON and CSV and through every coordinate system.

use crate::helpers::{TestApp, fresh_database};
use crate::processes::command;
use api::domain::facility::Facility;
use api::store::Store;
use serde_json::{Value, json};

fn run(database_url: &str, args: &[&str]) {
    let out = command(database_url, args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

async fn facilities(database_url: &str) -> Vec<Facility> {
    let store = Store::connect(database_url, 2).await.unwrap();
    let all = store.all_facilities().await.unwrap();
    store.close().await;
    all
}

/// Same facilities: every field equal, positions within `tolerance` degrees.
fn assert_same(a: &[Facility], b: &[Facility], tolerance: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: facility count");
    for (x, y) in a.iter().zip(b) {
        let (mut dx, mut dy) = (x.draft.clone(), y.draft.clone());
        assert!(
            (dx.lon - dy.lon).abs() <= tolerance && (dx.lat - dy.lat).abs() <= tolerance,
            "{what}: {} moved: {} {} -> {} {}",
            dx.name,
            dx.lon,
            dx.lat,
            dy.lon,
            dy.lat
        );
        (dx.lon, dx.lat, dy.lon, dy.lat) = (0.0, 0.0, 0.0, 0.0);
        assert_eq!(dx, dy, "{what}");
    }
}

#[actix_web::test]
async fn exported_facilities_import_into_an_empty_database_unchanged() {
    let (source, _dir) = fresh_database().await;
    run(&source, &["demo"]);
    let original = facilities(&source).await;
    assert!(original.len() > 400 && original.iter().any(|f| f.draft.details.is_some()));
    let work = std::env::temp_dir().join(format!("sc-export-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    // WGS-84 numbers print and parse exactly; through GCJ-02/BD-09 and back the inverse is
    // iterative, well under a millimetre (1e-8 degrees).
    for (format, crs, tolerance) in
        [("geojson", "wgs84", 0.0), ("csv", "wgs84", 0.0), ("geojson", "gcj02", 1e-8), ("csv", "bd09", 1e-8)]
    {
        let file = work.join(format!("facilities-{crs}.{}", if format == "csv" { "csv" } else { "json" }));
        let file = file.to_str().unwrap();
        run(&source, &["export", "facilities", "--format", format, "--crs", crs, "--output", file]);
        let (target, _target_dir) = fresh_database().await;
        run(&target, &["import", "facilities", file, "--crs", crs]);
        assert_same(&original, &facilities(&target).await, tolerance, &format!("{format} {crs}"));
    }
    std::fs::remove_dir_all(&work).ok();
}

#[actix_web::test]
async fn graphql_collections_match_the_command_line_export() {
    let (url, _dir) = fresh_database().await;
    run(&url, &["demo"]);
    let file = std::env::temp_dir().join(format!("sc-export-gql-{}.json", std::process::id()));
    run(&url, &["export", "facilities", "--crs", "gcj02", "--output", file.to_str().unwrap()]);
    let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    std::fs::remove_file(&file).ok();
    let app = TestApp::spawn_on(&url).await;
    let data = app
        .ok("{ facilityFeatures(crs: GCJ02) facilities(first: 3) { edges { node { id location(crs: GCJ02) { lon lat } } } } }", json!({}), None)
        .await;
    assert_eq!(data["facilityFeatures"], exported);
    // Each feature is the facility, at its GCJ-02 position.
    for edge in data["facilities"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let feature = exported["features"].as_array().unwrap().iter().find(|f| f["id"] == node["id"]).unwrap();
        assert_eq!(feature["geometry"]["coordinates"], json!([node["location"]["lon"], node["location"]["lat"]]));
    }
    // A filtered collection has what the filter admits.
    let canteens = app
        .ok("{ facilityFeatures(filter: { categories: [CANTEEN] }) facilities(filter: { categories: [CANTEEN] }) { totalCount } }", json!({}), None)
        .await;
    assert_eq!(
        canteens["facilityFeatures"]["features"].as_array().unwrap().len() as u64,
        canteens["facilities"]["totalCount"].as_u64().unwrap()
    );
    // Collections have a size limit, checked before any facility is read.
    let everything = api::domain::facility::FacilityFilter::default();
    let all = app.store.facilities_matching(&everything, usize::MAX).await.unwrap().unwrap();
    assert_eq!(all.len() as u64, app.store.count_facilities(&everything).await.unwrap());
    assert_eq!(app.store.facilities_matching(&everything, all.len() - 1).await.unwrap().err(), Some(all.len()));

    // The coverage export: one row per residential area, covered as the coverage report counts.
    let out = command(&url, &["export", "coverage", "--format", "csv", "--minutes", "15"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv_rows(&text);
    let header = rows.remove(0);
    let covered_column = header.iter().position(|h| h == "covered").unwrap();
    let report = app
        .ok("{ coverage(input: { minutes: 15 }) { residentialAreas coveredResidentialAreas } }", json!({}), None)
        .await;
    assert_eq!(rows.len() as u64, report["coverage"]["residentialAreas"].as_u64().unwrap());
    let covered = rows.iter().filter(|r| r[covered_column] == "true").count() as u64;
    assert_eq!(covered, report["coverage"]["coveredResidentialAreas"].as_u64().unwrap());
}

/// The demo's names have no commas or quotes, so a plain split reads this CSV.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
}
