//! Building and running the HTTP application.

use crate::auth::Credentials;
use crate::config::Settings;
use crate::graphql::errors::add_codes;
use crate::graphql::{AppSchema, build_schema};
use crate::store::Store;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use std::net::{SocketAddr, TcpListener};

/// A bound, ready-to-run server.
pub struct Application {
    server: Server,
    address: SocketAddr,
    store: Store,
}

impl Application {
    /// Binds the listener first (so port 0 works and the real port is known), connects to and
    /// migrates the database, and builds the schema once for all workers.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)?;
        let address = listener.local_addr()?;
        let store = Store::connect(&settings.database_url, settings.max_connections).await?;
        // Load the facilities now rather than on the first request.
        store.sync_facilities().await?;
        let schema = web::Data::new(build_schema(store.clone(), settings.limits, settings.network));
        let health = web::Data::new(store.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(schema.clone())
                .app_data(health.clone())
                .route("/graphql", web::post().to(graphql))
                .route("/graphql", web::get().to(graphiql))
                .route("/healthz", web::get().to(healthz))
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Self { server: server.run(), address, store })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The application's store (for commands and tests that act beside the server).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A handle to stop the server from elsewhere (tests, signals).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM or a handle), then closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.store.close().await;
        result
    }
}

async fn graphql(schema: web::Data<AppSchema>, http: HttpRequest, request: GraphQLRequest) -> GraphQLResponse {
    let mut request = request.into_inner();
    if let Some(secret) = bearer_secret(&http) {
        request = request.data(Credentials(secret));
    }
    let query = request.query.clone();
    add_codes(schema.execute(request).await, &query).into()
}

fn bearer_secret(http: &HttpRequest) -> Option<String> {
    let value = http.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim().to_owned())
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").title("service-circle").finish())
}

async fn healthz(store: web::Data<Store>) -> HttpResponse {
    if store.ping().await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "database unavailable" }))
    }
}
