use crate::helpers::{CREATE_FACILITY, TestApp, create_at};
use api::domain::role::Role;
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

const NEARBY: &str = r#"
query($near: PointInput!, $r: Float, $limit: Int, $filter: FacilityFilter) {
  nearbyFacilities(near: $near, radiusMeters: $r, limit: $limit, filter: $filter) {
    distanceMeters travelMinutes model facility { id name }
  }
}"#;

async fn nearby(app: &TestApp, lon: f64, lat: f64, radius: Option<f64>, limit: usize, filter: Value) -> Vec<Value> {
    let data = app
        .ok(NEARBY, json!({ "near": { "lon": lon, "lat": lat }, "r": radius, "limit": limit, "filter": filter }), None)
        .await;
    data["nearbyFacilities"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn nearby_distances_match_reference_values_and_the_default_travel_model() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    create_at(&app, &editor, "MEAL_POINT", 0.0, 0.0).await;
    // WGS-84 reference values (GeographicLib): one degree of longitude on the equator is
    // 111319.491 m, one degree of latitude from the equator 110574.389 m.
    for (lon, lat, expected) in [(1.0, 0.0, 111_319.491), (0.0, 1.0, 110_574.389)] {
        let hits = nearby(&app, lon, lat, None, 5, Value::Null).await;
        assert_eq!(hits.len(), 1);
        let d = hits[0]["distanceMeters"].as_f64().unwrap();
        assert!((d - expected).abs() < 0.01, "{d} vs {expected}");
        // Elderly walking at 0.75 m/s with the 1.3 detour factor.
        let minutes = hits[0]["travelMinutes"].as_f64().unwrap();
        assert!((minutes - expected * 1.3 / 0.75 / 60.0).abs() < 1e-3);
        assert_eq!(hits[0]["model"], "STRAIGHT_LINE");
    }
}

#[actix_web::test]
async fn nearby_equals_a_brute_force_sort_for_random_points() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(2026);
    let mut facilities: Vec<(String, f64, f64)> = Vec::new();
    for i in 0..60 {
        let (lon, lat) = if i % 10 == 9 {
            // Same place as an earlier facility: ties must be broken by id.
            let (_, lon, lat) = facilities[i - 5];
            (lon, lat)
        } else {
            (rng.random_range(106.20..106.34), rng.random_range(38.40..38.52))
        };
        let id = create_at(&app, &editor, "SENIOR_ACTIVITY_CENTER", lon, lat).await;
        facilities.push((id, lon, lat));
    }
    for _ in 0..25 {
        let (lon, lat) = (rng.random_range(106.18..106.36), rng.random_range(38.38..38.54));
        let radius = rng.random_bool(0.7).then(|| rng.random_range(300.0..9_000.0));
        let limit = rng.random_range(1..40);
        // Brute force: every facility's geodesic distance, sorted by distance then creation order.
        let mut expected: Vec<(f64, usize)> = facilities
            .iter()
            .enumerate()
            .map(|(i, (_, flon, flat))| (Geodesic.distance(Point::new(lon, lat), Point::new(*flon, *flat)), i))
            .filter(|(d, _)| radius.is_none_or(|r| *d <= r))
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        expected.truncate(limit);
        let hits = nearby(&app, lon, lat, radius, limit, Value::Null).await;
        let got: Vec<&str> = hits.iter().map(|h| h["facility"]["id"].as_str().unwrap()).collect();
        let want: Vec<&str> = expected.iter().map(|(_, i)| facilities[*i].0.as_str()).collect();
        assert_eq!(got, want, "at {lon},{lat} r={radius:?} limit={limit}");
        for (hit, (d, _)) in hits.iter().zip(&expected) {
            assert!((hit["distanceMeters"].as_f64().unwrap() - d).abs() < 1e-6);
        }
    }
}

#[actix_web::test]
async fn nearby_without_a_radius_finds_the_nearest_anywhere_even_across_the_antimeridian() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let yinchuan = create_at(&app, &editor, "MEAL_POINT", 106.27, 38.47).await;
    let monaco = create_at(&app, &editor, "MEAL_POINT", 7.42, 43.74).await;
    let east = create_at(&app, &editor, "MEAL_POINT", 179.995, -16.5).await;
    let west = create_at(&app, &editor, "MEAL_POINT", -179.99, -16.5).await;
    let ids =
        |hits: &[Value]| hits.iter().map(|h| h["facility"]["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    // From Nice, Monaco is nearest and Yinchuan next: thousands of kilometres away.
    assert_eq!(ids(&nearby(&app, 7.26, 43.70, None, 2, Value::Null).await), [monaco.clone(), yinchuan.clone()]);
    // Just west of the antimeridian: the station across it (3.2 km) is found by radius.
    assert_eq!(ids(&nearby(&app, 179.98, -16.5, Some(4_000.0), 5, Value::Null).await), [east.clone(), west.clone()]);
    assert_eq!(ids(&nearby(&app, -179.985, -16.5, None, 2, Value::Null).await), [west, east]);
    // Everything, when asked for more than there is.
    assert_eq!(nearby(&app, 0.0, 0.0, None, 500, Value::Null).await.len(), 4);
}

#[actix_web::test]
async fn nearby_and_facilities_apply_every_filter() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mk = |kind: &str, services: Value, code: &str, lon: f64| json!({ "input": { "kind": kind, "name": kind, "location": { "lon": lon, "lat": 38.47 }, "services": services, "communityCode": code } });
    let specs = [
        mk("MEAL_POINT", json!(["HALAL", "LOW_SALT_MEALS"]), "640104001001", 106.270),
        mk("COMMUNITY_CANTEEN", json!(["LOW_SALT_MEALS"]), "640104001002", 106.271),
        mk("DAY_CARE_CENTER", json!([]), "640104002001", 106.272),
        mk("OUTDOOR_WORKER_STATION", json!(["HOT_WATER", "TEA"]), "640104100201", 106.273),
        mk("OUTDOOR_WORKER_STATION", json!(["HOT_WATER"]), "640105001001", 106.274),
    ];
    let mut names = Vec::new();
    for spec in specs {
        let f = app.ok(CREATE_FACILITY, spec, Some(&editor)).await;
        names.push(f["createFacility"]["id"].as_str().unwrap().to_owned());
    }
    let cases: [(Value, Vec<usize>); 8] = [
        (json!({ "categories": ["CANTEEN"] }), vec![0, 1]),
        (json!({ "kinds": ["DAY_CARE_CENTER", "OUTDOOR_WORKER_STATION"] }), vec![2, 3, 4]),
        (json!({ "categories": ["CANTEEN"], "kinds": ["MEAL_POINT", "DAY_CARE_CENTER"] }), vec![0]),
        (json!({ "services": ["HOT_WATER", "TEA"] }), vec![3]),
        (json!({ "services": ["LOW_SALT_MEALS"] }), vec![0, 1]),
        (json!({ "communityCodePrefix": "640104" }), vec![0, 1, 2, 3]),
        (json!({ "communityCodePrefix": "640104001" }), vec![0, 1]),
        (json!({ "categories": ["REST_STATION"], "communityCodePrefix": "6401041" }), vec![3]),
    ];
    for (filter, expected) in cases {
        let want: Vec<String> = expected.iter().map(|&i| names[i].clone()).collect();
        let hits = nearby(&app, 106.2695, 38.47, Some(5_000.0), 50, filter.clone()).await;
        let got: Vec<String> = hits.iter().map(|h| h["facility"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(got, want, "nearby {filter}");
        let page = app
            .ok(
                "query($f: FacilityFilter) { facilities(filter: $f) { totalCount edges { node { id } } } }",
                json!({ "f": filter }),
                None,
            )
            .await;
        let got: Vec<String> = page["facilities"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "facilities {filter}");
        assert_eq!(page["facilities"]["totalCount"], want.len());
    }
}

/// Hits whose selection is plain data are built without async-graphql's resolvers; any other
/// selection (here: the same one inside an inline fragment, which changes nothing) goes
/// through them. Both must give the same answer, field for field, whatever the selection.
#[actix_web::test]
async fn plain_hits_answer_exactly_as_the_general_resolvers() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let full = json!({
        "kind": "COMMUNITY_CANTEEN", "name": "老饭桌 \"east\"", "location": { "lon": 106.25, "lat": 38.47 },
        "address": "1 Road", "communityCode": "640104001001", "openingHours": "Mo-Su 10:30-13:30",
        "phone": "0951-1234567", "capacity": 40, "services": ["HALAL", "LOW_SALT_MEALS"],
    });
    app.ok(CREATE_FACILITY, json!({ "input": full }), Some(&editor)).await;
    create_at(&app, &editor, "OUTDOOR_WORKER_STATION", 106.251, 38.471).await;
    let selections = [
        "__typename distanceMeters travelMinutes model facility { __typename id category kind name address \
         communityCode openingHours phone capacity services version location { __typename lon lat } }",
        "d: distanceMeters facility { i: id n: name where: location { x: lon y: lat lat } } m: travelMinutes",
        "facility { name } model @skip(if: true) distanceMeters @include(if: true)",
        "distanceMeters facility { location { lon @skip(if: true) } }",
    ];
    for selection in selections {
        let general = format!("... on FacilityHit {{ {selection} }}");
        let mut answers = Vec::new();
        for s in [selection, general.as_str()] {
            let query = format!("{{ nearbyFacilities(near: {{ lon: 106.2505, lat: 38.4705 }}, limit: 5) {{ {s} }} }}");
            answers.push(app.ok(&query, json!({}), None).await);
        }
        assert_eq!(answers[0]["nearbyFacilities"].as_array().map(Vec::len), Some(2), "{}", answers[0]);
        // Compared as text, so the order of the keys counts too.
        assert_eq!(answers[0].to_string(), answers[1].to_string(), "{selection}");
    }
    // Arguments (a coordinate system) take the general way and are honoured.
    let gcj = app
        .ok(
            "{ nearbyFacilities(near: { lon: 106.2505, lat: 38.4705 }) { facility { location(crs: GCJ02) { lon } } } }",
            json!({}),
            None,
        )
        .await;
    let lon = gcj["nearbyFacilities"][0]["facility"]["location"]["lon"].as_f64().unwrap();
    assert!((lon - 106.25).abs() > 1e-4 && (lon - 106.25).abs() < 0.01, "GCJ-02 is offset from WGS-84: {lon}");
}
