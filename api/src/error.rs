//! The one error type at the GraphQL boundary. Each variant has a machine-readable code that
//! `graphql::errors` puts into `extensions.code`; internal causes are logged, never shown.

use crate::domain::Invalid;
use crate::domain::role::Role;
use crate::error_code::ErrorCode;
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
    /// A computation ran past the time limit and was stopped.
    #[error(
        "the computation took longer than the server's limit; ask a smaller question (fewer candidates, a smaller area or filter)"
    )]
    Timeout,
    /// The database cannot be reached; the request may succeed when retried.
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// A subscriber may have missed changes (how many, when known); it should refetch.
    #[error("{} changes may have been missed; refetch to catch up", .0.map_or_else(|| "some".to_owned(), |n| n.to_string()))]
    ChangesMissed(Option<u64>),
    /// The cause has been logged; clients see only this text.
    #[error("internal server error")]
    Internal,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadUserInput(_) => ErrorCode::BadUserInput,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Unauthenticated => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::Unavailable => ErrorCode::ServiceUnavailable,
            ApiError::Timeout => ErrorCode::Timeout,
            ApiError::ChangesMissed(_) => ErrorCode::ChangesMissed,
            ApiError::Internal => ErrorCode::InternalServerError,
        }
    }

    /// Logs `cause` and hides it from the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::Internal
    }
}

impl From<crate::geo::deadline::TimedOut> for ApiError {
    fn from(_: crate::geo::deadline::TimedOut) -> Self {
        ApiError::Timeout
    }
}

impl From<crate::planning_pool::PlanningError> for ApiError {
    fn from(e: crate::planning_pool::PlanningError) -> Self {
        match e {
            crate::planning_pool::PlanningError::TimedOut => ApiError::Timeout,
            crate::planning_pool::PlanningError::Failed(why) => ApiError::internal(&why),
        }
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
            StoreError::StaleVersion { .. } | StoreError::Conflict(_) => ApiError::Conflict(e.to_string()),
            StoreError::NoSuchRevision(_) => ApiError::NotFound(e.to_string()),
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::Db(ref db) if database_unreachable(db) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Corrupt(_) | StoreError::Input(_) | StoreError::Db(_) => ApiError::internal(&e),
        }
    }
}

/// Whether a database error means the database could not be reached (as opposed to a query
/// that failed): no connection from the pool, or the connection broke.
fn database_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(inner))
        | DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            crate::store::connection_broken(inner)
                || matches!(
                    inner.as_ref(),
                    sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
                )
                || matches!(inner.as_ref(), sqlx::Error::Database(db) if db.code().is_some_and(|c| sqlite_locked(&c)))
        }
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes: another process
/// (an import, say) holds the write lock past the busy timeout; retrying later will succeed.
/// (PostgreSQL's SQLSTATEs always have five characters, SQLite's codes at most four digits.)
fn sqlite_locked(code: &str) -> bool {
    code.len() < 5 && code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}
