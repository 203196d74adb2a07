//! GraphQL over WebSocket on `GET /graphql`: the graphql-transport-ws protocol (and the legacy
//! graphql-ws one), for subscriptions. Other GET requests get GraphiQL.

use crate::error_code::ErrorCode;
use crate::graphql::AppSchema;
use crate::graphql::errors::add_codes;
use crate::metrics::Metrics;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::AggregatedMessage;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

/// Larger client messages close the connection (a subscription document is small).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Subscriptions one connection may hold at once; more are refused one by one.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 100;
/// A connection that has not sent `connection_init` by then is closed with 4408, as the
/// graphql-transport-ws protocol says, so idle sockets cannot hold the connection slots.
pub const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How often the server pings an open connection; one that has sent nothing (not even a
/// pong) for three intervals is closed.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(20);

/// The ids of a connection's running subscriptions, as the two halves of the connection see
/// them start (client `subscribe`) and end (client `complete`, server `complete` or `error`).
#[derive(Default)]
struct Running(std::cell::RefCell<HashSet<String>>);

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

pub fn is_upgrade(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The first protocol the client offers that the service speaks.
fn protocol(request: &HttpRequest) -> Option<Protocols> {
    request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().parse().ok())
}

/// What a connection needs besides the HTTP request.
pub struct Connection {
    pub schema: AppSchema,
    /// Becomes true when the server is stopping.
    pub going_away: tokio::sync::watch::Receiver<bool>,
    /// Charges one request to the client's rate limit; Err says how long to wait.
    pub charge: Box<dyn Fn() -> Result<(), std::time::Duration>>,
    /// The client's hold on one of its connection slots, released when the connection ends.
    pub client_slot: ClientSlot,
}

/// How many WebSocket connections each client address holds, so that one client cannot take
/// every connection the server allows.
#[derive(Debug)]
pub struct ClientSockets {
    held: std::sync::Mutex<std::collections::HashMap<Option<std::net::IpAddr>, usize>>,
    per_client: usize,
}

impl ClientSockets {
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(Self { held: Default::default(), per_client })
    }

    /// One more connection for `client`, or None when it holds as many as it may.
    pub fn take(self: &Arc<Self>, client: Option<std::net::IpAddr>) -> Option<ClientSlot> {
        if self.per_client == 0 {
            return None;
        }
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(client).or_default();
        if *count >= self.per_client {
            return None;
        }
        *count += 1;
        Some(ClientSlot { sockets: Arc::clone(self), client })
    }
}

/// One connection of a client; dropping it frees the slot.
pub struct ClientSlot {
    sockets: Arc<ClientSockets>,
    client: Option<std::net::IpAddr>,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut held = self.sockets.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.client);
            }
        }
    }
}

/// Upgrades the connection and runs the protocol until either side closes it.
pub async fn serve(
    request: HttpRequest,
    body: web::Payload,
    connection: Connection,
    metrics: &Metrics,
    max_connections: usize,
) -> actix_web::Result<HttpResponse> {
    let Connection { schema, mut going_away, charge, client_slot } = connection;
    let Some(protocol) = protocol(&request) else {
        return Ok(crate::startup::refuse(
            HttpResponse::BadRequest(),
            ErrorCode::BadRequest,
            "Sec-WebSocket-Protocol must offer graphql-transport-ws (or graphql-ws)",
        ));
    };
    let Some(slot) = metrics.open_websocket(max_connections) else {
        return Ok(crate::startup::refuse(
            HttpResponse::ServiceUnavailable(),
            ErrorCode::TooManyConnections,
            "the server holds as many WebSocket connections as it may; retry later",
        ));
    };

    let (response, mut session, messages) = actix_ws::handle_with_protocols(&request, body, &ALL_WEBSOCKET_PROTOCOLS)?;
    let messages =
        messages.max_frame_size(MAX_MESSAGE_BYTES).aggregate_continuations().max_continuation_size(MAX_MESSAGE_BYTES);
    // Control frames are answered here; the text frames go on to the GraphQL protocol.
    let (to_protocol, from_client) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let mut pong = session.clone();
    let running = Rc::new(Running::default());
    let seen = Rc::clone(&running);
    let last_heard = Rc::new(std::cell::Cell::new(tokio::time::Instant::now()));
    let heard = Rc::clone(&last_heard);
    actix_web::rt::spawn(async move {
        let mut messages = std::pin::pin!(messages);
        let init_by = tokio::time::Instant::now() + INIT_TIMEOUT;
        let mut initialised = false;
        loop {
            let next = if initialised {
                messages.next().await
            } else {
                match tokio::time::timeout_at(init_by, messages.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        close_with(pong, 4408, "Connection initialisation timeout").await;
                        return;
                    }
                }
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(actix_ws::ProtocolError::Overflow)) => {
                    close_with(pong, 1009, "message too big").await;
                    return;
                }
                Some(Err(_)) => {
                    close_with(pong, 1002, "protocol error").await;
                    return;
                }
                None => break,
            };
            heard.set(tokio::time::Instant::now());
            let payload = match message {
                AggregatedMessage::Text(text) => text.into_bytes(),
                AggregatedMessage::Binary(bytes) => bytes,
                AggregatedMessage::Ping(bytes) => {
                    let _ = pong.pong(&bytes).await;
                    continue;
                }
                AggregatedMessage::Pong(_) => continue,
                AggregatedMessage::Close(_) => break,
            };
            let envelope = serde_json::from_slice::<Envelope>(&payload).ok();
            initialised |= envelope.as_ref().is_some_and(|e| e.kind == "connection_init");
            let delivered = match admit(&running, &*charge, envelope) {
                Ok(()) => to_protocol.send(payload.to_vec()).await.is_ok(),
                Err(refused) => pong.text(refused).await.is_ok(),
            };
            if !delivered {
                break;
            }
        }
    });
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    actix_web::rt::spawn(async move {
        let _slots = (slot, client_slot);
        let output = WebSocket::new(Coded(schema), Box::pin(input), protocol);
        let mut output = std::pin::pin!(output);
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        loop {
            let message = tokio::select! {
                message = output.next() => message,
                _ = keep_alive.tick() => {
                    if last_heard.get().elapsed() > 3 * KEEP_ALIVE {
                        close_with(session, 1001, "no answer to pings").await;
                        return;
                    }
                    if session.ping(b"").await.is_err() {
                        return;
                    }
                    continue;
                }
                Ok(_) = going_away.wait_for(|&gone| gone) => {
                    let reason = actix_ws::CloseReason { code: actix_ws::CloseCode::Away, description: Some("server shutting down".into()) };
                    let _ = session.close(Some(reason)).await;
                    return;
                }
            };
            let Some(message) = message else { break };
            match message {
                WsMessage::Text(text) => {
                    // `next` messages (the bulk) never end a subscription; only look at the rest.
                    if !text.starts_with(r#"{"type":"next""#)
                        && let Ok(Envelope { kind, id: Some(id) }) = serde_json::from_str(&text)
                        && (kind == "complete" || kind == "error")
                    {
                        seen.0.borrow_mut().remove(&id);
                    }
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                WsMessage::Close(code, reason) => {
                    let _ = session
                        .close(Some(actix_ws::CloseReason { code: code.into(), description: Some(reason) }))
                        .await;
                    return;
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// Closes the connection with `code` and a reason.
async fn close_with(session: actix_ws::Session, code: u16, why: &str) {
    let reason = actix_ws::CloseReason { code: code.into(), description: Some(why.into()) };
    let _ = session.close(Some(reason)).await;
}

/// Lets a client message through, or answers it: a `subscribe` beyond the per-connection
/// limit or the client's rate limit gets an error for its id (and the connection goes on).
fn admit(
    running: &Running,
    charge: &dyn Fn() -> Result<(), std::time::Duration>,
    envelope: Option<Envelope>,
) -> Result<(), String> {
    let Some(Envelope { kind, id: Some(id) }) = envelope else { return Ok(()) };
    let mut running = running.0.borrow_mut();
    let refuse = |code: ErrorCode, message: String| {
        let error = serde_json::json!({ "id": id, "type": "error",
            "payload": [{ "message": message, "extensions": { "code": code.as_str() } }] });
        Err(error.to_string())
    };
    match kind.as_str() {
        "subscribe" | "start" if !running.contains(&id) && running.len() >= MAX_SUBSCRIPTIONS_PER_CONNECTION => refuse(
            ErrorCode::TooManySubscriptions,
            format!("at most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection"),
        ),
        "subscribe" | "start" if let Err(wait) = charge() => refuse(
            ErrorCode::RateLimited,
            format!("too many requests from this client; retry in {} s", wait.as_secs() + 1),
        ),
        "subscribe" | "start" => {
            running.insert(id);
            Ok(())
        }
        "complete" | "stop" => {
            running.remove(&id);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether the operation the request would run is a subscription. Documents that do not parse,
/// or name no such operation, pass: the schema reports their errors as usual.
fn only_subscriptions(request: &Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return true };
    let kind = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => {
            (ops.len() == 1).then(|| ops.values().next().map(|op| op.node.ty)).flatten()
        }
    };
    kind.is_none_or(|ty| ty == OperationType::Subscription)
}

/// The schema, with every response's errors given their `extensions.code` as over HTTP.
#[derive(Clone)]
struct Coded(AppSchema);

impl Executor for Coded {
    async fn execute(&self, request: Request) -> Response {
        let query = request.query.clone();
        add_codes(self.0.execute(request).await, &query)
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let query = request.query.clone();
        // Queries and mutations go over POST /graphql, where the request limits, metrics and
        // deadlines are; a socket must not become a way around them.
        if !only_subscriptions(&request) {
            let error = async_graphql::ServerError::new(
                "only subscriptions are served over WebSocket; send queries and mutations with POST /graphql",
                None,
            );
            let mut response = Response::from_errors(vec![error]);
            if let Some(e) = response.errors.first_mut() {
                e.extensions.get_or_insert_with(Default::default).set("code", ErrorCode::BadRequest.as_str());
            }
            return futures_util::stream::once(async move { response }).boxed();
        }
        self.0
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |response| add_codes(response, &query))
            .boxed()
    }
}
