//! The walking network held per process (issue 11, item 2): a question loads only the tiles
//! within its reach, regions stay within the byte budget (least recently used dropped), a
//! question that needs more than the budget is refused, and tiles re-imported through another
//! instance are rebuilt by the next question.

use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use api::geo::LonLat;
use api::osm_import::{OsmNetwork, read_walking_network};
use serde_json::{Value, json};
use std::path::PathBuf;

fn city(name: &str) -> OsmNetwork {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/osm").join(format!("{name}.osm.pbf"));
    read_walking_network(&path, &|_| {}).unwrap()
}

/// A facility on one end of an edge in the middle of the city, and an origin on the other.
fn facility_and_origin(osm: &OsmNetwork) -> (LonLat, LonLat) {
    let (a, b) = osm.edges[osm.edges.len() / 2];
    (osm.positions[a as usize], osm.positions[b as usize])
}

const REACHABLE: &str = r#"query($p: PointInput!) { reachableFacilities(from: $p, minutes: 15, travel: { model: NETWORK }) { model travelMinutes facility { id } } }"#;

async fn reachable(app: &TestApp, from: LonLat) -> Value {
    app.ok(REACHABLE, json!({ "p": { "lon": from.lon, "lat": from.lat } }), None).await["reachableFacilities"].clone()
}

/// A gauge from `/metrics`.
async fn gauge(app: &TestApp, name: &str) -> u64 {
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is not in /metrics:\n{text}"))
}

/// Waits until `builds` regions have been built (regions a tile wider are built in the
/// background, after the answer that needed a smaller one).
async fn settled(app: &TestApp, builds: u64) {
    for _ in 0..200 {
        if gauge(app, "network_regions_built").await >= builds {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{builds} regions were not built within 10 s");
}

#[actix_web::test]
async fn a_question_loads_the_tiles_within_its_reach_and_the_budget_bounds_what_stays() {
    let roomy = TestApp::spawn().await;
    let editor = roomy.token(Role::Editor).await;
    let mut places = Vec::new();
    for name in ["monaco", "liechtenstein"] {
        let osm = city(name);
        roomy.store.import_walk_network(name, &osm.positions, &osm.osm_ids, &osm.edges).await.unwrap();
        let (at, from) = facility_and_origin(&osm);
        create_at(&roomy, &editor, "MEAL_POINT", at.lon, at.lat).await;
        places.push(from);
    }
    let sources = roomy.store.walk_network_sources().await.unwrap();
    let stored_tiles: usize = sources.iter().map(|s| s.tiles).sum();
    let monaco_tiles = sources.iter().find(|s| s.source == "monaco").unwrap().tiles;

    // One question in Monaco holds a few of Monaco's tiles, none of Liechtenstein's: the tiles
    // within its reach, then (built in the background) the same a tile wider, which replaces it.
    let in_monaco = reachable(&roomy, places[0]).await;
    assert_eq!(in_monaco[0]["model"], "NETWORK", "{in_monaco}");
    settled(&roomy, 2).await;
    assert_eq!(gauge(&roomy, "network_cache_regions").await, 1, "the wider region replaces the first");
    let held = gauge(&roomy, "network_cache_tiles").await as usize;
    assert!(held >= 1 && held <= monaco_tiles && held < stored_tiles, "{held} of {stored_tiles}");
    let monaco_bytes = gauge(&roomy, "network_cache_bytes").await;
    // Questions elsewhere in Monaco, whose reach covers other rectangles of tiles, are answered
    // from the region built a tile wider.
    let monaco = city("monaco");
    for k in 1..6 {
        let p = monaco.positions[monaco.positions.len() * k / 6];
        let answer = reachable(&roomy, p).await;
        assert!(answer.is_array(), "{answer}");
    }
    assert_eq!(gauge(&roomy, "network_regions_built").await, 2, "one region serves all of Monaco");
    let in_liechtenstein = reachable(&roomy, places[1]).await;
    assert_eq!(in_liechtenstein[0]["model"], "NETWORK", "{in_liechtenstein}");
    settled(&roomy, 4).await;
    let both_bytes = gauge(&roomy, "network_cache_bytes").await;
    assert_eq!(gauge(&roomy, "network_cache_regions").await, 2);
    assert!(both_bytes > monaco_bytes && both_bytes < 64 << 20);

    // A second instance whose budget holds either region but not both: each question in the
    // other city drops the region it held, and every answer is the same as with room for all.
    // (A budget that small also keeps regions from being built a tile wider, as the roomy
    // instance builds them: the regions' size is measured on an instance with the same rule.)
    let probe = TestApp::spawn_on(&roomy.database_url).await;
    probe.store.set_network_cache_bytes(both_bytes as usize);
    reachable(&probe, places[0]).await;
    reachable(&probe, places[1]).await;
    assert_eq!(gauge(&probe, "network_cache_regions").await, 2);
    let exact_bytes = gauge(&probe, "network_cache_bytes").await;
    assert!(exact_bytes < both_bytes, "regions built a tile wider are larger: {exact_bytes} {both_bytes}");
    let tight = TestApp::spawn_on(&roomy.database_url).await;
    let budget = exact_bytes - 1;
    tight.store.set_network_cache_bytes(budget as usize);
    // (The roomy instance built its regions a tile wider, which the tight budget does not
    // allow: the same walks, summed over differently numbered graphs, may differ in the last
    // bits of a float.)
    let same = |a: &Value, b: &Value| {
        let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x["facility"] == y["facility"]
                    && x["model"] == y["model"]
                    && (x["travelMinutes"].as_f64().unwrap() - y["travelMinutes"].as_f64().unwrap()).abs() < 1e-9
            })
    };
    for round in 0..2 {
        let answer = reachable(&tight, places[0]).await;
        assert!(same(&answer, &in_monaco), "round {round}: {answer} {in_monaco}");
        let answer = reachable(&tight, places[1]).await;
        assert!(same(&answer, &in_liechtenstein), "round {round}: {answer} {in_liechtenstein}");
        assert_eq!(gauge(&tight, "network_cache_regions").await, 1);
        assert!(gauge(&tight, "network_cache_bytes").await <= budget);
    }
    assert_eq!(gauge(&tight, "network_regions_built").await, 4, "every question rebuilt what was dropped");

    // A planning question whose demand spans both cities needs more than the budget: refused
    // with a clear message. Narrowed to one city, it is answered.
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    for (i, p) in places.iter().enumerate() {
        let input = json!({ "name": format!("小区{i}"), "location": { "lon": p.lon, "lat": p.lat },
                            "population": 100, "elderlyPopulation": 30, "communityCode": format!("64010{i}001001") });
        tight.ok(q, json!({ "input": input }), Some(&editor)).await;
    }
    let coverage = r#"query($prefix: String) { coverage(input: { travel: { model: NETWORK }, communityCodePrefix: $prefix }) { residentialAreas coveredResidentialAreas } }"#;
    let refused = tight.gql(coverage, json!({}), None).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("--network-cache-mib"), "{message}");
    let answered = tight.ok(coverage, json!({ "prefix": "640100" }), None).await;
    assert_eq!(answered["coverage"], json!({ "residentialAreas": 1, "coveredResidentialAreas": 1 }));
    // The roomy instance answers the whole question.
    let answered = roomy.ok(coverage, json!({}), None).await;
    assert_eq!(answered["coverage"], json!({ "residentialAreas": 2, "coveredResidentialAreas": 2 }));
}

#[actix_web::test]
async fn tiles_reimported_through_another_instance_are_rebuilt_by_the_next_question() {
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(&one.database_url).await;
    let editor = one.token(Role::Editor).await;
    let osm = city("monaco");
    let (at, from) = facility_and_origin(&osm);
    create_at(&one, &editor, "MEAL_POINT", at.lon, at.lat).await;
    // First a partial extract: no way within 700 m of the origin.
    let far = |i: u32| api::geo::distance::geodesic_distance_m(osm.positions[i as usize], from) > 700.0;
    let partial: Vec<(u32, u32)> = osm.edges.iter().copied().filter(|&(a, b)| far(a) && far(b)).collect();
    assert!(!partial.is_empty() && partial.len() < osm.edges.len());
    one.store.import_walk_network("monaco", &osm.positions, &osm.osm_ids, &partial).await.unwrap();
    let off = one.gql(REACHABLE, json!({ "p": { "lon": from.lon, "lat": from.lat } }), None).await;
    assert_eq!(error_codes(&off), ["BAD_USER_INPUT"], "{off}");
    // The whole extract through the other instance: the first sees it on its next question.
    two.store.import_walk_network("monaco", &osm.positions, &osm.osm_ids, &osm.edges).await.unwrap();
    let hits = reachable(&one, from).await;
    assert_eq!(hits[0]["model"], "NETWORK", "{hits}");
    assert_eq!(hits, reachable(&two, from).await);
}
