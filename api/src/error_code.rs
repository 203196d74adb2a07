//! Every machine-readable code the service emits: in `extensions.code` of GraphQL errors
//! (HTTP answers and WebSocket messages alike), in the bodies of HTTP refusals, and as the
//! `code` label of the error metrics. Clients branch on these names, so they are part of the
//! contract: one place names them all.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument or variable value the service refuses (the client sent bad data).
    BadUserInput,
    NotFound,
    /// A field needs a valid bearer token.
    Unauthenticated,
    /// The token's role may not do this.
    Forbidden,
    /// A stale `version`, or a write that would contradict what is stored.
    Conflict,
    /// The computation ran past the request's time limit.
    Timeout,
    /// The database (or the walking network it holds) cannot be reached now; retry.
    ServiceUnavailable,
    /// A subscriber may have missed changes; refetch.
    ChangesMissed,
    InternalServerError,
    /// The document does not parse.
    GraphqlParseFailed,
    /// The document does not validate, or costs more than the server's budget.
    GraphqlValidationFailed,
    /// A request that is not a GraphQL request (no query, a bad body or WebSocket message).
    BadRequest,
    /// The client is over its rate limit.
    RateLimited,
    /// The answer is larger than the server sends.
    ResponseTooLarge,
    /// The server, or this client, holds as many WebSocket connections as allowed.
    TooManyConnections,
    /// A WebSocket connection holds as many subscriptions as allowed.
    TooManySubscriptions,
    /// The request body is larger than the server reads.
    PayloadTooLarge,
    /// A POST body that is not JSON.
    UnsupportedMediaType,
    /// A mutation by GET.
    MethodNotAllowed,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        Self::BadUserInput,
        Self::NotFound,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::Conflict,
        Self::Timeout,
        Self::ServiceUnavailable,
        Self::ChangesMissed,
        Self::InternalServerError,
        Self::GraphqlParseFailed,
        Self::GraphqlValidationFailed,
        Self::BadRequest,
        Self::RateLimited,
        Self::ResponseTooLarge,
        Self::TooManyConnections,
        Self::TooManySubscriptions,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::MethodNotAllowed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Conflict => "CONFLICT",
            Self::Timeout => "TIMEOUT",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::ChangesMissed => "CHANGES_MISSED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::BadRequest => "BAD_REQUEST",
            Self::RateLimited => "RATE_LIMITED",
            Self::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            Self::TooManyConnections => "TOO_MANY_CONNECTIONS",
            Self::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
        }
    }

    /// The code of this name, if the service emits one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_has_its_own_name() {
        let names: std::collections::HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("SOMETHING_ELSE"), None);
    }
}
