//! Bearer tokens. Only a SHA-256 of each secret is stored; a lookup hashes the presented
//! secret and finds the row by that hash, so the secret itself is never compared.

use super::{Store, StoreResult};
use crate::domain::role::Role;
use chrono::{DateTime, SubsecRound, Utc};
use entity::api_token;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

/// A token as listed: never its secret.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

impl Store {
    pub async fn insert_token(&self, name: &str, role: Role, secret_hash: &str) -> StoreResult<TokenRecord> {
        let now = Utc::now().trunc_subsecs(6);
        let saved = api_token::ActiveModel {
            id: NotSet,
            name: Set(name.to_owned()),
            role: Set(role.code().to_owned()),
            token_hash: Set(secret_hash.to_owned()),
            created_at: Set(now),
            revoked_at: Set(None),
        }
        .insert(self.conn())
        .await?;
        Ok(TokenRecord { id: saved.id, name: saved.name, role, created_at: now, revoked: false })
    }

    /// The live token whose secret hashes to `secret_hash`.
    pub async fn token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let row = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(secret_hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(self.conn())
            .await?;
        Ok(row.and_then(to_record))
    }

    pub async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows = api_token::Entity::find().order_by_asc(api_token::Column::Id).all(self.conn()).await?;
        Ok(rows.into_iter().filter_map(to_record).collect())
    }

    /// Revokes a token; false if there is no live token with that id.
    pub async fn revoke_token(&self, id: i64) -> StoreResult<bool> {
        let result = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now().trunc_subsecs(6)))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(self.conn())
            .await?;
        Ok(result.rows_affected == 1)
    }
}

fn to_record(row: api_token::Model) -> Option<TokenRecord> {
    let role = Role::from_code(&row.role)?;
    Some(TokenRecord {
        id: row.id,
        name: row.name,
        role,
        created_at: row.created_at,
        revoked: row.revoked_at.is_some(),
    })
}
