//! The one error type at the GraphQL boundary. Each variant has a machine-readable code that
//! `graphql::errors` puts into `extensions.code`; internal causes are logged, never shown.

use crate::auth::Role;
use crate::domain::Invalid;
use crate::store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("a valid bearer token is required (Authorization: Bearer TOKEN)")]
    Unauthenticated,
    #[error("this operation needs the {} role", .0.code())]
    Forbidden(Role),
    #[error("{0}")]
    Conflict(String),
    /// The cause has been logged; clients see only this text.
    #[error("internal server error")]
    Internal,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Logs `cause` and hides it from the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::Internal
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::BadUserInput(e.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("no such facility".into()),
            StoreError::StaleVersion { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::Corrupt(_) | StoreError::Db(_) => ApiError::internal(&e),
        }
    }
}
