//! Puts a machine-readable `extensions.code` on every error: parse and validation failures get
//! the GraphQL-standard codes, resolver errors the code of their `ApiError`, and values that
//! cannot be coerced `BAD_USER_INPUT`.
//!
//! async-graphql checks variable values during validation, with the same message as for a
//! wrong literal; the contract wants the first to be `BAD_USER_INPUT` (the client sent bad
//! data) and the second `GRAPHQL_VALIDATION_FAILED` (the client wrote a bad document). The
//! argument's text at the error's location tells the two apart.

use crate::error::ApiError;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Pos, Response, ServerError, ServerResult, ValidationResult, Variables};
use std::sync::{Arc, Mutex};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesForRequest::default())
    }
}

/// One request's extension: remembers the document text for the validation step.
#[derive(Default)]
struct ErrorCodesForRequest {
    query: Mutex<String>,
}

fn with_code(mut error: ServerError, code: &str) -> ServerError {
    let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        error.extensions.get_or_insert_with(Default::default).set("code", code);
    }
    error
}

/// Whether the argument written at `pos` takes its value (or part of it) from a variable.
fn argument_uses_variable(query: &str, pos: Pos) -> bool {
    let Some(line) = query.lines().nth(pos.line.saturating_sub(1)) else {
        return false;
    };
    let start: usize = line.chars().take(pos.column.saturating_sub(1)).map(char::len_utf8).sum();
    let rest_of_document =
        &query[query.lines().take(pos.line.saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>().min(query.len())..];
    let text = rest_of_document.get(start..).unwrap_or_default();
    let Some((_, value)) = text.split_once(':') else {
        return false;
    };
    let value = value.trim_start();
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '$' => return true,
            '{' | '[' => depth += 1,
            '}' | ']' if depth <= 1 => return false,
            '}' | ']' => depth -= 1,
            ',' | ')' | ' ' | '\n' if depth == 0 => return false,
            _ => {}
        }
    }
    false
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesForRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|error| {
                let code = error.source::<ApiError>().map_or("BAD_USER_INPUT", ApiError::code);
                with_code(error, code)
            })
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Ok(mut q) = self.query.lock() {
            query.clone_into(&mut q);
        }
        next.run(ctx, query, variables).await.map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            let query = self.query.lock().map(|q| q.clone()).unwrap_or_default();
            errors
                .into_iter()
                .map(|e| {
                    let from_variable = e.message.contains("was not provided")
                        || (e.message.starts_with("Invalid value for argument")
                            && e.locations.first().is_some_and(|&pos| argument_uses_variable(&query, pos)));
                    let code = if from_variable { "BAD_USER_INPUT" } else { "GRAPHQL_VALIDATION_FAILED" };
                    with_code(e, code)
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_fed_by_variables_are_told_from_literals() {
        let q = "query($k: Int) {\n  a(x: $k, y: 1) b(z: { lon: $lon, lat: 2 }) c(w: { lon: 1 })\n}";
        let at = |needle: &str| {
            let offset = q.find(needle).unwrap();
            let line = q[..offset].matches('\n').count() + 1;
            let column = offset - q[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
            Pos { line, column }
        };
        assert!(argument_uses_variable(q, at("x:")));
        assert!(!argument_uses_variable(q, at("y:")));
        assert!(argument_uses_variable(q, at("z:")));
        assert!(!argument_uses_variable(q, at("w:")));
    }
}
