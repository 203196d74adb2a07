//! `facilityChanged` over graphql-transport-ws. On PostgreSQL the writes go through a second
//! server process (the real binary) and the events arrive at the first, by LISTEN/NOTIFY; on
//! SQLite (one process) through the same one.

use crate::helpers::TestApp;
use crate::processes::{Server, editor_token, post};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;

type Connection = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

async fn connect(base: &str) -> Connection {
    let url = format!("{}/graphql", base.replacen("http", "ws", 1));
    let (response, mut conn) = awc::Client::default()
        .ws(url)
        .protocols(["graphql-transport-ws"])
        .connect()
        .await
        .expect("the WebSocket upgrade succeeds");
    assert_eq!(response.headers().get("sec-websocket-protocol").unwrap(), "graphql-transport-ws");
    send(&mut conn, json!({ "type": "connection_init" })).await;
    assert_eq!(receive(&mut conn).await.expect("an ack")["type"], "connection_ack");
    conn
}

async fn send(conn: &mut Connection, message: Value) {
    conn.send(awc::ws::Message::Text(message.to_string().into())).await.unwrap();
}

/// The next protocol message, or None after 10 s of silence.
async fn receive(conn: &mut Connection) -> Option<Value> {
    loop {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(10), conn.next()).await.ok()??.ok()?;
        match frame {
            awc::ws::Frame::Text(bytes) => return serde_json::from_slice(&bytes).ok(),
            awc::ws::Frame::Ping(p) => conn.send(awc::ws::Message::Pong(p)).await.unwrap(),
            _ => {}
        }
    }
}

const CHANGES: &str = "subscription($f: FacilityFilter) { facilityChanged(filter: $f) { kind id version facility { name category } deletedFacility { name } } }";

#[actix_web::test]
async fn changes_through_another_instance_reach_subscribers() {
    let subscriber_side = TestApp::spawn().await;
    let postgres = subscriber_side.database_url.starts_with("postgres");
    // On PostgreSQL a second, separate server process takes the writes.
    let writer = postgres.then(|| Server::start(&subscriber_side.database_url));
    let write_base = writer.as_ref().map_or(subscriber_side.address.clone(), |w| w.base.clone());
    let token = editor_token(&subscriber_side.database_url);
    let client = awc::Client::default();
    let write = async |query: &str, variables: Value| {
        let r = post(&client, &write_base, query, variables, &token).await.unwrap();
        assert!(r["errors"].is_null(), "{r}");
        r["data"].clone()
    };

    let mut conn = connect(&subscriber_side.address).await;
    send(
        &mut conn,
        json!({ "id": "canteens", "type": "subscribe",
        "payload": { "query": CHANGES, "variables": { "f": { "categories": ["CANTEEN"] } } } }),
    )
    .await;
    let create = "mutation($name: String!, $kind: FacilityKind!) { createFacility(input: { kind: $kind, name: $name, location: { lon: 106.3, lat: 38.5 } }) { id } }";
    // The subscription is registered asynchronously: create probes until one is seen.
    let mut registered = false;
    for attempt in 0..5 {
        write(create, json!({ "name": format!("probe {attempt}"), "kind": "MEAL_POINT" })).await;
        if let Some(m) = receive(&mut conn).await {
            assert_eq!(m["payload"]["data"]["facilityChanged"]["kind"], "CREATED", "{m}");
            registered = true;
            break;
        }
    }
    assert!(registered, "the subscription received a change");
    // Drain late probe events, if any.
    while let Ok(Some(_)) = actix_web::rt::time::timeout(Duration::from_millis(300), receive(&mut conn)).await {}

    let canteen =
        write(create, json!({ "name": "食堂", "kind": "COMMUNITY_CANTEEN" })).await["createFacility"]["id"].clone();
    let elder =
        write(create, json!({ "name": "not a canteen", "kind": "DAY_CARE_CENTER" })).await["createFacility"]["id"]
            .clone();
    let update = "mutation($id: ID!) { updateFacility(id: $id, version: 1, input: { name: \"新食堂\" }) { version } }";
    write(update, json!({ "id": canteen })).await;
    write(update, json!({ "id": elder })).await;
    write("mutation($id: ID!) { deleteFacility(id: $id, version: 2) }", json!({ "id": canteen })).await;
    // A canteen that becomes a day-care center is sent once more (it left the filter), then no longer.
    let leaver = write(create, json!({ "name": "leaver", "kind": "MEAL_POINT" })).await["createFacility"]["id"].clone();
    let kind = "mutation($id: ID!, $v: Int!, $k: FacilityKind!) { updateFacility(id: $id, version: $v, input: { kind: $k }) { version } }";
    write(kind, json!({ "id": leaver, "v": 1, "k": "DAY_CARE_CENTER" })).await;
    write(kind, json!({ "id": leaver, "v": 2, "k": "NURSING_HOME" })).await;
    let sentinel =
        write(create, json!({ "name": "sentinel", "kind": "MEAL_POINT" })).await["createFacility"]["id"].clone();

    let mut events = Vec::new();
    while events.len() < 6 {
        let m = receive(&mut conn).await.expect("an event");
        assert_eq!(m["type"], "next", "{m}");
        assert_eq!(m["id"], "canteens");
        events.push(m["payload"]["data"]["facilityChanged"].clone());
    }
    let summary: Vec<(Value, Value, Value)> =
        events.iter().map(|e| (e["kind"].clone(), e["id"].clone(), e["version"].clone())).collect();
    assert_eq!(
        summary,
        [
            (json!("CREATED"), canteen.clone(), json!(1)),
            (json!("UPDATED"), canteen.clone(), json!(2)),
            (json!("DELETED"), canteen.clone(), json!(2)),
            (json!("CREATED"), leaver.clone(), json!(1)),
            (json!("UPDATED"), leaver.clone(), json!(2)),
            (json!("CREATED"), sentinel, json!(1)),
        ],
        "changes that never touched a canteen were filtered out"
    );
    assert_eq!(events[4]["facility"]["category"], "ELDER_CARE");
    assert_eq!(events[0]["facility"], json!({ "name": "食堂", "category": "CANTEEN" }));
    assert_eq!(events[1]["facility"]["name"], "新食堂");
    assert_eq!(events[2]["facility"], Value::Null);
    assert_eq!(events[2]["deletedFacility"]["name"], "新食堂");

    // A bad filter is refused with the usual code; the connection stays usable.
    send(
        &mut conn,
        json!({ "id": "bad", "type": "subscribe",
        "payload": { "query": CHANGES, "variables": { "f": { "communityCodePrefix": "abc" } } } }),
    )
    .await;
    // An execution error travels in a `next` message (graphql-transport-ws), then `complete`.
    let m = receive(&mut conn).await.expect("an answer");
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("next"), Some("bad")), "{m}");
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(receive(&mut conn).await.expect("complete")["type"], "complete");
    send(&mut conn, json!({ "id": "canteens", "type": "complete" })).await;
    drop(writer);
}

/// A WebSocket upgrade without a GraphQL sub-protocol is refused plainly.
#[actix_web::test]
async fn upgrades_must_name_the_protocol() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let error = awc::Client::default().ws(url).connect().await.err().expect("refused");
    assert!(error.to_string().contains("400") || format!("{error:?}").contains("400"), "{error:?}");
}

/// One connection holds at most 100 subscriptions; the server holds at most `--max-websockets`
/// connections, and `/metrics` counts them.
#[actix_web::test]
async fn subscriptions_and_connections_are_bounded() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let app = TestApp::spawn_with(&url, |s| s.max_websockets = 1).await;
    let mut conn = connect(&app.address).await;
    for i in 0..=api::websocket::MAX_SUBSCRIPTIONS_PER_CONNECTION {
        send(&mut conn, json!({ "id": format!("s{i}"), "type": "subscribe", "payload": { "query": CHANGES } })).await;
    }
    let m = receive(&mut conn).await.expect("a refusal");
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("error"), Some("s100")), "{m}");
    assert_eq!(m["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    // Completing one makes room for another.
    send(&mut conn, json!({ "id": "s0", "type": "complete" })).await;
    assert_eq!(receive(&mut conn).await.unwrap(), json!({ "id": "s0", "type": "complete" }));
    send(&mut conn, json!({ "id": "again", "type": "subscribe", "payload": { "query": CHANGES } })).await;
    let answer = actix_web::rt::time::timeout(Duration::from_millis(500), receive(&mut conn)).await;
    assert!(answer.is_err(), "no refusal: {answer:?}");

    let (_, metrics) = app.get("/metrics").await;
    assert!(metrics.contains("graphql_websocket_connections 1"), "{metrics}");
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let second = awc::Client::default().ws(url).protocols(["graphql-transport-ws"]).connect().await;
    assert!(format!("{:?}", second.err()).contains("503"), "a second connection is refused");
    drop(conn);
    // The slot is given back when the connection closes.
    for _ in 0..50 {
        if app.get("/metrics").await.1.contains("graphql_websocket_connections 0") {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the connection was still counted after it closed");
}

/// SIGTERM with subscribers connected: they are told the server is going away (close code
/// 1001) and the process exits promptly instead of waiting for them to hang up.
#[actix_web::test]
async fn sigterm_closes_subscriptions_and_exits() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let mut server = Server::start(&url);
    let mut conn = connect(&server.base).await;
    send(&mut conn, json!({ "id": "c", "type": "subscribe", "payload": { "query": CHANGES } })).await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let closed = loop {
        match actix_web::rt::time::timeout(Duration::from_secs(20), conn.next()).await {
            Ok(Some(Ok(awc::ws::Frame::Close(reason)))) => break reason,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(closed.map(|r| r.code), Some(awc::ws::CloseCode::Away));
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "exited after {:?}", started.elapsed());
}

/// A socket is no way around the HTTP limits: queries and mutations are refused on it, and
/// every subscription costs the client one request of its rate limit.
#[actix_web::test]
async fn sockets_serve_subscriptions_only_within_the_rate_limit() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let app = TestApp::spawn_with(&url, |s| {
        s.rate_limit = api::rate_limit::RateLimit { per_minute: 1, burst: 3, exempt_loopback: false };
    })
    .await;
    let mut conn = connect(&app.address).await; // the upgrade is one request
    send(&mut conn, json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ facilities { totalCount } }" } }))
        .await;
    let m = receive(&mut conn).await.unwrap();
    assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{m}");
    assert_eq!(receive(&mut conn).await.unwrap()["type"], "complete");
    // That was the second request; one more subscription fits, the next does not.
    send(&mut conn, json!({ "id": "a", "type": "subscribe", "payload": { "query": CHANGES } })).await;
    send(&mut conn, json!({ "id": "b", "type": "subscribe", "payload": { "query": CHANGES } })).await;
    let m = receive(&mut conn).await.unwrap();
    assert_eq!((m["type"].as_str(), m["id"].as_str()), (Some("error"), Some("b")), "{m}");
    assert_eq!(m["payload"][0]["extensions"]["code"], "RATE_LIMITED");
}

/// Many subscribers on a few sockets (issue 12, item 6): every write still succeeds, every
/// unfiltered subscription gets every change once and in order, filtered ones get none, and
/// each change is read once per process however many subscribers it reaches.
#[actix_web::test]
async fn hundreds_of_subscribers_get_every_change_and_writes_go_on() {
    let app = TestApp::spawn().await;
    let editor = app.token(api::domain::role::Role::Editor).await;
    let (sockets, per_socket) = (8, 50);
    let mut conns = Vec::new();
    for s in 0..sockets {
        let mut conn = connect(&app.address).await;
        for i in 0..per_socket {
            // Even ids follow everything; odd ones only elder care, which the writes never touch.
            let filter = if i % 2 == 0 { json!(null) } else { json!({ "categories": ["ELDER_CARE"] }) };
            send(
                &mut conn,
                json!({ "id": format!("s{s}-{i}"), "type": "subscribe",
                "payload": { "query": CHANGES, "variables": { "f": filter } } }),
            )
            .await;
        }
        conns.push(conn);
    }
    let create = "mutation($n: String!) { createFacility(input: { kind: MEAL_POINT, name: $n, location: { lon: 106.3, lat: 38.5 } }) { id } }";
    // Registration is asynchronous: probe until every unfiltered subscription has seen a change.
    let mut seen = std::collections::HashSet::new();
    for attempt in 0..20 {
        app.ok(create, json!({ "n": format!("probe {attempt}") }), Some(&editor)).await;
        for conn in &mut conns {
            while let Ok(Some(m)) = actix_web::rt::time::timeout(Duration::from_millis(200), receive(conn)).await {
                seen.insert(m["id"].as_str().unwrap().to_owned());
            }
        }
        if seen.len() == sockets * per_socket / 2 {
            break;
        }
    }
    assert_eq!(seen.len(), sockets * per_socket / 2, "unfiltered subscriptions registered");
    assert!(seen.iter().all(|id| id.rsplit('-').next().unwrap().parse::<usize>().unwrap() % 2 == 0));

    let id = app.ok(create, json!({ "n": "watched" }), Some(&editor)).await["createFacility"]["id"].clone();
    let update = "mutation($id: ID!, $v: Int!, $n: String!) { updateFacility(id: $id, version: $v, input: { name: $n }) { version } }";
    for v in 1..=5 {
        let r = app.gql(update, json!({ "id": id, "v": v, "n": format!("name {v}") }), Some(&editor)).await;
        assert!(r["errors"].is_null(), "update {v} failed under 400 subscriptions: {r}");
    }
    for conn in &mut conns {
        let mut versions: std::collections::HashMap<String, Vec<i64>> = std::collections::HashMap::new();
        while versions.values().map(Vec::len).sum::<usize>() < per_socket / 2 * 6 {
            let m = receive(conn).await.expect("an event");
            let event = &m["payload"]["data"]["facilityChanged"];
            assert_eq!(event["id"], id, "{m}");
            versions.entry(m["id"].as_str().unwrap().to_owned()).or_default().push(event["version"].as_i64().unwrap());
        }
        assert_eq!(versions.len(), per_socket / 2);
        assert!(versions.values().all(|v| v == &[1, 2, 3, 4, 5, 6]), "{versions:?}");
        let extra = actix_web::rt::time::timeout(Duration::from_millis(300), receive(conn)).await;
        assert!(extra.is_err(), "nothing more: {extra:?}");
    }
}
