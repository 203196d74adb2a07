//! Vector tiles (issue 14, item 4) decoded by an independent decoder (the `mvt-reader` crate)
//! and compared with the facilities the GraphQL API returns; tile coordinates by the slippy-map
//! formulas, written out here.

use crate::helpers::{TestApp, create_at, test_client};
use api::domain::role::Role;
use mvt_reader::feature::Value as Tag;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::io::Read;

const Z: u32 = 14;

pub(crate) fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lat = lat.to_radians();
    (((lon + 180.0) / 360.0 * n) as u32, ((1.0 - lat.tan().asinh() / PI) / 2.0 * n) as u32)
}

/// Longitude/latitude of a position inside tile (x, y) of zoom z, in tile units of 4096.
pub(crate) fn lon_lat(x: u32, y: u32, z: u32, px: f64, py: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let fx = (f64::from(x) + px / 4096.0) / n;
    let fy = (f64::from(y) + py / 4096.0) / n;
    (fx * 360.0 - 180.0, (PI * (1.0 - 2.0 * fy)).sinh().atan().to_degrees())
}

pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) headers: awc::http::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

pub(crate) async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = test_client().get(format!("{}{path}", app.address));
    for &(k, v) in headers {
        request = request.insert_header((k, v));
    }
    let mut response = request.send().await.unwrap();
    let body = response.body().limit(64 << 20).await.unwrap().to_vec();
    Fetched { status: response.status().as_u16(), headers: response.headers().clone(), body }
}

/// Every feature of the `facilities` layer of a tile: id -> (name, kind, category, lon, lat).
fn decode(x: u32, y: u32, z: u32, body: &[u8]) -> BTreeMap<String, (String, String, String, f64, f64)> {
    let mut out = BTreeMap::new();
    if body.is_empty() {
        return out;
    }
    let reader = mvt_reader::Reader::new(body.to_vec()).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), ["facilities"]);
    for f in reader.get_features(0).unwrap() {
        let props = f.properties.clone().unwrap();
        let text = |k: &str| match &props[k] {
            Tag::String(s) => s.clone(),
            other => panic!("{k}: {other:?}"),
        };
        // The decoder reads every POINT feature as a MultiPoint.
        let p = match &f.geometry {
            geo::Geometry::Point(p) => *p,
            geo::Geometry::MultiPoint(m) if m.0.len() == 1 => m.0[0],
            other => panic!("{other:?}"),
        };
        let (lon, lat) = lon_lat(x, y, z, f64::from(p.x()), f64::from(p.y()));
        out.insert(text("id"), (text("name"), text("kind"), text("category"), lon, lat));
    }
    out
}

#[actix_web::test]
async fn facility_tiles_hold_what_the_api_returns_each_facility_once() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(51);
    let kinds = ["MEAL_POINT", "DAY_CARE_CENTER", "OUTDOOR_WORKER_STATION"];
    for i in 0..60 {
        let (lon, lat) = (rng.random_range(106.26..106.30), rng.random_range(38.46..38.49));
        create_at(&app, &editor, kinds[i % 3], lon, lat).await;
    }
    let listed = app
        .ok(
            "{ facilities(first: 100) { edges { node { id name kind category location { lon lat } } } } }",
            json!({}),
            None,
        )
        .await;
    let api: BTreeMap<String, &Value> = listed["facilities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["id"].as_str().unwrap().to_owned(), &e["node"]))
        .collect();
    let (x0, y1) = tile_of(106.26, 38.46, Z);
    let (x1, y0) = tile_of(106.30, 38.49, Z);
    let mut drawn: BTreeMap<String, (String, String, String, f64, f64)> = BTreeMap::new();
    let mut all_meal = BTreeMap::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let t = fetch(&app, &format!("/tiles/facilities/{Z}/{x}/{y}.mvt"), &[]).await;
            assert!(t.status == 200 || t.status == 204, "{}", t.status);
            if t.status == 200 {
                assert_eq!(t.headers.get("content-type").unwrap(), "application/vnd.mapbox-vector-tile");
            }
            assert!(t.headers.get("etag").is_some() && t.headers.get("cache-control").is_some());
            for (id, f) in decode(x, y, Z, &t.body) {
                assert!(drawn.insert(id.clone(), f).is_none(), "{id} is in two tiles");
            }
            let meals = fetch(&app, &format!("/tiles/facilities/{Z}/{x}/{y}.mvt?kinds=MEAL_POINT"), &[]).await;
            all_meal.extend(decode(x, y, Z, &meals.body));
        }
    }
    assert_eq!(drawn.keys().collect::<Vec<_>>(), api.keys().collect::<Vec<_>>(), "every facility once");
    for (id, (name, kind, category, lon, lat)) in &drawn {
        let f = api[id];
        assert_eq!(
            (name.as_str(), kind.as_str(), category.as_str()),
            (f["name"].as_str().unwrap(), f["kind"].as_str().unwrap(), f["category"].as_str().unwrap())
        );
        // A tile unit at zoom 14 is about 0.5 m here.
        let (dx, dy) = (lon - f["location"]["lon"].as_f64().unwrap(), lat - f["location"]["lat"].as_f64().unwrap());
        assert!(dx.abs() < 1e-5 && dy.abs() < 1e-5, "{id}: off by {dx}, {dy} degrees");
    }
    let meal_ids: Vec<&String> = api.iter().filter(|(_, f)| f["kind"] == "MEAL_POINT").map(|(id, _)| id).collect();
    assert_eq!(all_meal.keys().collect::<Vec<_>>(), meal_ids, "the filter applies");

    // Gzip only when accepted, holding the same tile.
    let (x, y) = tile_of(
        api.values().next().unwrap()["location"]["lon"].as_f64().unwrap(),
        api.values().next().unwrap()["location"]["lat"].as_f64().unwrap(),
        Z,
    );
    let path = format!("/tiles/facilities/{Z}/{x}/{y}.mvt");
    let plain = fetch(&app, &path, &[]).await;
    assert!(plain.headers.get("content-encoding").is_none());
    let zipped = fetch(&app, &path, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(zipped.headers.get("content-encoding").unwrap(), "gzip");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain.body);
    let refused = fetch(&app, &path, &[("Accept-Encoding", "gzip;q=0")]).await;
    assert!(refused.headers.get("content-encoding").is_none());
}

#[actix_web::test]
async fn a_changed_facility_changes_the_etag_of_its_tile_only_and_bad_tiles_are_404() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let here = create_at(&app, &editor, "MEAL_POINT", 106.2801, 38.4701).await;
    create_at(&app, &editor, "MEAL_POINT", 106.3501, 38.4201).await;
    let (x, y) = tile_of(106.2801, 38.4701, Z);
    let (ox, oy) = tile_of(106.3501, 38.4201, Z);
    let path = format!("/tiles/facilities/{Z}/{x}/{y}.mvt");
    let other = format!("/tiles/facilities/{Z}/{ox}/{oy}.mvt");
    let first = fetch(&app, &path, &[]).await;
    let etag = first.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    let other_etag = fetch(&app, &other, &[]).await.headers.get("etag").unwrap().clone();
    assert_eq!(fetch(&app, &path, &[]).await.headers.get("etag").unwrap(), etag.as_str(), "stable");
    let held = fetch(&app, &path, &[("If-None-Match", etag.as_str())]).await;
    assert_eq!(held.status, 304);
    assert!(held.body.is_empty());
    let q = "mutation($id: ID!) { updateFacility(id: $id, version: 1, input: { name: \"renamed\" }) { version } }";
    app.ok(q, json!({ "id": here }), Some(&editor)).await;
    let changed = fetch(&app, &path, &[("If-None-Match", etag.as_str())]).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.headers.get("etag").unwrap(), etag.as_str());
    assert_eq!(decode(x, y, Z, &changed.body)[&here].0, "renamed");
    assert_eq!(fetch(&app, &other, &[]).await.headers.get("etag").unwrap(), other_etag, "other tiles keep theirs");

    // openAt: only facilities known to be open then (the other has no hours).
    let q = "mutation($id: ID!) { updateFacility(id: $id, version: 2, input: { openingHours: \"Mo-Fr 08:00-18:00\" }) { version } }";
    app.ok(q, json!({ "id": here }), Some(&editor)).await;
    let monday_noon = "openAt=2026-11-30T12:00:00%2B08:00";
    let open = fetch(&app, &format!("{path}?{monday_noon}"), &[]).await;
    assert_eq!(decode(x, y, Z, &open.body).keys().collect::<Vec<_>>(), [&here]);
    let sunday = fetch(&app, &format!("{path}?openAt=2026-11-29T12:00:00%2B08:00"), &[]).await;
    assert_eq!(sunday.status, 204, "closed on Sundays");
    assert_eq!(fetch(&app, &format!("{other}?{monday_noon}"), &[]).await.status, 204, "unknown hours are left out");
    assert_eq!(fetch(&app, &format!("{path}?openAt=noon"), &[]).await.status, 400);
    assert_eq!(fetch(&app, &format!("{path}?openAt=3000-01-01T00:00:00Z"), &[]).await.status, 400);

    // TileJSON carries the filters into its tile URL.
    let (status, body) = app.get("/tiles/facilities.json?kinds=MEAL_POINT").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["tilejson"], "3.0.0");
    assert!(doc["tiles"][0].as_str().unwrap().ends_with("/tiles/facilities/{z}/{x}/{y}.mvt?kinds=MEAL_POINT"), "{doc}");
    assert_eq!(doc["vector_layers"][0]["id"], "facilities");
    let (min, max) = (doc["minzoom"].as_u64().unwrap(), doc["maxzoom"].as_u64().unwrap());
    let b: Vec<f64> = doc["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(b[0] <= 106.2801 && b[2] >= 106.3501 && b[1] <= 38.4201 && b[3] >= 38.4701, "{b:?}");

    // Out of range: a zoom above the maximum or below the minimum, x or y off the grid, an
    // unknown layer; a misspelt filter is a bad request. The server answers on.
    let n = 1u32 << Z;
    for bad in [
        format!("/tiles/facilities/{}/0/0.mvt", max + 1),
        format!("/tiles/facilities/{}/0/0.mvt", min.saturating_sub(1)),
        format!("/tiles/facilities/{Z}/{n}/0.mvt"),
        format!("/tiles/facilities/{Z}/0/{n}.mvt"),
        format!("/tiles/facilities/{Z}/0/-1.mvt"),
        "/tiles/roads/14/0/0.mvt".to_owned(),
        "/tiles/roads.json".to_owned(),
    ] {
        assert_eq!(fetch(&app, &bad, &[]).await.status, 404, "{bad}");
    }
    assert_eq!(fetch(&app, "/tiles/network/12/0/0.mvt", &[]).await.status, 404, "below the network's zooms");
    assert_eq!(fetch(&app, &format!("/tiles/network/{Z}/{x}/{y}.mvt?kinds=MEAL_POINT"), &[]).await.status, 400);
    let (status, body) = app.get("/tiles/network.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(fetch(&app, &format!("{path}?kind=MEAL_POINT"), &[]).await.status, 400);
    assert_eq!(fetch(&app, &format!("{path}?kinds=NOPE"), &[]).await.status, 400);
    assert_eq!(fetch(&app, &path, &[]).await.status, 200);
}

#[actix_web::test]
async fn residential_area_tiles_hold_the_coverage_the_api_answers() {
    let app = TestApp::spawn().await;
    crate::accessibility::world(&app, 52).await;
    let z = 13;
    let (x0, y1) = tile_of(106.24, 38.44, z);
    let (x1, y0) = tile_of(106.31, 38.50, z);
    let mut drawn = BTreeMap::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let t =
                fetch(&app, &format!("/tiles/residential-areas/{z}/{x}/{y}.mvt?minutes=20&model=STRAIGHT_LINE"), &[])
                    .await;
            if t.body.is_empty() {
                continue;
            }
            let reader = mvt_reader::Reader::new(t.body).unwrap();
            for f in reader.get_features(0).unwrap() {
                let props = f.properties.unwrap();
                let id = match &props["id"] {
                    Tag::String(s) => s.clone(),
                    other => panic!("{other:?}"),
                };
                let covered = matches!(props["covered"], Tag::Bool(true));
                let minutes = props.get("travelMinutes").map(|m| match m {
                    Tag::Double(d) => *d,
                    other => panic!("{other:?}"),
                });
                assert!(drawn.insert(id, (covered, minutes)).is_none(), "an area in two tiles");
            }
        }
    }
    let q = r#"{ residentialAreaCoverage(input: { minutes: 20, travel: { model: STRAIGHT_LINE } }) }"#;
    let api = app.ok(q, json!({}), None).await;
    let features = api["residentialAreaCoverage"]["features"].as_array().unwrap();
    assert_eq!(drawn.len(), features.len(), "every area once");
    let mut covered = 0;
    for f in features {
        let p = &f["properties"];
        let (c, minutes) = drawn[p["id"].as_str().unwrap()];
        assert_eq!(c, p["covered"].as_bool().unwrap());
        assert_eq!(minutes, p["travelMinutes"].as_f64());
        covered += usize::from(c);
    }
    assert!(covered > 5 && covered < features.len(), "{covered} of {}", features.len());
}
