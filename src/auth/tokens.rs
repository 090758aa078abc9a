//! Personal API tokens: made on the profile page, shown once, stored as a SHA-256 digest,
//! revocable. `Authorization: Bearer dv_…` on the JSON API.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::CurrentUser;

#[derive(Debug, Clone, FromRow)]
pub struct Token {
    pub id: i32,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Token {
    pub fn created(&self) -> String {
        (self.created_at + chrono::Duration::hours(7)).format("%d/%m/%Y %H:%M").to_string()
    }

    pub fn last_used(&self) -> String {
        self.last_used_at
            .map(|at| (at + chrono::Duration::hours(7)).format("%d/%m/%Y %H:%M").to_string())
            .unwrap_or_else(|| "chưa dùng".to_owned())
    }
}

pub const PREFIX: &str = "dv_";

/// Makes a token and returns it in clear, the only time it is ever seen.
pub async fn create(pool: &PgPool, user_id: i32, name: &str) -> sqlx::Result<String> {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", hex::encode(bytes));
    sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(name)
        .bind(super::sessions::token_hash(&token))
        .execute(pool)
        .await?;
    Ok(token)
}

pub async fn list(pool: &PgPool, user_id: i32) -> sqlx::Result<Vec<Token>> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Revokes one of the user's own tokens; returns whether there was one to revoke.
pub async fn revoke(pool: &PgPool, user_id: i32, id: i32) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// The user behind a live token of an active account.
pub async fn load(pool: &PgPool, token: &str) -> sqlx::Result<Option<CurrentUser>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let hash = super::sessions::token_hash(token);
    let user_id: Option<i32> = sqlx::query_scalar(
        "UPDATE api_tokens t SET last_used_at = now() FROM users u
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
         RETURNING t.user_id",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    match user_id {
        Some(id) => super::sessions::load_user(pool, id, hash).await,
        None => Ok(None),
    }
}
