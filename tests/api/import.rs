use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use serde_json::json;

const IMPORT: &str =
    "mutation($f: GeoJSON!) { importFacilities(features: $f) { created updated rejected { index reason } } }";

fn point(lon: f64, lat: f64, properties: serde_json::Value) -> serde_json::Value {
    json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] }, "properties": properties })
}

#[actix_web::test]
async fn importing_facilities_writes_valid_rows_rejects_the_rest_and_updates_by_id() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let existing = create_at(&app, &admin, "MEAL_POINT", 106.3, 38.5).await;
    let features = json!({ "type": "FeatureCollection", "features": [
        point(106.31, 38.51, json!({ "kind": "COMMUNITY_CANTEEN", "name": "新食堂", "services": ["HALAL"], "canteen": { "halal": true, "meals": ["LUNCH"] }, "osm_id": 42 })),
        point(106.32, 38.52, json!({ "kind": "SPA", "name": "x" })),
        point(106.33, 95.0, json!({ "kind": "MEAL_POINT", "name": "y" })),
        point(106.34, 38.54, json!({ "kind": "MEAL_POINT", "name": "  " })),
        point(106.35, 38.55, json!({ "id": existing, "name": "改名了", "capacity": 12 })),
        point(106.36, 38.56, json!({ "id": "bm9wZQ", "name": "no such" })),
        { "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[0, 0], [1, 1]] }, "properties": { "kind": "MEAL_POINT", "name": "z" } },
        point(106.37, 38.57, json!({ "kind": "OUTDOOR_WORKER_STATION", "name": "驿站", "restStation": { "open24Hours": true } })),
    ]});
    let forbidden = app.gql(IMPORT, json!({ "f": features }), Some(&editor)).await;
    assert_eq!(error_codes(&forbidden), ["FORBIDDEN"]);
    let result = app.ok(IMPORT, json!({ "f": features }), Some(&admin)).await["importFacilities"].clone();
    assert_eq!(result["created"], 2);
    assert_eq!(result["updated"], 1);
    let rejected: Vec<i64> =
        result["rejected"].as_array().unwrap().iter().map(|r| r["index"].as_i64().unwrap()).collect();
    assert_eq!(rejected, [1, 2, 3, 5, 6]);
    assert!(result["rejected"].as_array().unwrap().iter().all(|r| !r["reason"].as_str().unwrap().is_empty()));

    let all = app.ok("{ facilities { totalCount edges { node { id name capacity version location { lon lat } services canteen { halal } } } } }", json!({}), None).await;
    assert_eq!(all["facilities"]["totalCount"], 3, "the rejected rows wrote nothing");
    let edges = all["facilities"]["edges"].as_array().unwrap();
    let updated = edges.iter().find(|e| e["node"]["id"] == existing.as_str()).unwrap();
    assert_eq!(updated["node"]["name"], "改名了");
    assert_eq!(updated["node"]["capacity"], 12);
    assert_eq!(updated["node"]["version"], 2);
    assert_eq!(updated["node"]["location"]["lon"], 106.35);
    let canteen = edges.iter().find(|e| e["node"]["name"] == "新食堂").unwrap();
    assert_eq!(canteen["node"]["canteen"]["halal"], true);
    assert_eq!(canteen["node"]["services"], json!(["HALAL"]));
    // The imported facilities are searchable at once.
    let hits = app
        .ok("{ nearbyFacilities(near: { lon: 106.37, lat: 38.57 }, limit: 1) { facility { name } } }", json!({}), None)
        .await;
    assert_eq!(hits["nearbyFacilities"][0]["facility"]["name"], "驿站");

    let not_a_collection =
        app.gql(IMPORT, json!({ "f": { "type": "Point", "coordinates": [0, 0] } }), Some(&admin)).await;
    assert_eq!(error_codes(&not_a_collection), ["BAD_USER_INPUT"]);
}

#[actix_web::test]
async fn importing_residential_areas_takes_points_and_polygon_centroids() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let q =
        "mutation($f: GeoJSON!) { importResidentialAreas(features: $f) { created updated rejected { index reason } } }";
    let square = json!({ "type": "Polygon", "coordinates": [[[106.30, 38.50], [106.32, 38.50], [106.32, 38.52], [106.30, 38.52], [106.30, 38.50]]] });
    let features = json!({ "type": "FeatureCollection", "features": [
        point(106.3, 38.5, json!({ "name": "点", "population": 1000, "elderlyPopulation": 200, "communityCode": "640104001001" })),
        { "type": "Feature", "geometry": square, "properties": { "name": "面", "population": 500, "elderlyPopulation": 100 } },
        point(106.3, 38.5, json!({ "name": "bad", "population": 10, "elderlyPopulation": 20 })),
        point(106.3, 38.5, json!({ "name": "bad code", "population": 10, "elderlyPopulation": 2, "communityCode": "12" })),
    ]});
    let result = app.ok(q, json!({ "f": features }), Some(&admin)).await["importResidentialAreas"].clone();
    assert_eq!(result["created"], 2);
    assert_eq!(
        result["rejected"].as_array().unwrap().iter().map(|r| r["index"].as_i64().unwrap()).collect::<Vec<_>>(),
        [2, 3]
    );
    let areas =
        app.ok("{ residentialAreaCoverage(input: {}) }", json!({}), None).await["residentialAreaCoverage"]["features"]
            .clone();
    let polygon = areas.as_array().unwrap().iter().find(|f| f["properties"]["name"] == "面").unwrap();
    let c = &polygon["geometry"]["coordinates"];
    assert!(
        (c[0].as_f64().unwrap() - 106.31).abs() < 1e-9 && (c[1].as_f64().unwrap() - 38.51).abs() < 1e-9,
        "centroid {c}"
    );
}

/// The CLI streams a file in batches (of 1,000) into one transaction: rejections carry their
/// index in the whole file, and a file that turns out broken after some batches writes nothing.
#[actix_web::test]
async fn the_cli_streams_a_large_file_into_one_transaction() {
    use crate::helpers::fresh_database;
    use crate::processes::command;
    let (url, dir) = fresh_database().await;
    let folder = std::env::temp_dir().join(format!("service-circle-stream-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let bad = [5, 1_500, 2_400];
    let features: Vec<serde_json::Value> = (0..2_500)
        .map(|i| {
            let kind = if bad.contains(&i) { "NOT_A_KIND" } else { "MEAL_POINT" };
            point(
                106.2 + (i % 50) as f64 * 1e-3,
                38.4 + (i / 50) as f64 * 1e-3,
                json!({ "name": format!("p{i}"), "kind": kind }),
            )
        })
        .collect();
    let text = json!({ "type": "FeatureCollection", "features": features }).to_string();
    let good = folder.join("good.geojson");
    std::fs::write(&good, &text).unwrap();
    let out = command(&url, &["import", "facilities", good.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for i in bad {
        assert!(stderr.contains(&format!("rejected feature {i}:")), "{stderr}");
    }
    assert!(stderr.contains("created 2497, updated 0, rejected 3"), "{stderr}");
    // The same file cut short after about two batches: an error, and nothing more written.
    let broken = folder.join("broken.geojson");
    std::fs::write(&broken, &text[..text.len() * 9 / 10]).unwrap();
    let out = command(&url, &["import", "facilities", broken.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let store = api::store::Store::connect(&url, 2).await.unwrap();
    assert_eq!(store.all_facilities().await.unwrap().len(), 2_497);
    store.close().await;
    std::fs::remove_dir_all(&folder).ok();
    drop(dir);
}

/// Loading every facility and area reads them a page at a time (4,000 and 10,000 a query):
/// a fresh process sees each one exactly once across page boundaries.
#[actix_web::test]
async fn a_fresh_process_loads_every_facility_and_area_across_pages() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let features: Vec<serde_json::Value> = (0..9_001)
        .map(|i| {
            point(
                106.2 + (i % 90) as f64 * 1e-3,
                38.4 + (i / 90) as f64 * 1e-3,
                json!({ "name": format!("p{i}"), "kind": "MEAL_POINT" }),
            )
        })
        .collect();
    let answer =
        app.ok(IMPORT, json!({ "f": { "type": "FeatureCollection", "features": features } }), Some(&admin)).await;
    assert_eq!(answer["importFacilities"]["created"], 9_001);
    let areas: Vec<serde_json::Value> = (0..10_001)
        .map(|i| {
            point(
                106.2 + (i % 100) as f64 * 1e-3,
                38.4 + (i / 100) as f64 * 1e-3,
                json!({ "name": format!("a{i}"), "population": 10, "elderlyPopulation": 1 }),
            )
        })
        .collect();
    let q = "mutation($f: GeoJSON!) { importResidentialAreas(features: $f) { created } }";
    let answer = app.ok(q, json!({ "f": { "type": "FeatureCollection", "features": areas } }), Some(&admin)).await;
    assert_eq!(answer["importResidentialAreas"]["created"], 10_001);
    let fresh = api::store::Store::connect(&app.database_url, 2).await.unwrap();
    let loaded = fresh.facilities_matching(&Default::default(), usize::MAX).await.unwrap().unwrap();
    let mut ids: Vec<i64> = loaded.iter().map(|f| f.id.0).collect();
    ids.dedup();
    assert_eq!(ids.len(), 9_001);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let areas = fresh.residential_areas().await.unwrap();
    let mut area_ids: Vec<i64> = areas.all().iter().map(|a| a.id.0).collect();
    area_ids.dedup();
    assert_eq!(area_ids.len(), 10_001);
    fresh.close().await;
}
