//! Who may write: the roles a bearer token carries.

/// What a token may do. Reads need no token at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Facility and residential-area writes.
    Editor,
    /// Everything, including history, tokens and imports.
    Admin,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}
