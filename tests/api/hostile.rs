//! Requests built to stall, bloat or starve the service (issue #12), each refused or bounded,
//! while a legitimate client beside them is still served.

use crate::helpers::{TestApp, error_codes};
use api::domain::role::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The cost rules of `api::graphql::cost`, restated: a field 1 plus its children, a search 10,
/// a service area 50, a list its children times the items it may return.
const SEARCH: u64 = 10;
const GEOMETRY: u64 = 50;

async fn with_demo(adjust: impl FnOnce(&mut api::config::Settings)) -> TestApp {
    let app = TestApp::spawn_adjusted(adjust).await;
    api::demo::load(&app.store).await.unwrap();
    app
}

/// A request whose answer a legitimate client expects while attackers are at work.
async fn nearby_still_answers(app: &TestApp) {
    let data = app
        .ok("{ nearbyFacilities(near: { lon: 106.28, lat: 38.47 }, limit: 5) { facility { name } } }", json!({}), None)
        .await;
    assert_eq!(data["nearbyFacilities"].as_array().unwrap().len(), 5);
}

#[actix_web::test]
async fn lists_multiply_the_cost_and_documents_over_budget_are_refused_with_their_cost() {
    let app = with_demo(|_| {}).await;
    // 500 hits each drawing a service circle: 10 + 500 * (1 + 50) by the rules above.
    let circles = "query($l: Int!) { nearbyFacilities(near: { lon: 106.28, lat: 38.47 }, limit: $l) { facility { serviceCircle } } }";
    let refused = app.gql(circles, json!({ "l": 500 }), None).await;
    assert_eq!(error_codes(&refused), ["GRAPHQL_VALIDATION_FAILED"], "{refused}");
    assert!(refused.get("data").is_none_or(Value::is_null), "{refused}");
    let extensions = &refused["errors"][0]["extensions"];
    assert_eq!(extensions["cost"], SEARCH + 500 * (1 + GEOMETRY), "{refused}");
    assert_eq!(extensions["budget"], 10_000);
    // The same document asking for 20 hits is within budget and runs.
    let data = app.ok(circles, json!({ "l": 20 }), None).await;
    assert_eq!(data["nearbyFacilities"].as_array().unwrap().len(), 20);
    // Aliases add up: 200 of 20 hits with two fields each cost 200 * (10 + 20 * (1 + 1 + 1)).
    let aliases: String = (0..200)
        .map(|i| {
            format!(
                "a{i}: nearbyFacilities(near: {{ lon: 106.28, lat: 38.47 }}) {{ distanceMeters facility {{ id }} }} "
            )
        })
        .collect();
    let refused = app.gql(&format!("{{ {aliases} }}"), json!({}), None).await;
    assert_eq!(refused["errors"][0]["extensions"]["cost"], 200 * (SEARCH + 20 * 3), "{refused}");
    // A page of 100 facilities with every field a map needs passes.
    let page = "{ facilities(first: 100) { totalCount edges { node { id name kind category location { lon lat } services isOpen } } } }";
    assert_eq!(app.ok(page, json!({}), None).await["facilities"]["edges"].as_array().unwrap().len(), 100);
    nearby_still_answers(&app).await;
}

#[actix_web::test]
async fn oversized_documents_and_inputs_are_refused_before_any_work() {
    let app = with_demo(|_| {}).await;
    // 7 MB of `{x x x ...}` (within the 8 MiB body limit): refused by its size at once.
    let started = Instant::now();
    let huge = format!("{{{}}}", " x".repeat(3_500_000));
    let refused = app.gql(&huge, json!({}), None).await;
    assert_eq!(error_codes(&refused), ["GRAPHQL_VALIDATION_FAILED"]);
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("bytes") && message.len() < 300, "{message}");
    // Within the size limit but with more fields than allowed.
    let many = format!("{{{}}}", " __typename".repeat(2_000));
    let refused = app.gql(&many, json!({}), None).await;
    assert_eq!(error_codes(&refused), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("2000 fields"), "{refused}");
    // 40,000 distinct service tags.
    let tags: Vec<String> = (0..40_000).map(|i| format!("tag{i}")).collect();
    let refused = app
        .gql("query($s: [String!]) { facilities(filter: { services: $s }) { totalCount } }", json!({ "s": tags }), None)
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    // A `within` polygon of 100,000 vertices, used by three aliases.
    let ring: Vec<[f64; 2]> = (0..100_000)
        .map(|i| {
            let a = std::f64::consts::TAU * f64::from(i) / 100_000.0;
            [106.28 + 0.05 * a.cos(), 38.47 + 0.05 * a.sin()]
        })
        .chain(std::iter::once([106.33, 38.47]))
        .collect();
    let within = json!({ "type": "Polygon", "coordinates": [ring] });
    let coverage = "query($w: GeoJSON) { a: coverage(input: { within: $w }) { residentialAreas } b: coverage(input: { within: $w }) { residentialAreas } c: coverage(input: { within: $w }) { residentialAreas } }";
    let refused = app.gql(coverage, json!({ "w": within }), None).await;
    assert_eq!(error_codes(&refused), ["GRAPHQL_VALIDATION_FAILED"], "over budget by its vertices");
    assert_eq!(refused["errors"][0]["extensions"]["cost"], 3 * (200 + 100_001 / 10 + 1));
    let alone = app.gql(
        "query($w: GeoJSON) { coverage(input: { within: $w }) { residentialAreas } }",
        json!({ "w": within }),
        None,
    );
    let refused = alone.await;
    assert!(
        error_codes(&refused).iter().all(|c| c == "BAD_USER_INPUT" || c == "GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    assert!(started.elapsed() < Duration::from_secs(20), "refusals took {:?}", started.elapsed());
    nearby_still_answers(&app).await;
}

#[actix_web::test]
async fn responses_over_the_size_cap_are_replaced_by_an_error() {
    let app = with_demo(|s| s.max_response_bytes = 5_000).await;
    let refused = app.gql("{ facilities(first: 100) { edges { node { id name address } } } }", json!({}), None).await;
    assert_eq!(error_codes(&refused), ["RESPONSE_TOO_LARGE"], "{refused}");
    nearby_still_answers(&app).await;
}

/// With one planning slot, a long planning question holds it; a second waits for its
/// deadline and gets TIMEOUT; health checks and searches are answered meanwhile.
#[actix_web::test]
async fn planning_runs_off_the_http_worker_in_a_bounded_pool() {
    let app = with_demo(|s| {
        s.workers = 1;
        s.planning_threads = 1;
        s.limits.cost = usize::MAX;
        s.limits.computation = Duration::from_secs(3);
    })
    .await;
    // 20,000 uncovered areas in a dense block: every one is a candidate reaching thousands.
    let areas = (0..20_000)
        .map(|i| {
            let at = api::geo::LonLat::new(106.0 + f64::from(i % 200) * 0.0002, 38.0 + f64::from(i / 200) * 0.0002);
            (api::domain::residents::ResidentialAreaDraft::new("block", at.unwrap(), 100, 20, None).unwrap(), None)
        })
        .collect();
    app.store.import_residential_areas(areas, "test", &|_| ()).await.unwrap();
    let slow = "{ suggestSites(input: { coverage: { minutes: 60 }, count: 50 }) { sites { candidateIndex } } }";
    let first = app.clone_handle();
    let second = app.clone_handle();
    let a = actix_web::rt::spawn(async move { first.gql(slow, json!({}), None).await });
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let b = actix_web::rt::spawn(async move { second.gql(slow, json!({}), None).await });
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(app.get("/healthz").await.0, 200);
        nearby_still_answers(&app).await;
        assert!(started.elapsed() < Duration::from_secs(2), "health and nearby took {:?}", started.elapsed());
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(error_codes(&a), ["TIMEOUT"], "{a}");
    assert_eq!(error_codes(&b), ["TIMEOUT"], "{b}");
}

#[actix_web::test]
async fn a_made_up_token_on_many_fields_is_looked_up_once_and_refused_everywhere() {
    let app = with_demo(|s| s.max_connections = 1).await;
    let aliases: String = (0..9)
        .map(|i| format!("a{i}: facilities(first: 100) {{ edges {{ node {{ createdBy updatedBy }} }} }} "))
        .collect();
    let response = app.gql(&format!("{{ {aliases} }}"), json!({}), Some("sc_made_up")).await;
    let codes = error_codes(&response);
    assert_eq!(codes.len(), 9 * 100 * 2, "one error per field");
    assert!(codes.iter().all(|c| c == "UNAUTHENTICATED"), "{:?}", codes.iter().find(|c| *c != "UNAUTHENTICATED"));
    assert_eq!(app.get("/healthz").await.0, 200);
}

#[actix_web::test]
async fn the_calendar_loader_is_shown_to_admins_only() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let load =
        r#"mutation { loadHolidayCalendar(year: 2030, days: [{ date: "2030-01-01", kind: DAY_OFF }]) { year } }"#;
    app.ok(load, json!({}), Some(&admin)).await;
    let anonymous = app.gql("{ holidayCalendar(year: 2030) { year loadedBy } }", json!({}), None).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"], "{anonymous}");
    let shown = app.ok("{ holidayCalendar(year: 2030) { loadedBy } }", json!({}), Some(&admin)).await;
    assert_eq!(shown["holidayCalendar"]["loadedBy"], "test-admin");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_last_forwarded_entry_of_the_last_line_is_the_client() {
    let app = TestApp::spawn_adjusted(|s| {
        s.trust_forwarded_for = true;
        s.rate_limit = api::rate_limit::RateLimit { per_minute: 1, burst: 2, exempt_loopback: false };
    })
    .await;
    let send = async |lines: &[&str]| {
        let mut request = awc::Client::default().post(format!("{}/graphql", app.address));
        for line in lines {
            request = request.append_header(("X-Forwarded-For", *line));
        }
        request.send_json(&json!({ "query": "{ __typename }" })).await.unwrap().status().as_u16()
    };
    // The client writes its own line each time; the proxy appends the real address last.
    let statuses = [
        send(&["10.0.0.1", "203.0.113.5"]).await,
        send(&["10.0.0.2", "203.0.113.5"]).await,
        send(&["10.0.0.3, 10.0.0.4", "203.0.113.5"]).await,
    ];
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(send(&["203.0.113.5", "203.0.113.6"]).await, 200, "another client");
}

type Socket = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

async fn open_socket(app: &TestApp) -> Result<Socket, String> {
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let connected = awc::Client::default().ws(url).protocols(["graphql-transport-ws"]).connect().await;
    connected.map(|(_, socket)| socket).map_err(|e| format!("{e:?}"))
}

/// The close frame the server sends next, if any within 15 s.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let left = || deadline.saturating_duration_since(Instant::now());
    while let Ok(Some(Ok(frame))) = actix_web::rt::time::timeout(left(), socket.next()).await {
        if let awc::ws::Frame::Close(reason) = frame {
            return reason.map(|r| r.code.into());
        }
    }
    None
}

#[actix_web::test]
async fn sockets_must_initialise_stay_small_and_are_capped_per_client() {
    let app = TestApp::spawn_adjusted(|s| s.max_websockets_per_client = 2).await;
    // A socket that never sends connection_init is closed with 4408.
    let mut idle = open_socket(&app).await.unwrap();
    let started = Instant::now();
    assert_eq!(close_code(&mut idle).await, Some(4408));
    assert!(started.elapsed() >= Duration::from_secs(9), "closed after {:?}", started.elapsed());
    // A frame over 64 KB is closed with 1009 (message too big).
    let mut big = open_socket(&app).await.unwrap();
    big.send(awc::ws::Message::Text(
        format!("{{\"type\":\"connection_init\",\"p\":\"{}\"}}", "x".repeat(70_000)).into(),
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut big).await, Some(1009));
    // Two sockets per client; the third is refused while they are open.
    let (first, second) = (open_socket(&app).await.unwrap(), open_socket(&app).await.unwrap());
    let third = open_socket(&app).await;
    assert!(third.as_ref().is_err_and(|e| e.contains("429")), "{:?}", third.err());
    drop((first, second));
    for _ in 0..50 {
        if open_socket(&app).await.is_ok() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("closed sockets did not give their slots back");
}

/// The inputs of item 14 of issue #12 that used to be accepted and stored wrong.
#[actix_web::test]
async fn inputs_that_used_to_be_stored_wrong_are_refused_or_answered_right() {
    let app = TestApp::spawn().await;
    let (editor, admin) = (app.token(Role::Editor).await, app.token(Role::Admin).await);
    let create = "mutation($n: String!) { createFacility(input: { kind: MEAL_POINT, name: $n, location: { lon: 106.3, lat: 38.5 } }) { id version } }";
    for name in ["\u{200B}\u{200C}\u{FEFF}", "menu\u{202E}txt.exe"] {
        let refused = app.gql(create, json!({ "n": name }), Some(&editor)).await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{name:?}: {refused}");
    }
    let area = "mutation($p: Int!) { createResidentialArea(input: { name: \"a\", location: { lon: 106.3, lat: 38.5 }, population: $p, elderlyPopulation: 0 }) { id } }";
    assert_eq!(error_codes(&app.gql(area, json!({ "p": i32::MAX }), Some(&editor)).await), ["BAD_USER_INPUT"]);
    // Polygons: across the antimeridian, and with a position that is not numbers.
    let import =
        "mutation($f: GeoJSON!) { importResidentialAreas(features: $f) { created rejected { index reason } } }";
    let feature = |ring: Value| json!({ "type": "Feature", "geometry": { "type": "Polygon", "coordinates": [ring] }, "properties": { "name": "p", "population": 10, "elderlyPopulation": 1 } });
    let features = json!({ "type": "FeatureCollection", "features": [
        feature(json!([[179.9, 10.0], [-179.9, 10.0], [-179.9, 10.1], [179.9, 10.1], [179.9, 10.0]])),
        feature(json!([[106.3, 38.5, "x"], [106.31, 38.5], [106.31, 38.51], [106.3, 38.5, "x"]])),
    ]});
    let result = app.ok(import, json!({ "f": features }), Some(&admin)).await["importResidentialAreas"].clone();
    assert_eq!(result["created"], 0, "{result}");
    assert_eq!(result["rejected"].as_array().unwrap().len(), 2, "{result}");
    // A circle on the antimeridian stays within [-180, 180].
    let id = app.ok(create.replace("106.3", "180.0").as_str(), json!({ "n": "date line" }), Some(&editor)).await
        ["createFacility"]["id"]
        .clone();
    let circle = app.ok("query($id: ID!) { facility(id: $id) { serviceCircle } }", json!({ "id": id }), None).await;
    let geometry = &circle["facility"]["serviceCircle"];
    assert_eq!(geometry["type"], "MultiPolygon", "{geometry}");
    let lons: Vec<f64> = geometry["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p[0].as_array().unwrap().iter().map(|c| c[0].as_f64().unwrap()))
        .collect();
    assert!(lons.iter().all(|x| (-180.0..=180.0).contains(x)), "{lons:?}");
    assert!(lons.iter().any(|&x| x < 0.0) && lons.iter().any(|&x| x > 0.0));
    // Opening hours far from today: refused, not "closed".
    let hours = "mutation { createFacility(input: { kind: MEAL_POINT, name: \"always\", location: { lon: 106.3, lat: 38.5 }, openingHours: \"24/7\" }) { id } }";
    let always = app.ok(hours, json!({}), Some(&editor)).await["createFacility"]["id"].clone();
    let open = "query($id: ID!, $at: DateTime) { facility(id: $id) { isOpen(at: $at) } }";
    assert_eq!(
        app.ok(open, json!({ "id": always, "at": "2150-06-01T04:00:00Z" }), None).await["facility"]["isOpen"],
        true
    );
    let far = app.gql(open, json!({ "id": always, "at": "9999-06-01T04:00:00Z" }), None).await;
    assert_eq!(error_codes(&far), ["BAD_USER_INPUT"], "{far}");
    // An update that changes nothing makes no new version; a stale one is still a conflict.
    let update = "mutation($id: ID!, $v: Int!) { updateFacility(id: $id, version: $v, input: { name: \"always\" }) { version } }";
    assert_eq!(app.ok(update, json!({ "id": always, "v": 1 }), Some(&editor)).await["updateFacility"]["version"], 1);
    assert_eq!(error_codes(&app.gql(update, json!({ "id": always, "v": 7 }), Some(&editor)).await), ["CONFLICT"]);
    // A list that is not a batch of requests, and a parse error quoting a long line.
    assert_eq!(app.post_raw(b"[]".to_vec()).await.0, 400);
    assert_eq!(app.post_raw(b"42".to_vec()).await.0, 400);
    let long = format!("{{ a(x: \"{}\" ", "y".repeat(20_000));
    let refused = app.gql(&long, json!({}), None).await;
    assert_eq!(error_codes(&refused), ["GRAPHQL_PARSE_FAILED"]);
    assert!(refused["errors"][0]["message"].as_str().unwrap().chars().count() <= 301, "{refused}");
}

#[actix_web::test]
async fn pages_and_answers_carry_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/static/map.js", "/graphql", "/healthz"] {
        let response = awc::Client::default().get(format!("{}{path}", app.address)).send().await.unwrap();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(header("content-security-policy").contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
}

/// A write while another process holds SQLite's write lock (an import running beside the
/// server) is SERVICE_UNAVAILABLE once the busy timeout passes, not an internal error.
#[actix_web::test]
async fn a_write_blocked_by_another_process_on_sqlite_is_service_unavailable() {
    use sea_orm::sqlx::Connection;
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL has row locks; the test is about SQLite's one writer.
    }
    let editor = app.token(Role::Editor).await;
    let mut other = sea_orm::sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
    sea_orm::sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let create = "mutation { createFacility(input: { kind: MEAL_POINT, name: \"x\", location: { lon: 106.3, lat: 38.5 } }) { id } }";
    let blocked = app.gql(create, json!({}), Some(&editor)).await;
    assert_eq!(error_codes(&blocked), ["SERVICE_UNAVAILABLE"], "{blocked}");
    sea_orm::sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let after = app.gql(create, json!({}), Some(&editor)).await;
    assert!(after["errors"].is_null(), "{after}");
}

#[actix_web::test]
async fn a_large_body_is_answered_on_the_bulk_lane_exactly_as_a_small_one() {
    let app = with_demo(|s| s.workers = 1).await;
    let q = "query($w: GeoJSON) { coverage(input: { within: $w }) { residentialAreas elderlyPopulation } }";
    let (west, east, south, north) = (106.25, 106.40, 38.40, 38.52);
    let corners = vec![[west, south], [east, south], [east, north], [west, north], [west, south]];
    // The same rectangle with 6,000 extra points along its southern edge: over 64 KiB.
    let mut dense: Vec<[f64; 2]> = (0..6_000).map(|i| [west + (east - west) * f64::from(i) / 6_000.0, south]).collect();
    dense.extend_from_slice(&corners[1..]);
    let small = json!({ "w": { "type": "Polygon", "coordinates": [corners] } });
    let large = json!({ "w": { "type": "Polygon", "coordinates": [dense] } });
    assert!(serde_json::to_vec(&large).unwrap().len() > api::bulk_lane::BULK_BODY_BYTES);
    let expected = app.ok(q, small, None).await;
    assert!(expected["coverage"]["residentialAreas"].as_i64().unwrap() > 0, "{expected}");
    assert_eq!(app.ok(q, large, None).await, expected);
}
