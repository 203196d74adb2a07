//! The service's vocabulary: facilities, residential areas, ids, and the checks that turn raw
//! input into values that are known to be valid ("parse, don't validate"). No I/O here.
//!
//! The enums derive `async_graphql::Enum` because they *are* the API's vocabulary; keeping one
//! definition means a kind can never exist in the database but not in the schema.

pub mod community_code;
pub mod details;
pub mod facility;
pub mod hours;
pub mod ids;
pub mod norms;
pub mod residents;
pub mod role;
pub mod supply;
pub mod travel;
pub mod validate;

/// Input that breaks a rule of the domain. Its message names the field and the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
