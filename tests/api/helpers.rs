//! Starting the real application on port 0 with a fresh database, and talking to it over HTTP.
//!
//! The database is SQLite (a new file per test) unless `TEST_DATABASE_URL` names a PostgreSQL
//! server, e.g. `postgres://service_circle:service_circle@127.0.0.1:5432/postgres`; each test
//! then gets a database of its own on it.

use actix_web::dev::ServerHandle;
use api::auth::issue_token;
use api::config::Settings;
use api::domain::role::Role;
use api::startup::Application;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub store: api::store::Store,
    handle: ServerHandle,
    client: awc::Client,
    _dir: Option<TempDir>,
}

/// A directory removed when the test ends.
pub struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("sc_test_{}_{}_{}", std::process::id(), n, nanos)
}

/// A fresh, empty database URL (and the folder to remove for SQLite).
pub async fn fresh_database() -> (String, Option<TempDir>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = unique_name();
            let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').expect("database URL has a path").0;
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = std::env::temp_dir().join(unique_name());
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
            (url, Some(TempDir(dir)))
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        let (url, dir) = fresh_database().await;
        let mut app = Self::spawn_on(&url).await;
        app._dir = dir;
        app
    }

    /// Starts the application on a fresh database with adjusted settings.
    pub async fn spawn_adjusted(adjust: impl FnOnce(&mut Settings)) -> Self {
        let (url, dir) = fresh_database().await;
        let mut app = Self::spawn_with(&url, adjust).await;
        app._dir = dir;
        app
    }

    /// Starts the application on an existing database.
    pub async fn spawn_on(database_url: &str) -> Self {
        Self::spawn_with(database_url, |_| {}).await
    }

    /// Starts the application on an existing database with adjusted settings.
    pub async fn spawn_with(database_url: &str, adjust: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings {
            database_url: database_url.to_owned(),
            listen: "127.0.0.1:0".into(),
            workers: 1,
            max_connections: 4,
            // Tests run many requests from loopback; the rate-limit tests turn it on.
            rate_limit: api::rate_limit::RateLimit { per_minute: 0, ..Default::default() },
            ..Settings::default()
        };
        adjust(&mut settings);
        let app = Application::build(&settings).await.expect("application starts");
        let address = format!("http://{}", app.address());
        let store = app.store().clone();
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        Self { address, database_url: database_url.to_owned(), store, handle, client: test_client(), _dir: None }
    }

    /// Another handle on the same running server (for use inside closures).
    pub fn clone_handle(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            database_url: self.database_url.clone(),
            store: self.store.clone(),
            handle: self.handle.clone(),
            client: test_client(),
            _dir: None,
        }
    }

    /// Stops the server and closes its database pool.
    pub async fn stop(self) -> Option<TempDir> {
        self.handle.stop(true).await;
        self.store.close().await;
        self._dir
    }

    pub async fn token(&self, role: Role) -> String {
        issue_token(&self.store, &format!("test-{}", role.code()), role).await.unwrap().1
    }

    /// POSTs a GraphQL document and returns the parsed JSON response.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self.client.post(format!("{}/graphql", self.address));
        if let Some(t) = token {
            request = request.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut response = request.send_json(&json!({ "query": query, "variables": variables })).await.unwrap();
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json::<Value>().limit(64 * 1024 * 1024).await.unwrap()
    }

    /// `data` of a response that must have no errors.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let response = self.gql(query, variables, token).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
        response["data"].clone()
    }

    /// POSTs raw bytes to /graphql and returns the status and the parsed JSON body.
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        let mut response = self
            .client
            .post(format!("{}/graphql", self.address))
            .insert_header(("Content-Type", "application/json"))
            .send_body(body)
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let mut response = self.client.get(format!("{}{path}", self.address)).send().await.unwrap();
        let body = response.body().limit(16 * 1024 * 1024).await.unwrap();
        (response.status().as_u16(), String::from_utf8_lossy(&body).into_owned())
    }
}

/// The error codes of a response, in order.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned()).collect())
        .unwrap_or_default()
}

/// Every field of a facility, as a GraphQL fragment named `AllFields`.
#[macro_export]
macro_rules! all_facility_fields {
    () => {
        r#"
fragment AllFields on Facility {
  id kind category name address communityCode openingHours phone capacity services version
  location { lon lat }
  canteen { meals seats basePriceYuan agePrices { minAge maxAge priceYuan } diets halal delivery deliveryFeeYuan operator }
  elderCare { beds dayCarePlaces careServices floorAreaSquareMeters }
  restStation { amenities access open24Hours targetGroups mobile }
  createdAt updatedAt
}"#
    };
}

pub const CREATE_FACILITY: &str = concat!(
    "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { ...AllFields } }",
    all_facility_fields!()
);

/// Creates a facility of `kind` at a position and returns its id.
pub async fn create_at(app: &TestApp, token: &str, kind: &str, lon: f64, lat: f64) -> String {
    let data = app
        .ok(CREATE_FACILITY, json!({ "input": { "kind": kind, "name": format!("{kind} at {lon},{lat}"), "location": { "lon": lon, "lat": lat } } }), Some(token))
        .await;
    data["createFacility"]["id"].as_str().unwrap().to_owned()
}

/// awc's default 5 s timeout is shorter than a large request may take in a debug build while
/// the whole suite loads both cores (large bodies run at nice 10); the server's own deadlines
/// are what the tests assert. Idle connections are dropped after 2 s, well before the
/// server's 5 s keep-alive closes them: awc would otherwise reuse one the server is closing and
/// fail with `Connect(Disconnected)` on a slow machine.
pub fn test_client() -> awc::Client {
    let connector = awc::Connector::new().conn_keep_alive(std::time::Duration::from_secs(2));
    awc::Client::builder().connector(connector).timeout(std::time::Duration::from_secs(60)).finish()
}
