use crate::helpers::{TestApp, create_at, test_client};
use api::domain::role::Role;
use serde_json::{Value, json};

#[actix_web::test]
async fn health_and_graphiql_are_served() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains("ok"));
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(body.to_lowercase().contains("graphiql"));
}

/// The map page and GraphiQL load nothing but what this server serves (built into the binary
/// from npm packages): every script and stylesheet they name is a path here, and is served.
#[actix_web::test]
async fn the_pages_load_only_assets_served_here() {
    let app = TestApp::spawn().await;
    for page in ["/", "/graphql"] {
        let (status, html) = app.get(page).await;
        assert_eq!(status, 200, "{page}");
        let assets: Vec<&str> = ["src=\"", "href=\""]
            .iter()
            .flat_map(|attribute| html.split(attribute).skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|url| !url.starts_with("data:"))
            .collect();
        assert!(assets.len() >= 3, "{page}: {assets:?}");
        for asset in assets {
            assert!(asset.starts_with('/'), "{page} loads {asset} from elsewhere");
            let response = test_client().get(format!("{}{asset}", app.address)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{page}: {asset}");
            let kind = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
            let expected = if asset.ends_with(".js") { "text/javascript" } else { "text/css" };
            assert!(kind.starts_with(expected), "{asset}: {kind}");
        }
    }
}

/// A load balancer's probe must not see the service as down because requests hold every pooled
/// connection: the health check has a connection of its own.
#[actix_web::test]
async fn the_health_check_answers_while_requests_hold_the_whole_pool() {
    let app = TestApp::spawn().await;
    let store = api::store::Store::connect(&app.database_url, 1).await.unwrap();
    let import = store.begin_facility_import("holding the only pooled connection").await.unwrap();
    let started = std::time::Instant::now();
    assert!(store.ping().await, "the database answers on the health connection");
    // The pool's acquire timeout is 2 s: a ping through the pool would have waited for it.
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    drop(import);
    store.close().await;
}

/// Searches read the revision counters on a connection kept outside the pool: when PostgreSQL
/// ends that connection (a restart, a failover, an administrator), the next search opens
/// another instead of failing.
#[actix_web::test]
async fn searches_outlive_the_database_ending_their_connections() {
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    let editor = app.token(Role::Editor).await;
    let id = create_at(&app, &editor, "MEAL_POINT", 106.3, 38.5).await;
    let q = "{ nearbyFacilities(near: { lon: 106.3, lat: 38.5 }, radiusMeters: 500) { facility { id } } }";
    assert_eq!(app.ok(q, json!({}), None).await["nearbyFacilities"][0]["facility"]["id"], id.as_str());

    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let admin = sea_orm::Database::connect(app.database_url.as_str()).await.unwrap();
    let sql = |text: String| Statement::from_string(DbBackend::Postgres, text);
    // The server's own connections only: a non-superuser may not end an autovacuum worker.
    let ended: Vec<i32> = admin
        .query_all_raw(sql("SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_type = 'client backend' \
             AND usename = current_user AND pid <> pg_backend_pid()"
            .into()))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<i32>("", "pid").unwrap())
        .collect();
    assert!(!ended.is_empty(), "the server's connections were ended");
    // Ending is a signal: wait until those backends are gone, so that the next search cannot
    // find its kept connection still answering.
    let pids = ended.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let still_there = format!("SELECT pid FROM pg_stat_activity WHERE pid IN ({pids})");
    let mut gone = false;
    for _ in 0..100 {
        gone = admin.query_all_raw(sql(still_there.clone())).await.unwrap().is_empty();
        if gone {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "ended backends still running");
    admin.close().await.unwrap();
    // Past the pool's idle time (1 s), after which it tests a connection before handing it out:
    // the pooled ones recover that way; the revision connection, never tested, by the retry.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1200)).await;

    assert_eq!(app.ok(q, json!({}), None).await["nearbyFacilities"][0]["facility"]["id"], id.as_str());
}

/// A closed store stays closed: a search through a copy of its handle fails as the pool does
/// rather than opening a connection that nothing would close.
#[actix_web::test]
async fn a_closed_store_opens_no_connection() {
    let app = TestApp::spawn().await;
    let store = api::store::Store::connect(&app.database_url, 1).await.unwrap();
    store.sync_facilities().await.unwrap();
    let copy = store.clone();
    store.close().await;
    assert!(copy.sync_facilities().await.is_err());
}

#[actix_web::test]
async fn data_survives_a_restart() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = create_at(&app, &editor, "RURAL_HAPPINESS_HOME", 106.45, 38.42).await;
    let q = "query($id: ID!) { facility(id: $id) { id name kind version location { lon lat } createdAt } }";
    let before = app.ok(q, json!({ "id": id }), None).await;
    let url = app.database_url.clone();
    let dir = app.stop().await;

    let again = TestApp::spawn_on(&url).await;
    assert_eq!(again.ok(q, json!({ "id": id }), None).await, before);
    // The token made before the restart still works.
    let next = create_at(&again, &editor, "MEAL_POINT", 106.3, 38.5).await;
    assert_ne!(next, id);
    again.stop().await;
    drop(dir);
}

/// Two server processes over one database: what is written through one is what the next
/// search through the other finds (the in-memory index follows the database's revision).
#[actix_web::test]
async fn a_write_through_one_instance_is_seen_by_the_next_search_through_another() {
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(&one.database_url).await;
    let editor = one.token(Role::Editor).await;
    let near = |app: &TestApp| {
        let app = app.clone_handle();
        async move {
            let q = "{ nearbyFacilities(near: { lon: 106.3, lat: 38.5 }, radiusMeters: 2000) { facility { id name version } } }";
            app.ok(q, json!({}), None).await["nearbyFacilities"].clone()
        }
    };
    assert_eq!(near(&two).await, json!([]));
    let id = create_at(&one, &editor, "MEAL_POINT", 106.3, 38.5).await;
    assert_eq!(near(&two).await[0]["facility"]["id"], id.as_str());

    let update = r#"mutation($id: ID!, $v: Int!, $input: UpdateFacilityInput!) { updateFacility(id: $id, version: $v, input: $input) { version } }"#;
    two.ok(update, json!({ "id": id, "v": 1, "input": { "name": "renamed" } }), Some(&editor)).await;
    assert_eq!(near(&one).await[0]["facility"]["name"], "renamed");
    // Moved out of range through one: gone from the other's search.
    one.ok(update, json!({ "id": id, "v": 2, "input": { "location": { "lon": 106.5, "lat": 38.5 } } }), Some(&editor))
        .await;
    assert_eq!(near(&two).await, json!([]));
    one.ok(update, json!({ "id": id, "v": 3, "input": { "location": { "lon": 106.3, "lat": 38.5 } } }), Some(&editor))
        .await;
    assert_eq!(near(&two).await[0]["facility"]["version"], 4);
    two.ok("mutation($id: ID!) { deleteFacility(id: $id, version: 4) }", json!({ "id": id }), Some(&editor)).await;
    assert_eq!(near(&one).await, json!([]));
    two.stop().await;
}

/// Two instances race to update one facility from the same version, many times: each time
/// exactly one wins and the other gets CONFLICT; and a residential area created through one
/// counts in the next coverage question through the other.
#[actix_web::test]
async fn concurrent_updates_through_two_instances_have_exactly_one_winner() {
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(&one.database_url).await;
    let editor = one.token(Role::Editor).await;
    let id = create_at(&one, &editor, "MEAL_POINT", 106.3, 38.5).await;
    let update = r#"mutation($id: ID!, $v: Int!, $input: UpdateFacilityInput!) { updateFacility(id: $id, version: $v, input: $input) { version name } }"#;
    for round in 1..=10 {
        let (a, b) = (one.clone_handle(), two.clone_handle());
        let vars = |who: &str| json!({ "id": id, "v": round, "input": { "name": format!("{who} {round}") } });
        let (va, vb) = (vars("one"), vars("two"));
        let token = editor.clone();
        let token2 = editor.clone();
        let (ra, rb) = futures_join(async move { a.gql(update, va, Some(&token)).await }, async move {
            b.gql(update, vb, Some(&token2)).await
        })
        .await;
        let codes = [crate::helpers::error_codes(&ra), crate::helpers::error_codes(&rb)];
        let winners: Vec<&serde_json::Value> =
            [&ra, &rb].into_iter().filter(|r| r["errors"].is_null()).map(|r| &r["data"]["updateFacility"]).collect();
        assert_eq!(winners.len(), 1, "round {round}: {ra} {rb}");
        assert!(codes.contains(&vec!["CONFLICT".to_owned()]), "round {round}: {codes:?}");
        let read = one.ok("query($id: ID!) { facility(id: $id) { version name } }", json!({ "id": id }), None).await;
        assert_eq!(&read["facility"], winners[0], "the winner's write is what is stored");
    }
    let area = r#"mutation { createResidentialArea(input: { name: "a", location: { lon: 106.3, lat: 38.5 }, population: 100, elderlyPopulation: 30 }) { id } }"#;
    one.ok(area, json!({}), Some(&editor)).await;
    let coverage =
        two.ok("{ coverage(input: {}) { residentialAreas coveredElderlyPopulation } }", json!({}), None).await;
    assert_eq!(coverage["coverage"], json!({ "residentialAreas": 1, "coveredElderlyPopulation": 30 }));
    two.stop().await;
}

/// Both futures, running at the same time.
async fn futures_join<A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: std::future::Future + 'static,
    A::Output: 'static,
    B: std::future::Future,
{
    let a = actix_web::rt::spawn(a);
    let b = b.await;
    (a.await.unwrap(), b)
}

#[actix_web::test]
async fn metrics_count_requests_errors_and_latency_by_operation() {
    let app = TestApp::spawn().await;
    let named = "query Nearby($p: PointInput!) { nearbyFacilities(near: $p) { distanceMeters } }";
    // A name earns a label of its own after 20 successful requests (until then: `other`), so
    // that made-up names cannot fill the label table.
    for _ in 0..20 {
        app.ok(named, json!({ "p": { "lon": 106.3, "lat": 38.5 } }), None).await;
    }
    for i in 0..300 {
        app.gql(&format!("query Junk{i} {{ __typename }}"), json!({}), None).await;
    }
    app.ok(named, json!({ "p": { "lon": 106.3, "lat": 38.5 } }), None).await;
    let bad = app.gql(named, json!({ "p": { "lon": 106.3, "lat": 95.0 } }), None).await;
    assert_eq!(crate::helpers::error_codes(&bad), ["BAD_USER_INPUT"]);
    app.ok("{ __typename }", json!({}), None).await;
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains(r#"graphql_requests_total{operation="Nearby"} 2"#), "{text}");
    assert!(text.contains(r#"graphql_errors_total{operation="Nearby",code="BAD_USER_INPUT"} 1"#), "{text}");
    assert!(text.contains(r#"graphql_requests_total{operation="anonymous"} 1"#), "{text}");
    assert!(text.contains(r#"graphql_request_duration_seconds_count{operation="Nearby"} 2"#), "{text}");
    assert!(text.contains(r#"graphql_requests_total{operation="other"} 320"#), "{text}");
    assert!(!text.contains("Junk"), "{text}");
    assert!(text.contains(r#"db_pool_connections{state="idle"}"#), "{text}");
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let client = awc::Client::default();
    let url = format!("{}/healthz", app.address);
    let response = client.get(&url).insert_header(("X-Request-Id", "abc-123")).send().await.unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "abc-123");
    let first = client.get(&url).send().await.unwrap();
    let second = client.get(&url).insert_header(("X-Request-Id", "not valid {}")).send().await.unwrap();
    let (a, b) = (first.headers().get("x-request-id").unwrap(), second.headers().get("x-request-id").unwrap());
    assert!(a != b && a.len() > 8 && b.to_str().unwrap() != "not valid {}");
}

#[actix_web::test]
async fn clients_over_their_rate_limit_get_429_and_others_do_not() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let app = TestApp::spawn_with(&url, |s| {
        s.rate_limit = api::rate_limit::RateLimit { per_minute: 1, burst: 3, exempt_loopback: false };
    })
    .await;
    let body = br#"{"query":"{ __typename }"}"#.to_vec();
    for _ in 0..3 {
        assert_eq!(app.post_raw(body.clone()).await.0, 200);
    }
    let (status, refused) = app.post_raw(body.clone()).await;
    assert_eq!((status, refused["errors"][0]["extensions"]["code"].as_str()), (429, Some("RATE_LIMITED")));
    let client = awc::Client::default();
    let response = client
        .post(format!("{}/graphql", app.address))
        .insert_header(("Content-Type", "application/json"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert!(response.headers().get("retry-after").is_some());
    // A made-up bearer token does not buy a fresh bucket; health checks are never limited.
    let response = client
        .post(format!("{}/graphql", app.address))
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Authorization", "Bearer sc_made_up"))
        .send_body(body.clone())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(app.get("/healthz").await.0, 200);
}

/// GraphQL over HTTP: queries by GET (cacheable), mutations only by POST, JSON bodies only, and
/// the specification's media type, in which a request that fails before execution is 400
/// without `data`.
#[actix_web::test]
async fn graphql_over_http_by_get_post_and_media_type() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = create_at(&app, &editor, "MEAL_POINT", 106.3, 38.5).await;
    let read = "query($id: ID!) { facility(id: $id) { id name kind } }";
    let variables = json!({ "id": id }).to_string();
    let posted = app.ok(read, json!({ "id": id }), None).await;
    let client = test_client();
    let graphql = format!("{}/graphql", app.address);

    let mut got =
        client.get(&graphql).query(&[("query", read), ("variables", &variables)]).unwrap().send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers().get("cache-control").unwrap(), "public, max-age=10");
    let body: Value = got.json().await.unwrap();
    assert_eq!(body["data"], posted);
    let mut with_token = client
        .get(&graphql)
        .insert_header(("authorization", format!("Bearer {editor}")))
        .query(&[("query", read), ("variables", &variables)])
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.headers().get("cache-control").unwrap(), "private, max-age=10");
    assert_eq!(with_token.json::<Value>().await.unwrap()["data"], posted);

    let delete = format!("mutation {{ deleteFacility(id: \"{id}\") }}");
    let mut refused = client
        .get(&graphql)
        .insert_header(("authorization", format!("Bearer {editor}")))
        .query(&[("query", delete.as_str())])
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers().get("allow").unwrap(), "POST");
    assert_eq!(refused.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
    assert_eq!(app.ok(read, json!({ "id": id }), None).await, posted, "the mutation sent by GET did not run");

    let mut text =
        client.post(&graphql).content_type("text/plain").send_body(json!({ "query": read }).to_string()).await.unwrap();
    assert_eq!(text.status(), 415);
    assert_eq!(text.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE");

    let invalid = json!({ "query": "{ facility { id } }" });
    let mut specified = client
        .post(&graphql)
        .insert_header(("accept", "application/graphql-response+json, application/json;q=0.9"))
        .send_json(&invalid)
        .await
        .unwrap();
    assert_eq!(specified.status(), 400);
    assert!(
        specified
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    let body: Value = specified.json().limit(1 << 20).await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    let mut legacy =
        client.post(&graphql).insert_header(("accept", "application/json")).send_json(&invalid).await.unwrap();
    assert_eq!(legacy.status(), 200);
    let body: Value = legacy.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    app.stop().await;
}
