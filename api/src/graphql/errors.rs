//! Puts a machine-readable `extensions.code` on every error of a response: resolver errors get
//! the code of their `ApiError`, documents that do not parse `GRAPHQL_PARSE_FAILED`, documents
//! that fail validation `GRAPHQL_VALIDATION_FAILED`, and values that cannot be coerced
//! `BAD_USER_INPUT`.
//!
//! This runs on the finished response rather than as a schema extension: any extension makes
//! async-graphql wrap every field resolution in a hook chain, which costs more than the rest
//! of a typical query. The errors are rare, so the work is done only when there are some.
//!
//! async-graphql checks variable values during validation, with the same message as for a
//! wrong literal; the contract wants the first to be `BAD_USER_INPUT` (the client sent bad
//! data) and the second `GRAPHQL_VALIDATION_FAILED` (the client wrote a bad document). The
//! argument's text at the error's location tells the two apart.

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use async_graphql::{Pos, Response, ServerError};

/// Sets `extensions.code` on every error of `response` to `query`.
pub fn add_codes(mut response: Response, query: &str) -> Response {
    if response.errors.is_empty() {
        return response;
    }
    let parses = async_graphql::parser::parse_query(query).is_ok();
    // A field whose cost depends on an argument reads that argument during validation too, and
    // a bad value is then reported twice: once for the argument, once for the cost.
    let argument_reported = response.errors.iter().any(|e| e.message.starts_with("Invalid value for argument"));
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .filter(|e| !(argument_reported && e.message.starts_with("Expected input type")))
        .map(|error| {
            let code = if let Some(api) = error.source::<ApiError>() {
                api.code()
            } else if !parses {
                ErrorCode::GraphqlParseFailed
            } else if !error.path.is_empty() || from_variable(&error, query) {
                // Every resolver of ours fails with an `ApiError`; an error at a field without
                // one is the library failing to coerce that field's arguments.
                ErrorCode::BadUserInput
            } else {
                ErrorCode::GraphqlValidationFailed
            };
            with_code(shortened(error), code)
        })
        .collect();
    response
}

/// The longest error message sent; parse errors quote the text they stopped at, which an
/// attacker controls.
const MAX_MESSAGE_CHARS: usize = 300;

fn shortened(mut error: ServerError) -> ServerError {
    if let Some((cut, _)) = error.message.char_indices().nth(MAX_MESSAGE_CHARS) {
        error.message.truncate(cut);
        error.message.push('…');
    }
    error
}

fn with_code(mut error: ServerError, code: ErrorCode) -> ServerError {
    let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
    }
    error
}

/// Whether a request-level error is about a variable's value rather than the document.
fn from_variable(error: &ServerError, query: &str) -> bool {
    error.message.contains("was not provided")
        || (error.message.starts_with("Invalid value for argument")
            && error.locations.first().is_some_and(|&pos| argument_uses_variable(query, pos)))
}

/// Whether the argument written at `pos` takes its value (or part of it) from a variable.
fn argument_uses_variable(query: &str, pos: Pos) -> bool {
    let line_start: usize = query.split_inclusive('\n').take(pos.line.saturating_sub(1)).map(str::len).sum();
    let Some(line) = query.get(line_start..) else {
        return false;
    };
    let column: usize = line.chars().take(pos.column.saturating_sub(1)).map(char::len_utf8).sum();
    let Some((_, value)) = line.get(column..).and_then(|text| text.split_once(':')) else {
        return false;
    };
    let mut depth = 0usize;
    for c in value.trim_start().chars() {
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
