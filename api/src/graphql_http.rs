//! GraphQL over HTTP (the GraphQL Foundation's specification): which media type an answer
//! takes, which request bodies are GraphQL requests, queries sent by GET, and which failures
//! are the request's own (answered 4xx without `data`).

use crate::error_code::ErrorCode;
use actix_web::HttpRequest;
use actix_web::http::header;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Response, ServerError, Variables};
use serde::{Deserialize, Serialize};

/// The media type of a GraphQL answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes say when the request itself failed.
    GraphqlResponse,
    /// `application/json`, for clients older than the specification: always 200 once the
    /// request was read.
    Json,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

impl MediaType {
    /// What the client's `Accept` prefers (by quality, then the specification's type);
    /// `application/json` when it names neither or sends none.
    pub fn accepted(request: &HttpRequest) -> Self {
        let (mut graphql, mut json) = (0.0_f32, 0.0_f32);
        for value in request.headers().get_all(header::ACCEPT).filter_map(|v| v.to_str().ok()) {
            for range in value.split(',') {
                let mut parts = range.split(';');
                let kind = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                let quality = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                match kind.as_str() {
                    GRAPHQL_RESPONSE => graphql = graphql.max(quality),
                    JSON | "application/*" | "*/*" => json = json.max(quality),
                    _ => {}
                }
            }
        }
        if graphql > 0.0 && graphql >= json { Self::GraphqlResponse } else { Self::Json }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Whether a POST body is declared as JSON, the one body type GraphQL over HTTP requires.
pub fn is_json_body(request: &HttpRequest) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(';').next().is_some_and(|kind| kind.trim().eq_ignore_ascii_case(JSON))
}

/// A GraphQL request's parameters in a GET's query string.
#[derive(Deserialize)]
struct GetParameters {
    query: Option<String>,
    variables: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    extensions: Option<String>,
}

/// Why a GET cannot be executed.
#[derive(Debug, PartialEq, Eq)]
pub enum GetRefusal {
    /// The parameters are not a GraphQL request (400).
    BadRequest(String),
    /// The operation changes data or subscribes; only POST and WebSocket may (405).
    NotAQuery,
}

/// The GraphQL request a GET carries; None when its query string has no `query` (a browser
/// asking for GraphiQL).
pub fn get_request(query_string: &str) -> Result<Option<async_graphql::Request>, GetRefusal> {
    let parameters = actix_web::web::Query::<GetParameters>::from_query(query_string)
        .map_err(|e| GetRefusal::BadRequest(format!("the query string is not a GraphQL request ({e})")))?
        .into_inner();
    let Some(query) = parameters.query else {
        return Ok(None);
    };
    let json_parameter = |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, GetRefusal> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Null) => Ok(None),
            Ok(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
            Ok(_) | Err(_) => Err(GetRefusal::BadRequest(format!("`{name}` is not a JSON object"))),
        }
    };
    let variables = json_parameter("variables", parameters.variables)?;
    let extensions = json_parameter("extensions", parameters.extensions)?;
    let operation_name = parameters.operation_name.filter(|name| !name.is_empty());
    if !is_query(&query, operation_name.as_deref()) {
        return Err(GetRefusal::NotAQuery);
    }
    let mut request = async_graphql::Request::new(query);
    if let Some(variables) = variables {
        request = request.variables(Variables::from_json(variables));
    }
    if let Some(serde_json::Value::Object(extensions)) = extensions {
        for (name, value) in extensions {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(name, value);
            }
        }
    }
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    Ok(Some(request))
}

/// Whether the operation a document would run is a query. A document that does not parse,
/// or names no operation it holds, is left to execution, which reports why.
fn is_query(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return true;
    };
    let kind = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.iter().find(|(n, _)| n.as_str() == name).map(|(_, o)| o.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    kind.is_none_or(|kind| kind == OperationType::Query)
}

/// Whether a response says the request itself failed (it did not parse, did not validate, or
/// its variables did not fit) rather than a field during execution: nothing ran, so there is no
/// `data`, and no error has a path.
pub fn is_request_error(response: &Response) -> bool {
    const REQUEST_CODES: [ErrorCode; 3] =
        [ErrorCode::GraphqlParseFailed, ErrorCode::GraphqlValidationFailed, ErrorCode::BadUserInput];
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|error| {
            error.path.is_empty()
            && error.extensions.as_ref().and_then(|e| e.get("code")).is_some_and(
                |code| matches!(code, async_graphql::Value::String(c) if REQUEST_CODES.iter().any(|r| r.as_str() == c)),
            )
        })
}

/// A failed request's answer: its errors, and no `data` entry at all.
#[derive(Serialize)]
pub struct RequestErrors<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

impl<'a> From<&'a Response> for RequestErrors<'a> {
    fn from(response: &'a Response) -> Self {
        Self { errors: &response.errors, extensions: &response.extensions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accepting(value: &str) -> MediaType {
        MediaType::accepted(&TestRequest::default().insert_header((header::ACCEPT, value)).to_http_request())
    }

    #[test]
    fn the_accept_header_chooses_the_media_type() {
        assert_eq!(MediaType::accepted(&TestRequest::default().to_http_request()), MediaType::Json);
        assert_eq!(accepting("application/graphql-response+json"), MediaType::GraphqlResponse);
        assert_eq!(accepting("application/graphql-response+json, application/json;q=0.9"), MediaType::GraphqlResponse);
        assert_eq!(accepting("application/json, application/graphql-response+json;q=0.5"), MediaType::Json);
        assert_eq!(accepting("*/*"), MediaType::Json);
        assert_eq!(accepting("application/graphql-response+json;q=0"), MediaType::Json);
    }

    #[test]
    fn gets_carry_queries_only() {
        let parsed =
            get_request("query=%7B__typename%7D&variables=%7B%22a%22%3A1%7D&operationName=").map(|r| r.is_some());
        assert_eq!(parsed, Ok(true));
        assert_eq!(get_request("").map(|r| r.is_some()), Ok(false));
        assert_eq!(get_request("query=mutation%7Bx%7D").err(), Some(GetRefusal::NotAQuery));
        let named = "query=query%20a%7Bx%7D%20mutation%20b%7Bx%7D&operationName=";
        assert_eq!(get_request(&format!("{named}b")).err(), Some(GetRefusal::NotAQuery));
        assert!(get_request(&format!("{named}a")).is_ok_and(|r| r.is_some()));
        assert!(matches!(get_request("query=%7Bx%7D&variables=5"), Err(GetRefusal::BadRequest(_))));
    }
}
