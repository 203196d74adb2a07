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
        let body_limit = web::Data::new(BodyLimit(settings.max_body_bytes));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(schema.clone())
                .app_data(health.clone())
                .app_data(body_limit.clone())
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

/// The largest request body accepted, in bytes.
#[derive(Clone, Copy, Debug)]
struct BodyLimit(usize);

async fn graphql(
    schema: web::Data<AppSchema>,
    limit: web::Data<BodyLimit>,
    http: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let body = match read_body(payload, &http, limit.0).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            let why = if body.first() == Some(&b'[') {
                "batched requests are not accepted: send one request per HTTP request".to_owned()
            } else {
                format!("the body is not a GraphQL request in JSON ({e})")
            };
            return refuse(HttpResponse::BadRequest(), "BAD_REQUEST", &why);
        }
    };
    if let Some(secret) = bearer_secret(&http) {
        request = request.data(Credentials(secret));
    }
    let query = request.query.clone();
    let response = add_codes(schema.execute(request).await, &query);
    match serde_json::to_vec(&response) {
        Ok(json) => HttpResponse::Ok().content_type("application/json").body(json),
        Err(e) => {
            tracing::error!(error = %e, "a response could not be serialized");
            refuse(HttpResponse::InternalServerError(), "INTERNAL_SERVER_ERROR", "internal server error")
        }
    }
}

/// The request body, refused with 413 as soon as it is known to exceed `limit` bytes (by its
/// Content-Length or while reading), so an oversized body is never held in memory.
async fn read_body(payload: web::Payload, http: &HttpRequest, limit: usize) -> Result<web::Bytes, HttpResponse> {
    let too_large = || {
        refuse(
            HttpResponse::PayloadTooLarge(),
            "PAYLOAD_TOO_LARGE",
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared =
        http.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(refuse(HttpResponse::BadRequest(), "BAD_REQUEST", &e.to_string())),
        Err(_) => Err(too_large()),
    }
}

/// An HTTP-level refusal with a GraphQL-shaped body, so clients read the code where they
/// always do.
fn refuse(mut response: actix_web::HttpResponseBuilder, code: &str, message: &str) -> HttpResponse {
    response.json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
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
