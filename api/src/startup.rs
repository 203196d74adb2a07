//! Building and running the HTTP application.

use crate::auth::Credentials;
use crate::bulk_lane::{BULK_BODY_BYTES, BulkLane};
use crate::config::Settings;
use crate::error_code::ErrorCode;
use crate::graphql::admission::Admission;
use crate::graphql::errors::add_codes;
use crate::graphql::hours::RequestCalendar;
use crate::graphql::{AppSchema, RequestClient, RequestNetwork, RequestReads, RequestStarted, build_schema};
use crate::graphql_http::{self, GetRefusal, MediaType, RequestErrors};
use crate::metrics::Metrics;
use crate::planning_pool::PlanningPool;
use crate::rate_limit::{ClientKey, Limiter, extra_points};
use crate::store::Store;
use crate::websocket::ClientSockets;
use actix_web::dev::{Server, ServerHandle, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use async_graphql::BatchRequest;
use futures_util::future::Either;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// A bound, ready-to-run server.
pub struct Application {
    server: Server,
    address: SocketAddr,
    store: Store,
    /// Set on SIGTERM/SIGINT: WebSocket connections close themselves (they would otherwise
    /// hold the graceful shutdown until its timeout).
    going_away: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Binds the listener first (so port 0 works and the real port is known), connects to and
    /// migrates the database, and builds the schema once for all workers.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)?;
        let address = listener.local_addr()?;
        let store = Store::connect(&settings.database_url, settings.max_connections).await?;
        store.set_network_cache_bytes(settings.network_cache_mib.saturating_mul(1 << 20));
        store.set_min_reachability(settings.min_reachability);
        // Load the facilities now rather than on the first request.
        store.sync_facilities().await?;
        store.listen_for_changes().await?;
        let planning = PlanningPool::new(settings.planning_threads());
        let tile_computing = web::Data::new(crate::tiles_http::TileComputing {
            pool: planning.clone(),
            zone: settings.time_zone,
            network: settings.network,
            computation: settings.limits.computation,
        });
        let schema = web::Data::new(build_schema(
            store.clone(),
            settings.limits,
            settings.network,
            settings.time_zone,
            planning,
        ));
        let admission = web::Data::new(Admission::new(settings.limits));
        let bulk = web::Data::new(BulkLane::new(settings.planning_threads())?);
        let health = web::Data::new(store.clone());
        let http_limits = web::Data::new(HttpLimits {
            max_body_bytes: settings.max_body_bytes,
            max_batch: settings.max_batch,
            max_websockets: settings.max_websockets,
            max_response_bytes: settings.max_response_bytes,
        });
        let metrics = web::Data::new(Metrics::default());
        let going_away = tokio::sync::watch::Sender::new(false);
        let shutdown = web::Data::new(going_away.subscribe());
        crate::memory_release::start();
        let idle_store = store.clone();
        actix_web::rt::spawn(async move {
            // After a burst, the connections it opened are closed once no request has
            // arrived for two ticks in a row; one stays open for the next request.
            let mut seen = crate::memory_release::requests_seen();
            let mut quiet_ticks = 0;
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(5)).await;
                let now = crate::memory_release::requests_seen();
                quiet_ticks = if now == seen { quiet_ticks + 1 } else { 0 };
                seen = now;
                if quiet_ticks == 2 {
                    idle_store.close_idle_connections(1).await;
                }
            }
        });
        let limiter = Limiter::new(settings.rate_limit).map(Arc::new);
        if let Some(limiter) = limiter.clone() {
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
                    limiter.forget_idle();
                }
            });
        }
        let map = settings.map.clone();
        let rate = ClientRateLimit {
            limiter,
            trust_proxy: settings.trust_forwarded_for,
            sockets: ClientSockets::new(settings.max_websockets_per_client),
        };
        let rate_data = web::Data::new(rate.clone());
        let mut server = HttpServer::new(move || {
            crate::memory_release::start_on_this_worker();
            let rate = rate.clone();
            App::new()
                .wrap_fn(move |request, service| {
                    let refusal = over_limit(&rate, &request);
                    match refusal {
                        Some(refusal) => Either::Left(std::future::ready(Ok(request.into_response(refusal)))),
                        None => Either::Right(service.call(request)),
                    }
                })
                .wrap_fn(with_request_id)
                .wrap_fn(with_security_headers)
                .wrap_fn(|mut request, service| {
                    own_header_values(&mut request);
                    service.call(request)
                })
                .app_data(schema.clone())
                .app_data(admission.clone())
                .app_data(bulk.clone())
                .app_data(health.clone())
                .app_data(http_limits.clone())
                .app_data(metrics.clone())
                .app_data(shutdown.clone())
                .app_data(rate_data.clone())
                .app_data(tile_computing.clone())
                .route("/metrics", web::get().to(metrics_text))
                .route("/graphql", web::post().to(graphql))
                .route("/graphql", web::get().to(graphql_get))
                .route("/healthz", web::get().to(healthz))
                .configure(crate::tiles_http::configure)
                .configure(crate::map_page::configure(&map))
        })
        .disable_signals()
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Self { server: server.run(), address, store, going_away })
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

    /// Serves until stopped (SIGINT/SIGTERM or a handle), then closes the database pool. On a
    /// signal, requests in flight finish and subscribers are told the server is going away.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let going_away = self.going_away;
        actix_web::rt::spawn(async move {
            if let Err(error) = stop_signal().await {
                tracing::error!(%error, "cannot listen for stop signals");
                return;
            }
            tracing::info!("stop signal: finishing requests in flight, closing subscriptions");
            going_away.send_replace(true);
            handle.stop(true).await;
        });
        let result = self.server.await;
        self.store.close().await;
        result
    }
}

async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}

/// The per-client limits: the rate of requests to /graphql and `subscribe` messages on
/// sockets, and the sockets held at once.
#[derive(Clone)]
struct ClientRateLimit {
    /// None when the limit is off.
    limiter: Option<Arc<Limiter>>,
    trust_proxy: bool,
    sockets: Arc<ClientSockets>,
}

impl ClientRateLimit {
    /// The client's address: the peer's, or behind a trusted proxy the address the proxy
    /// appended last to X-Forwarded-For (earlier entries come from the client and prove nothing).
    fn client(&self, request: &HttpRequest) -> Option<std::net::IpAddr> {
        let peer = request.peer_addr().map(|a| a.ip());
        // Several header lines are one list (RFC 9110 5.3): the proxy's entry is the last of
        // the last line, whatever the client sent before it.
        let forwarded = || {
            let last_line = request.headers().get_all("x-forwarded-for").last()?.to_str().ok()?;
            last_line.rsplit(',').next()?.trim().parse::<std::net::IpAddr>().ok()
        };
        if self.trust_proxy { forwarded().or(peer) } else { peer }
    }

    /// Takes what a request cost beyond one from `client`'s bucket.
    fn charge_extra(&self, client: Option<std::net::IpAddr>, points: u32) {
        if let Some(limiter) = &self.limiter
            && points > 0
        {
            limiter.charge_extra(client, points);
        }
    }

    /// Charges one request to `client`; Err says how long it must wait.
    fn charge(&self, client: Option<std::net::IpAddr>) -> Result<(), std::time::Duration> {
        self.limiter.as_ref().map_or(Ok(()), |limiter| limiter.check(client))
    }
}

/// Limits on what one HTTP request may carry.
#[derive(Clone, Copy, Debug)]
struct HttpLimits {
    max_body_bytes: usize,
    max_batch: usize,
    max_websockets: usize,
    max_response_bytes: usize,
}

#[allow(clippy::too_many_arguments)]
async fn graphql(
    schema: web::Data<AppSchema>,
    admission: web::Data<Admission>,
    limits: web::Data<HttpLimits>,
    metrics: web::Data<Metrics>,
    rate: web::Data<ClientRateLimit>,
    bulk: web::Data<BulkLane>,
    http: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let started = Instant::now();
    if !graphql_http::is_json_body(&http) {
        return refuse(
            HttpResponse::UnsupportedMediaType(),
            ErrorCode::UnsupportedMediaType,
            "a GraphQL request is sent as JSON: Content-Type: application/json",
        );
    }
    let address = rate.client(&http);
    let client = RequestClient::new(address.map(ClientKey::key));
    let body = match read_body(payload, &http, limits.max_body_bytes).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    let answering = Answering::new(&http, schema, admission, &metrics, &limits, client.clone());
    let media = answering.media;
    let answer = if body.len() > BULK_BODY_BYTES {
        let body = body.clone();
        bulk.run(async move { answering.answer(&body).await }).await.unwrap_or(Answer::Failed)
    } else {
        answering.answer(&body).await
    };
    // What the request cost beyond the one request the middleware charged.
    let written = match &answer {
        Answer::Json { json, .. } => json.len(),
        _ => 0,
    };
    let worked = client.worked(started.elapsed());
    rate.charge_extra(address, extra_points(worked, body.len(), written));
    answer_response(answer, media, &metrics, limits.max_response_bytes)
}

/// The HTTP response that carries an answer.
fn answer_response(answer: Answer, media: MediaType, metrics: &Metrics, max_response_bytes: usize) -> HttpResponse {
    match answer {
        Answer::Json { json, request_failed, .. } => {
            let mut response = if request_failed { HttpResponse::BadRequest() } else { HttpResponse::Ok() };
            response.content_type(media.content_type()).body(json)
        }
        Answer::BadRequest(why) => refuse(HttpResponse::BadRequest(), ErrorCode::BadRequest, &why),
        Answer::TooLarge => {
            let why = format!(
                "the response would be larger than {max_response_bytes} bytes; ask for fewer items (first, limit), fields or geometries"
            );
            metrics.observe("other".to_owned(), 0.0, std::iter::once(ErrorCode::ResponseTooLarge));
            refuse(HttpResponse::Ok(), ErrorCode::ResponseTooLarge, &why)
        }
        Answer::Failed => {
            refuse(HttpResponse::InternalServerError(), ErrorCode::InternalServerError, "internal server error")
        }
    }
}

/// What answering a request body needs, owned, so that it can run on the bulk lane.
struct Answering {
    schema: Arc<AppSchema>,
    admission: Arc<Admission>,
    metrics: Arc<Metrics>,
    max_batch: usize,
    max_response_bytes: usize,
    secret: Option<String>,
    client: RequestClient,
    media: MediaType,
}

enum Answer {
    Json {
        json: Vec<u8>,
        /// The request did not parse or validate (answered 400 in `application/graphql-response+json`).
        request_failed: bool,
        /// Some error is reported (such an answer is not cached).
        errors: bool,
    },
    BadRequest(String),
    TooLarge,
    Failed,
}

impl Answering {
    /// What answering `http` needs: the caller's token and the media type it accepts.
    fn new(
        http: &HttpRequest,
        schema: web::Data<AppSchema>,
        admission: web::Data<Admission>,
        metrics: &web::Data<Metrics>,
        limits: &HttpLimits,
        client: RequestClient,
    ) -> Self {
        Self {
            schema: schema.into_inner(),
            admission: admission.into_inner(),
            metrics: Arc::clone(metrics),
            max_batch: limits.max_batch,
            max_response_bytes: limits.max_response_bytes,
            secret: bearer_secret(http),
            client,
            media: MediaType::accepted(http),
        }
    }

    async fn answer(&self, body: &[u8]) -> Answer {
        // serde reads a JSON list into a struct too: `[]` would be run as an empty request. A
        // body is an object (one request) or a list of objects (a batch), nothing else.
        let parsed = match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => serde_json::from_slice(body).map(BatchRequest::Single).map_err(|e| e.to_string()),
            Some(b'[') => serde_json::from_slice(body).map(BatchRequest::Batch).map_err(|e| e.to_string()),
            _ => Err("neither an object nor a list".to_owned()),
        };
        let batch: BatchRequest = match parsed {
            Ok(batch) => batch,
            Err(e) => {
                return Answer::BadRequest(format!(
                    "the body is not a GraphQL request (or a list of them) in JSON ({e})"
                ));
            }
        };
        // A body without `query` (or with an empty one) is not a GraphQL request.
        if batch.iter().any(|request| request.query.trim().is_empty()) {
            return Answer::BadRequest("a GraphQL request needs a `query`".to_owned());
        }
        let (json, errors) = match batch {
            BatchRequest::Single(request) => return self.answer_one(request).await,
            BatchRequest::Batch(requests) if requests.len() > self.max_batch || requests.is_empty() => {
                return Answer::BadRequest(format!(
                    "a batch holds 1 to {} requests, this one {}",
                    self.max_batch,
                    requests.len()
                ));
            }
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(self.execute(request).await);
                }
                let errors = responses.iter().any(|r| !r.errors.is_empty());
                (capped_json(&responses, self.max_response_bytes), errors)
            }
        };
        json_answer(json, errors, false)
    }

    /// Runs one request; in `application/graphql-response+json`, a request that failed before
    /// execution is answered without `data`, to be sent with 400.
    async fn answer_one(&self, request: async_graphql::Request) -> Answer {
        let response = self.execute(request).await;
        let errors = !response.errors.is_empty();
        if self.media == MediaType::GraphqlResponse && graphql_http::is_request_error(&response) {
            return json_answer(capped_json(&RequestErrors::from(&response), self.max_response_bytes), errors, true);
        }
        json_answer(capped_json(&response, self.max_response_bytes), errors, false)
    }

    /// Runs one GraphQL request with the caller's credentials, and counts it.
    async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        let (admission, metrics) = (&self.admission, &self.metrics);
        let started = Instant::now();
        let operation = metrics.request_label(request.operation_name.as_deref(), &request.query);
        if let Err(refusal) = admission.admit(&mut request) {
            metrics.observe(operation, started.elapsed().as_secs_f64(), refusal.errors.iter().filter_map(error_code));
            return *refusal;
        }
        if let Some(secret) = &self.secret {
            request = request.data(Credentials::new(secret.clone()));
        }
        let retained = Admission::retain(&request);
        let operation_name = request.operation_name.clone();
        request = request
            .data(RequestStarted(started))
            .data(RequestCalendar::default())
            .data(RequestNetwork::default())
            .data(RequestReads::default())
            .data(self.client.clone());
        let response = admission.explain(self.schema.execute(request).await, &retained).await;
        let response = admission.propagate_nulls(response, &retained);
        let response = add_codes(response, retained.query());
        if response.errors.is_empty() {
            metrics.succeeded(operation_name.as_deref(), retained.query());
        }
        metrics.observe(operation, started.elapsed().as_secs_f64(), response.errors.iter().filter_map(error_code));
        response
    }
}

fn json_answer(json: Result<Vec<u8>, JsonError>, errors: bool, request_failed: bool) -> Answer {
    match json {
        Ok(json) => Answer::Json { json, request_failed, errors },
        Err(JsonError::TooLarge) => Answer::TooLarge,
        Err(JsonError::Serialize(e)) => {
            tracing::error!(error = %e, "a response could not be serialized");
            Answer::Failed
        }
    }
}

mod erased {
    /// Serialize for a single request's response and a batch's list alike.
    pub trait Serialize {
        fn write_to(&self, out: &mut super::CappedBuffer) -> serde_json::Result<()>;
    }

    impl<T: serde::Serialize> Serialize for T {
        fn write_to(&self, out: &mut super::CappedBuffer) -> serde_json::Result<()> {
            serde_json::to_writer(out, self)
        }
    }
}

enum JsonError {
    TooLarge,
    Serialize(serde_json::Error),
}

/// A byte buffer that refuses to grow past its limit, so an oversized response is abandoned
/// as it is written instead of being held whole.
struct CappedBuffer {
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("response over the size limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capped_json(value: &dyn erased::Serialize, limit: usize) -> Result<Vec<u8>, JsonError> {
    let mut out = CappedBuffer { bytes: Vec::with_capacity(1024), limit, over: false };
    match value.write_to(&mut out) {
        Ok(()) => Ok(out.bytes),
        Err(_) if out.over => Err(JsonError::TooLarge),
        Err(e) => Err(JsonError::Serialize(e)),
    }
}

/// The request body, refused with 413 as soon as it is known to exceed `limit` bytes (by its
/// Content-Length or while reading), so an oversized body is never held in memory.
async fn read_body(payload: web::Payload, http: &HttpRequest, limit: usize) -> Result<web::Bytes, HttpResponse> {
    let too_large = || {
        refuse(
            HttpResponse::PayloadTooLarge(),
            ErrorCode::PayloadTooLarge,
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
        Ok(Err(e)) => Err(refuse(HttpResponse::BadRequest(), ErrorCode::BadRequest, &e.to_string())),
        Err(_) => Err(too_large()),
    }
}

/// An HTTP-level refusal with a GraphQL-shaped body, so clients read the machine-readable code
/// where they always do.
pub(crate) fn refuse(mut response: actix_web::HttpResponseBuilder, code: ErrorCode, message: &str) -> HttpResponse {
    response.json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }))
}

fn error_code(error: &async_graphql::ServerError) -> Option<ErrorCode> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => ErrorCode::from_name(code),
        _ => None,
    }
}

async fn metrics_text(metrics: web::Data<Metrics>, store: web::Data<Store>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render(store.pool_use(), store.network_cache_use()))
}

/// Gives every request an id (the client's `X-Request-Id` when it is a plain token, else a
/// new one), logs within a span carrying it, and returns it in the response header.
fn with_request_id<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let given = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    // Probes and scrapes arrive every few seconds whatever the load: they must not keep the
    // server from ever looking quiet.
    if !matches!(request.path(), "/healthz" | "/metrics") {
        crate::memory_release::note_request();
    }
    let id = given.map_or_else(new_request_id, str::to_owned);
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.path());
    let response = span.in_scope(|| service.call(request));
    async move {
        let mut response = response.await?;
        if let Ok(value) = header::HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        Ok(response)
    }
    .instrument(span)
}

/// The pages' own scripts, styles and API only (GraphiQL's bundle included: it is served from
/// here); tiles from anywhere (the base map's host is the operator's choice); fonts from the
/// stylesheets' data URLs; never framed by another site.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob: https: http:; font-src 'self' data:; connect-src 'self' ws: wss:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Content-Security-Policy, X-Content-Type-Options and X-Frame-Options on every response
/// (JSON answers included: a browser must never sniff them into HTML).
fn with_security_headers<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(PAGE_POLICY));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
        headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
        Ok(response)
    }
}

/// Replaces the request's header values with copies of their own. actix-http parses them as
/// slices of the connection's read buffer, which also holds the start of the body (up to
/// 128 KiB), and actix-web keeps up to 128 finished requests per worker for reuse with their
/// headers: after an attack of large bodies those requests pinned 1.7 MB of read buffers for
/// as long as the server ran. A few small copies a request free them.
fn own_header_values(request: &mut ServiceRequest) {
    let headers = &mut request.head_mut().headers;
    let shared = std::mem::take(headers);
    for (name, value) in shared.iter() {
        let owned = header::HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        headers.append(name.clone(), owned);
    }
}

/// The 429 answer for a GraphQL request over its client's rate limit; None within it (other
/// paths, such as health checks and metrics, are never limited).
fn over_limit(rate: &ClientRateLimit, request: &ServiceRequest) -> Option<HttpResponse> {
    if request.path() != "/graphql" {
        return None;
    }
    let wait = rate.charge(rate.client(request.request())).err()?;
    let seconds = wait.as_secs() + 1;
    let mut response = HttpResponse::TooManyRequests();
    response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    Some(refuse(response, ErrorCode::RateLimited, &format!("too many requests from this client; retry in {seconds} s")))
}

/// A random per-process prefix and a counter: unique across instances without a random
/// draw per request.
fn new_request_id() -> String {
    use rand::{RngCore, SeedableRng, rngs::StdRng};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| StdRng::from_os_rng().next_u32());
    format!("{prefix:08x}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

fn bearer_secret(http: &HttpRequest) -> Option<String> {
    let value = http.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim().to_owned())
}

/// How long a browser or CDN may reuse a query's answer sent by GET: map reads repeat, and a
/// change shows at most this late through a cache.
const GET_MAX_AGE_SECONDS: u32 = 10;

/// A WebSocket upgrade starts a subscription connection; a query string with `query` runs that
/// query (GraphQL over HTTP; mutations only by POST); any other GET gets GraphiQL.
#[allow(clippy::too_many_arguments)]
async fn graphql_get(
    request: HttpRequest,
    body: web::Payload,
    schema: web::Data<AppSchema>,
    admission: web::Data<Admission>,
    metrics: web::Data<Metrics>,
    limits: web::Data<HttpLimits>,
    shutdown: web::Data<tokio::sync::watch::Receiver<bool>>,
    rate: web::Data<ClientRateLimit>,
) -> actix_web::Result<HttpResponse> {
    if crate::websocket::is_upgrade(&request) {
        let (client, rate) = (rate.client(&request), rate.get_ref().clone());
        let Some(client_slot) = rate.sockets.take(client.map(|c| c.key())) else {
            return Ok(refuse(
                HttpResponse::TooManyRequests(),
                ErrorCode::TooManyConnections,
                "this client holds as many WebSocket connections as one client may; close one or retry later",
            ));
        };
        let connection = crate::websocket::Connection {
            schema: schema.get_ref().clone(),
            going_away: shutdown.get_ref().clone(),
            // Each subscription costs the client what a request does.
            charge: Box::new(move || rate.charge(client)),
            client_slot,
        };
        return crate::websocket::serve(request, body, connection, &metrics, limits.max_websockets).await;
    }
    let query = match graphql_http::get_request(request.query_string()) {
        Ok(Some(query)) => query,
        Ok(None) => return Ok(graphiql(&request)),
        Err(GetRefusal::NotAQuery) => {
            let mut refused = HttpResponse::MethodNotAllowed();
            refused.insert_header((header::ALLOW, "POST"));
            return Ok(refuse(
                refused,
                ErrorCode::MethodNotAllowed,
                "only queries run by GET: send mutations by POST, subscriptions over a WebSocket",
            ));
        }
        Err(GetRefusal::BadRequest(why)) => return Ok(refuse(HttpResponse::BadRequest(), ErrorCode::BadRequest, &why)),
    };
    let started = Instant::now();
    let address = rate.client(&request);
    let client = RequestClient::new(address.map(ClientKey::key));
    let answering = Answering::new(&request, schema, admission, &metrics, &limits, client.clone());
    let answer = answering.answer_one(query).await;
    let (written, cacheable) = match &answer {
        Answer::Json { json, errors, .. } => (json.len(), !errors),
        _ => (0, false),
    };
    rate.charge_extra(address, extra_points(client.worked(started.elapsed()), request.query_string().len(), written));
    let mut response = answer_response(answer, answering.media, &metrics, limits.max_response_bytes);
    let cache = match (cacheable, answering.secret.is_some()) {
        (false, _) => "no-store".to_owned(),
        (true, false) => format!("public, max-age={GET_MAX_AGE_SECONDS}"),
        (true, true) => format!("private, max-age={GET_MAX_AGE_SECONDS}"),
    };
    if let Ok(value) = header::HeaderValue::from_str(&cache) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept, Authorization"));
    Ok(response)
}

fn graphiql(request: &HttpRequest) -> HttpResponse {
    match crate::web_assets::find("/graphql") {
        Some(page) => crate::web_assets::respond(request, page),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn healthz(store: web::Data<Store>) -> HttpResponse {
    if store.ping().await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "database unavailable" }))
    }
}
