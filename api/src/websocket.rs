//! GraphQL over WebSocket on `GET /graphql`: the graphql-transport-ws protocol (and the legacy
//! graphql-ws one), for subscriptions. Other GET requests get GraphiQL.

use crate::graphql::AppSchema;
use crate::graphql::errors::add_codes;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::AggregatedMessage;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::sync::Arc;

/// Larger client messages close the connection (a subscription document is small).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

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

/// Upgrades the connection and runs the protocol until either side closes it.
pub async fn serve(request: HttpRequest, body: web::Payload, schema: AppSchema) -> actix_web::Result<HttpResponse> {
    let Some(protocol) = protocol(&request) else {
        return Ok(HttpResponse::BadRequest().json(serde_json::json!({ "errors": [{
            "message": "Sec-WebSocket-Protocol must offer graphql-transport-ws (or graphql-ws)",
            "extensions": { "code": "BAD_REQUEST" } }] })));
    };
    let (response, mut session, messages) = actix_ws::handle_with_protocols(&request, body, &ALL_WEBSOCKET_PROTOCOLS)?;
    let messages =
        messages.max_frame_size(MAX_MESSAGE_BYTES).aggregate_continuations().max_continuation_size(MAX_MESSAGE_BYTES);
    // Control frames are answered here; the text frames go on to the GraphQL protocol.
    let (to_protocol, from_client) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let mut pong = session.clone();
    actix_web::rt::spawn(async move {
        let mut messages = std::pin::pin!(messages);
        while let Some(Ok(message)) = messages.next().await {
            let forwarded = match message {
                AggregatedMessage::Text(text) => to_protocol.send(text.as_bytes().to_vec()).await,
                AggregatedMessage::Binary(bytes) => to_protocol.send(bytes.to_vec()).await,
                AggregatedMessage::Ping(bytes) => {
                    let _ = pong.pong(&bytes).await;
                    Ok(())
                }
                AggregatedMessage::Pong(_) => Ok(()),
                AggregatedMessage::Close(_) => break,
            };
            if forwarded.is_err() {
                break;
            }
        }
    });
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    actix_web::rt::spawn(async move {
        let output = WebSocket::new(Coded(schema), Box::pin(input), protocol);
        let mut output = std::pin::pin!(output);
        while let Some(message) = output.next().await {
            match message {
                WsMessage::Text(text) => {
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
        self.0
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |response| add_codes(response, &query))
            .boxed()
    }
}
