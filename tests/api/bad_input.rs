use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use serde_json::{Value, json};

async fn count(app: &TestApp) -> (i64, Value) {
    let data =
        app.ok("{ facilities(first: 100) { totalCount edges { node { name version } } } }", json!({}), None).await;
    (data["facilities"]["totalCount"].as_i64().unwrap(), data["facilities"]["edges"].clone())
}

#[actix_web::test]
async fn bad_input_is_bad_user_input_writes_nothing_and_the_server_keeps_answering() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = create_at(&app, &editor, "MEAL_POINT", 106.3, 38.5).await;
    let before = count(&app).await;

    let point = |lon: f64, lat: f64| json!({ "lon": lon, "lat": lat });
    let create = "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id } }";
    let facility = |patch: Value| {
        let mut input = json!({ "kind": "MEAL_POINT", "name": "x", "location": point(106.3, 38.5) });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    let nearby = "query($near: PointInput!, $r: Float, $limit: Int) { nearbyFacilities(near: $near, radiusMeters: $r, limit: $limit) { distanceMeters } }";
    let area = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let area_input = |population: i64, elderly: i64, code: Value, name: &str| json!({ "input": { "name": name, "location": point(106.3, 38.5), "population": population, "elderlyPopulation": elderly, "communityCode": code } });
    let update = "mutation($id: ID!, $input: UpdateFacilityInput!) { updateFacility(id: $id, version: 1, input: $input) { id } }";

    let cases: Vec<(&str, &str, Value)> = vec![
        ("latitude 95", nearby, json!({ "near": point(106.3, 95.0) })),
        ("longitude -181", nearby, json!({ "near": point(-181.0, 38.5) })),
        ("limit 0", nearby, json!({ "near": point(106.3, 38.5), "limit": 0 })),
        ("limit 501", nearby, json!({ "near": point(106.3, 38.5), "limit": 501 })),
        ("radius 0", nearby, json!({ "near": point(106.3, 38.5), "r": 0.0 })),
        ("radius negative", nearby, json!({ "near": point(106.3, 38.5), "r": -5.0 })),
        ("radius over 100 km", nearby, json!({ "near": point(106.3, 38.5), "r": 100_000.5 })),
        ("malformed id", "query($id: ID!) { facility(id: $id) { id } }", json!({ "id": "not-an-id" })),
        ("malformed id on delete", "mutation($id: ID!) { deleteFacility(id: $id, version: 1) }", json!({ "id": "42" })),
        ("unknown kind", create, facility(json!({ "kind": "SPA" }))),
        ("empty name", create, facility(json!({ "name": "   " }))),
        ("latitude 95 on create", create, facility(json!({ "location": point(106.3, 95.0) }))),
        ("longitude -181 on create", create, facility(json!({ "location": point(-181.0, 38.5) }))),
        ("malformed community code", create, facility(json!({ "communityCode": "6401" }))),
        ("letters in community code", create, facility(json!({ "communityCode": "64010400100X" }))),
        ("negative capacity", create, facility(json!({ "capacity": -1 }))),
        ("negative price", create, facility(json!({ "canteen": { "basePriceYuan": -3.0 } }))),
        (
            "overlapping age bands",
            create,
            facility(
                json!({ "canteen": { "agePrices": [{ "minAge": 60, "maxAge": 75, "priceYuan": 7.0 }, { "minAge": 70, "priceYuan": 5.0 }] } }),
            ),
        ),
        ("details of another category", create, facility(json!({ "elderCare": { "beds": 3 } }))),
        ("phone with letters", create, facility(json!({ "phone": "call me" }))),
        ("empty name on update", update, json!({ "id": id, "input": { "name": "" } })),
        ("latitude 95 on update", update, json!({ "id": id, "input": { "location": point(0.0, 95.0) } })),
        ("negative population", area, area_input(-1, 0, Value::Null, "a")),
        ("elderly over population", area, area_input(10, 11, Value::Null, "a")),
        ("malformed community code of an area", area, area_input(10, 1, json!("12345678901"), "a")),
        ("empty area name", area, area_input(10, 1, Value::Null, "")),
        ("page size 0", "{ facilities(first: 0) { totalCount } }", json!({})),
        ("page size 101", "{ facilities(first: 101) { totalCount } }", json!({})),
        ("malformed cursor", r#"{ facilities(after: "nope") { totalCount } }"#, json!({})),
        (
            "malformed community code prefix",
            r#"{ facilities(filter: { communityCodePrefix: "64a" }) { totalCount } }"#,
            json!({}),
        ),
        ("string for an Int variable", nearby, json!({ "near": point(106.3, 38.5), "limit": "ten" })),
    ];
    for (what, query, variables) in cases {
        let response = app.gql(query, variables, Some(&editor)).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{what}: {response}");
        assert!(
            response["data"].is_null() || response["data"].as_object().is_some_and(|d| d.values().all(Value::is_null)),
            "{what}"
        );
    }
    assert_eq!(count(&app).await, before, "nothing was written");
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn documents_that_do_not_parse_or_validate_get_the_graphql_codes() {
    let app = TestApp::spawn().await;
    let parse = app.gql("{ facilities(first: 1) { ", json!({}), None).await;
    assert_eq!(error_codes(&parse), ["GRAPHQL_PARSE_FAILED"]);
    // Non-finite numbers cannot be written in GraphQL (nor in JSON variables).
    let infinite =
        app.gql("{ nearbyFacilities(near: { lon: 1, lat: 1e999 }) { distanceMeters } }", json!({}), None).await;
    assert_eq!(error_codes(&infinite), ["GRAPHQL_PARSE_FAILED"]);
    let unknown_field = app.gql("{ facilities { nope } }", json!({}), None).await;
    assert_eq!(error_codes(&unknown_field), ["GRAPHQL_VALIDATION_FAILED"]);
    let wrong_literal =
        app.gql(r#"{ nearbyFacilities(near: { lon: "x", lat: 1 }) { distanceMeters } }"#, json!({}), None).await;
    assert_eq!(error_codes(&wrong_literal), ["GRAPHQL_VALIDATION_FAILED"]);
    let deep = "{ facilities { edges { node { location { lon } } } } }".replace("lon", "lon } location { lat");
    assert!(error_codes(&app.gql(&deep, json!({}), None).await).is_empty(), "ordinary depth is fine");
    let nested = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "fields { type { ofType { ".repeat(6),
        "} } } ".repeat(6)
    );
    let too_deep = app.gql(&nested, json!({}), None).await;
    assert_eq!(error_codes(&too_deep), ["GRAPHQL_VALIDATION_FAILED"]);
}

/// Bodies the GraphQL layer never sees: too large, a batch over the limit, not JSON. Each is refused at the
/// HTTP level with a GraphQL-shaped error body, and the server keeps answering.
#[actix_web::test]
async fn oversized_batched_and_malformed_bodies_are_refused_with_a_code() {
    let app = TestApp::spawn().await;
    let limit = api::config::DEFAULT_MAX_BODY_BYTES;
    let padding = " ".repeat(limit);
    let huge = format!(r#"{{"query":"{{ __typename }}","variables":{{}}{padding}}}"#).into_bytes();
    let (status, body) = app.post_raw(huge).await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")));
    let batch = br#"[{"query":"{ __typename }"},{"query":"{ __typename }"}]"#.to_vec();
    let (status, body) = app.post_raw(batch.clone()).await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (400, Some("BAD_REQUEST")));
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("a batch holds 1 to 1 requests"));
    // Allowed when configured: one response per request, in order.
    let (url, _dir) = crate::helpers::fresh_database().await;
    let batching = TestApp::spawn_with(&url, |s| s.max_batch = 2).await;
    let (status, body) = batching.post_raw(batch).await;
    assert_eq!(
        (status, body),
        (200, json!([{ "data": { "__typename": "Query" } }, { "data": { "__typename": "Query" } }]))
    );
    let three = br#"[{"query":"{ __typename }"},{"query":"{ __typename }"},{"query":"{ __typename }"}]"#.to_vec();
    assert_eq!(batching.post_raw(three).await.0, 400);
    let (status, body) = app.post_raw(b"{ this is not json".to_vec()).await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (400, Some("BAD_REQUEST")));
    // Just under the limit is fine.
    let fits = format!(r#"{{"query":"{{ __typename }}"{}}}"#, " ".repeat(limit - 40)).into_bytes();
    let (status, body) = app.post_raw(fits).await;
    assert_eq!((status, &body["data"]["__typename"]), (200, &json!("Query")));
}

/// A planning question that runs past the computation limit (here: zero) stops with TIMEOUT,
/// and the server keeps answering.
#[actix_web::test]
async fn long_computations_stop_at_the_time_limit() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let app = TestApp::spawn_with(&url, |s| s.limits.computation = std::time::Duration::ZERO).await;
    let candidates: Vec<Value> = (0..100)
        .map(|i| json!({ "lon": 106.2 + (i % 10) as f64 * 1e-3, "lat": 38.4 + (i / 10) as f64 * 1e-3 }))
        .collect();
    let q = "query($c: [PointInput!]) { suggestSites(input: { coverage: {}, count: 5, candidates: $c }) { elderlyCoverageRatioAfter } }";
    let response = app.gql(q, json!({ "c": candidates }), None).await;
    assert_eq!(error_codes(&response), ["TIMEOUT"]);
    assert!(response["errors"][0]["message"].as_str().unwrap().contains("smaller question"));
    for planning in ["{ coverage(input: {}) { population } }", "{ coverageGaps(input: {}) { population } }"] {
        assert_eq!(error_codes(&app.gql(planning, json!({}), None).await), ["TIMEOUT"], "{planning}");
    }
    let ok = app.gql("{ __typename }", json!({}), None).await;
    assert_eq!(ok["data"]["__typename"], "Query");
}

#[actix_web::test]
async fn candidate_lists_are_limited_by_configuration() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let app = TestApp::spawn_with(&url, |s| s.limits.candidates = 10).await;
    let q = "query($c: [PointInput!]) { suggestSites(input: { coverage: {}, count: 1, candidates: $c }) { sites { candidateIndex } } }";
    let points =
        |n: usize| -> Vec<Value> { (0..n).map(|i| json!({ "lon": 106.2 + i as f64 * 1e-3, "lat": 38.4 })).collect() };
    assert!(app.gql(q, json!({ "c": points(10) }), None).await["errors"].is_null());
    let refused = app.gql(q, json!({ "c": points(11) }), None).await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("at most 10 candidates"));
}

/// Aliases cannot multiply expensive fields past the cost budget (10,000): a search costs 10
/// plus its hits, a planning question 200 plus its fields.
#[actix_web::test]
async fn aliases_cannot_repeat_expensive_fields_without_limit() {
    let app = TestApp::spawn().await;
    let many = |n: usize, field: &str| {
        let body: String = (0..n).map(|i| format!("a{i}: {field} ")).collect();
        format!("{{ {body} }}")
    };
    let coverage = "coverage(input: {}) { population }";
    assert_eq!(error_codes(&app.gql(&many(50, coverage), json!({}), None).await), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(app.gql(&many(40, coverage), json!({}), None).await["errors"].is_null());
    let nearby = "nearbyFacilities(near: { lon: 106.3, lat: 38.5 }) { distanceMeters }";
    assert_eq!(error_codes(&app.gql(&many(600, nearby), json!({}), None).await), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(app.gql(&many(300, nearby), json!({}), None).await["errors"].is_null());
}
