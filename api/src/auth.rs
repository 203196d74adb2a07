//! Bearer tokens and roles. A token's secret is shown once, at creation; the database keeps
//! only its SHA-256, so a leaked database does not leak working tokens.

use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::{Store, StoreResult, TokenRecord};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};

/// The bearer secret a request presented, and the token it names, looked up at most once per
/// request: a document of a thousand admin-only fields with a made-up token costs one query,
/// not a thousand.
#[derive(Debug)]
pub struct Credentials {
    secret: String,
    token: tokio::sync::OnceCell<Option<TokenRecord>>,
}

impl Credentials {
    pub fn new(secret: String) -> Self {
        Self { secret, token: tokio::sync::OnceCell::new() }
    }

    async fn token(&self, store: &Store) -> StoreResult<Option<&TokenRecord>> {
        let token = self
            .token
            .get_or_try_init(|| async {
                let hash = hash_secret(&self.secret);
                store.token_by_hash(&hash).await
            })
            .await?;
        Ok(token.as_ref())
    }
}

/// Who is making a write: the name of a token and its role.
#[derive(Clone, Debug, PartialEq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// Creates a token and returns it with its secret, which is not stored and cannot be shown again.
pub async fn issue_token(store: &Store, name: &str, role: Role) -> StoreResult<(TokenRecord, String)> {
    let mut bytes = [0u8; 32];
    StdRng::from_os_rng().fill_bytes(&mut bytes);
    let secret = format!("sc_{}", hex::encode(bytes));
    let record = store.insert_token(name, role, &hash_secret(&secret)).await?;
    Ok((record, secret))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The actor behind `credentials`, if it holds at least the `needed` role.
pub async fn authorize(store: &Store, credentials: Option<&Credentials>, needed: Role) -> Result<Actor, ApiError> {
    let Some(credentials) = credentials else {
        return Err(ApiError::Unauthenticated);
    };
    let record = credentials.token(store).await?.ok_or(ApiError::Unauthenticated)?;
    if record.role < needed {
        return Err(ApiError::Forbidden(needed));
    }
    Ok(Actor { name: record.name.clone(), role: record.role })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_outranks_editor() {
        assert!(Role::Admin > Role::Editor);
        assert_eq!(Role::from_code("admin"), Some(Role::Admin));
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
