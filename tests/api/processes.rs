//! The real `service-circle` binary, as separate processes: killed with SIGKILL in the middle of
//! writes (after a restart every acknowledged write is there, whole, and an interrupted import
//! left all or nothing), stopped with SIGTERM (it drains), and two of them over one database.

use crate::helpers::{TempDir, fresh_database, test_client};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_service-circle");

pub(crate) fn command(database_url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("DATABASE_URL", database_url).env("RUST_LOG", "warn");
    c
}

/// The server process and its address.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(database_url: &str) -> Self {
        Self::start_command(command(database_url, &["serve", "--listen", "127.0.0.1:0", "--workers", "2"]))
    }

    fn start_command(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("listening on ").expect("the address line").to_owned();
        Self { child, base }
    }

    fn kill_9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn post(
    client: &awc::Client,
    base: &str,
    query: &str,
    variables: Value,
    token: &str,
) -> Option<Value> {
    let mut response = client
        .post(format!("{base}/graphql"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send_json(&json!({ "query": query, "variables": variables }))
        .await
        .ok()?;
    response.json::<Value>().limit(16 * 1024 * 1024).await.ok()
}

pub(crate) fn editor_token(database_url: &str) -> String {
    let out = command(database_url, &["token", "create", "--role", "admin", "--name", "crash-test"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[actix_web::test]
async fn acknowledged_single_writes_survive_kill_9() {
    let (url, _dir): (String, Option<TempDir>) = fresh_database().await;
    let server = Server::start(&url);
    let token = editor_token(&url);
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let create = "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id } }";
    let input = |i: usize| {
        json!({ "input": { "kind": "OUTDOOR_WORKER_STATION", "name": format!("station {i}"),
            "location": { "lon": 106.2 + i as f64 * 1e-4, "lat": 38.4 },
            "services": ["HOT_WATER", format!("TAG_{i}")], "restStation": { "open24Hours": true } } })
    };
    let mut acknowledged = Vec::new();
    for i in 0..40 {
        let response = post(&client, &server.base, create, input(i), &token).await.unwrap();
        acknowledged.push((response["data"]["createFacility"]["id"].as_str().unwrap().to_owned(), i));
    }
    // One more write in flight when the process dies: it may or may not have committed.
    let (base, writer) = (server.base.clone(), token.clone());
    let in_flight = actix_web::rt::spawn(async move {
        let client = awc::Client::default();
        post(&client, &base, create, input(40), &writer).await
    });
    actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    server.kill_9();
    let _ = in_flight.await;

    let server = Server::start(&url);
    let read = "query($id: ID!) { facility(id: $id) { name services restStation { open24Hours } } }";
    for (id, i) in &acknowledged {
        let response = post(&client, &server.base, read, json!({ "id": id }), &token).await.unwrap();
        let f = &response["data"]["facility"];
        assert_eq!(f["name"], format!("station {i}"), "acknowledged write {i} is there");
        assert_eq!(f["services"], json!(["HOT_WATER", format!("TAG_{i}")]), "with all its tags");
        assert_eq!(f["restStation"]["open24Hours"], true, "and its details");
    }
    let count = post(&client, &server.base, "{ facilities { totalCount } }", json!({}), &token).await.unwrap();
    let total = count["data"]["facilities"]["totalCount"].as_i64().unwrap();
    assert!(total == 40 || total == 41, "{total}");
}

#[actix_web::test]
async fn an_import_killed_midway_leaves_all_or_nothing() {
    let (url, dir): (String, Option<TempDir>) = fresh_database().await;
    let folder = std::env::temp_dir().join(format!("sc_crash_{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("facilities.csv");
    let mut csv = String::from("name,kind,lon,lat,services\n");
    for i in 0..10_000 {
        csv.push_str(&format!(
            "meal point {i},MEAL_POINT,{},{},LOW_SALT_MEALS\n",
            106.2 + (i % 100) as f64 * 1e-3,
            38.4 + (i / 100) as f64 * 1e-3
        ));
    }
    std::fs::write(&file, csv).unwrap();
    // Create the schema first, so that the kill lands in the import itself.
    assert!(command(&url, &["token", "list"]).output().unwrap().status.success());
    let mut previous = 0;
    let mut killed_while_running = 0;
    for delay_ms in [200, 600, 1_200] {
        let mut child = command(&url, &["import", "facilities", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().ok();
        child.wait().unwrap();
        let server = Server::start(&url);
        let client = awc::Client::default();
        let count = |filter: &str| {
            let q = format!("{{ facilities{filter} {{ totalCount }} }}");
            let (client, base) = (client.clone(), server.base.clone());
            async move {
                let response = post(&client, &base, &q, json!({}), "none").await.unwrap();
                response["data"]["facilities"]["totalCount"].as_i64().unwrap()
            }
        };
        let total = count("").await;
        assert!(total % 10_000 == 0 && total >= previous, "{total} rows after killing an import at {delay_ms} ms");
        assert_eq!(count(r#"(filter: { services: ["LOW_SALT_MEALS"] })"#).await, total, "every row has its tag");
        server.kill_9();
        previous = total;
    }
    assert!(killed_while_running > 0, "no kill landed during an import");
    std::fs::remove_dir_all(&folder).ok();
    drop(dir);
}

/// SIGTERM lets the request in flight finish and then exits cleanly.
#[actix_web::test]
async fn sigterm_drains_the_request_in_flight() {
    use std::io::{Read, Write};
    let (url, _dir): (String, Option<TempDir>) = fresh_database().await;
    assert!(command(&url, &["demo"]).output().unwrap().status.success());
    let server = Server::start(&url);
    // A slow question: 50,000 candidate sites over the demo district.
    let candidates: Vec<Value> = (0..50_000)
        .map(|i| json!({ "lon": 106.22 + (i % 250) as f64 * 0.00136, "lat": 38.33 + (i / 250) as f64 * 0.00125 }))
        .collect();
    let q = "query($c: [PointInput!]) { suggestSites(input: { coverage: {}, count: 50, candidates: $c }) { elderlyCoverageRatioAfter } }";
    let body = serde_json::to_vec(&json!({ "query": q, "variables": { "c": candidates } })).unwrap();
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // Once the whole request is written (the body is larger than the socket buffers, so the
    // server has been reading it), the request is in flight.
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(&body).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // Nothing was answered before the signal: the request was still running.
    socket.set_nonblocking(true).unwrap();
    let mut first = [0u8; 1];
    let early = socket.peek(&mut first);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "answered before the signal: {early:?}"
    );
    socket.set_nonblocking(false).unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).expect("the request in flight is answered");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("elderlyCoverageRatioAfter"), "{response}");
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exits cleanly after draining: {status:?}");
}

/// Two server processes over one database: a write through one is read through the other, and
/// racing updates of one facility through both have exactly one winner.
#[actix_web::test]
async fn two_server_processes_share_one_database() {
    let (url, _dir): (String, Option<TempDir>) = fresh_database().await;
    let token = editor_token(&url);
    let (one, two) = (Server::start(&url), Server::start(&url));
    let client = awc::Client::default();
    let near = "{ nearbyFacilities(near: { lon: 106.3, lat: 38.5 }, radiusMeters: 100) { facility { id } } }";
    // Both have searched (and checked the database's revision) before the write, so the second
    // must notice a commit made by another process, not just load what it finds on first use.
    for base in [&one.base, &two.base] {
        let found = post(&client, base, near, json!({}), "none").await.unwrap();
        assert_eq!(found["data"]["nearbyFacilities"], json!([]), "{found}");
    }
    let create = "mutation { createFacility(input: { kind: MEAL_POINT, name: \"a\", location: { lon: 106.3, lat: 38.5 } }) { id } }";
    let created = post(&client, &one.base, create, json!({}), &token).await.unwrap();
    let id = created["data"]["createFacility"]["id"].as_str().unwrap().to_owned();
    for base in [&one.base, &two.base] {
        let found = post(&client, base, near, json!({}), "none").await.unwrap();
        assert_eq!(found["data"]["nearbyFacilities"][0]["facility"]["id"], id.as_str());
    }
    let update = "mutation($id: ID!, $v: Int!, $n: String!) { updateFacility(id: $id, version: $v, input: { name: $n }) { version } }";
    for version in 1..=5 {
        let (c1, c2) = (client.clone(), client.clone());
        let (b1, b2) = (one.base.clone(), two.base.clone());
        let (t1, t2) = (token.clone(), token.clone());
        // New names each round: an update that changes nothing succeeds without a new version.
        let (n1, n2) = (format!("one {version}"), format!("two {version}"));
        let (v1, v2) = (json!({ "id": id, "v": version, "n": n1 }), json!({ "id": id, "v": version, "n": n2 }));
        let first = actix_web::rt::spawn(async move { post(&c1, &b1, update, v1, &t1).await });
        let second = post(&c2, &b2, update, v2, &t2).await.unwrap();
        let first = first.await.unwrap().unwrap();
        let wins = [&first, &second].iter().filter(|r| r["errors"].is_null()).count();
        let conflicts = [&first, &second].iter().filter(|r| r["errors"][0]["extensions"]["code"] == "CONFLICT").count();
        assert_eq!((wins, conflicts), (1, 1), "version {version}: {first} {second}");
    }
    let read = "query($id: ID!) { facility(id: $id) { version } }";
    let final_version = post(&client, &one.base, read, json!({ "id": id }), "none").await.unwrap();
    assert_eq!(final_version["data"]["facility"]["version"], 6);
    // Searches return whole facilities from a memory of recent ones: both processes read the
    // facility before the updates, and both must now return its last version.
    let near =
        "{ nearbyFacilities(near: { lon: 106.3, lat: 38.5 }, radiusMeters: 100) { facility { id version name } } }";
    let mut names = Vec::new();
    for base in [&one.base, &two.base] {
        let found = post(&client, base, near, json!({}), "none").await.unwrap();
        let facility = &found["data"]["nearbyFacilities"][0]["facility"];
        assert_eq!(facility["version"], 6, "{found}");
        names.push(facility["name"].clone());
    }
    assert_eq!(names[0], names[1]);
}

/// With LOG_FORMAT=json every log line is a JSON object (for log collectors).
#[actix_web::test]
async fn json_logs_are_one_object_per_line() {
    let (url, _dir): (String, Option<TempDir>) = fresh_database().await;
    let out = command(&url, &["token", "list"]).env("LOG_FORMAT", "json").env("RUST_LOG", "info").output().unwrap();
    assert!(out.status.success());
    let logs = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "the migrations log at info");
    for line in lines {
        let parsed: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(parsed["level"].is_string() && parsed["timestamp"].is_string(), "{line}");
    }
}

/// The connections a burst of requests opened are closed once requests stop: only one stays
/// open (sqlx's own idle timeout did not close them; each SQLite connection holds a page cache).
/// Probes of /metrics and /healthz do not count as requests.
#[actix_web::test]
async fn connections_a_burst_opened_close_when_requests_stop() {
    let (url, _dir): (String, Option<TempDir>) = fresh_database().await;
    let token = editor_token(&url);
    let server = Server::start(&url);
    let client = test_client();
    let create = "mutation { createFacility(input: { kind: MEAL_POINT, name: \"a\", location: { lon: 106.3, lat: 38.5 } }) { id } }";
    let created = post(&client, &server.base, create, json!({}), &token).await.unwrap();
    let id = created["data"]["createFacility"]["id"].as_str().unwrap().to_owned();
    let pool = |text: &str, state: &str| -> u32 {
        let line = text.lines().find(|l| l.starts_with(&format!("db_pool_connections{{state=\"{state}\"}}"))).unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let metrics = || async {
        let mut response = client.get(format!("{}/metrics", server.base)).send().await.unwrap();
        String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
    };
    let history = "query($id: ID!) { facilityHistory(id: $id) { action } }";
    let mut most_open = 0;
    for _ in 0..5 {
        let burst: Vec<_> = (0..32)
            .map(|_| {
                let (client, base, token, id) = (client.clone(), server.base.clone(), token.clone(), id.clone());
                actix_web::rt::spawn(async move { post(&client, &base, history, json!({ "id": id }), &token).await })
            })
            .collect();
        for request in burst {
            assert!(request.await.unwrap().unwrap()["errors"].is_null());
        }
        let text = metrics().await;
        most_open = most_open.max(pool(&text, "idle") + pool(&text, "in_use"));
        if most_open > 2 {
            break;
        }
    }
    assert!(most_open > 2, "a burst of 32 requests opened {most_open} connections");
    let mut open = most_open;
    for _ in 0..40 {
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let text = metrics().await;
        open = pool(&text, "idle") + pool(&text, "in_use");
        if open == 1 {
            break;
        }
    }
    assert_eq!(open, 1, "connections still open 20 s after the last request");
}
