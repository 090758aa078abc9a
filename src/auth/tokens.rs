//! Personal API tokens: made on the profile page, shown once, stored as a SHA-256 digest,
//! revocable. `Authorization: Bearer dv_…` on the JSON API.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{CurrentUser, UserId};
use crate::vocabulary::id;

id! {
    /// A personal API token's id (`api_tokens.id`), under its account's.
    pub struct TokenId;
}

#[derive(Debug, Clone)]
pub struct Token {
    pub id: TokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub const PREFIX: &str = "dv_";

/// Makes a token and returns it in clear, the only time it is ever seen.
pub async fn create(pool: &PgPool, user_id: UserId, name: &str) -> sqlx::Result<String> {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", hex::encode(bytes));
    sqlx::query!(
        "INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)",
        user_id as UserId,
        name,
        super::sessions::token_hash(&token),
    )
    .execute(pool)
    .await?;
    Ok(token)
}

pub async fn list(pool: &PgPool, user_id: UserId) -> sqlx::Result<Vec<Token>> {
    sqlx::query_as!(
        Token,
        "SELECT id, name, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
        user_id as UserId,
    )
    .fetch_all(pool)
    .await
}

/// Revokes one of the user's own tokens; returns whether there was one to revoke.
pub async fn revoke(pool: &PgPool, user_id: UserId, id: TokenId) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        id as TokenId,
        user_id as UserId,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Revokes every live token of an account (password change or reset, deactivation); returns
/// how many there were.
pub async fn revoke_all(tx: &mut sqlx::PgConnection, user_id: UserId) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id as UserId
    )
    .execute(tx)
    .await?;
    Ok(result.rows_affected())
}

/// A token's use is written to the audit log at most this often (the first use, then again
/// after a pause), so that every token that acted is traceable without one row per request.
pub const USE_AUDIT_INTERVAL: chrono::Duration = chrono::Duration::hours(1);

/// The user behind a live token of an active account. Marks the token used, and records the
/// use in the audit log when it was unused for [`USE_AUDIT_INTERVAL`].
pub async fn load(pool: &PgPool, token: &str) -> sqlx::Result<Option<CurrentUser>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let hash = super::sessions::token_hash(token);
    struct Used {
        id: TokenId,
        user_id: UserId,
        name: String,
        unit_id: Option<crate::units::UnitId>,
        previous_use: Option<DateTime<Utc>>,
    }
    let used = sqlx::query_as!(
        Used,
        r#"UPDATE api_tokens t SET last_used_at = now()
         FROM users u, (SELECT id, last_used_at FROM api_tokens WHERE token_hash = $1) old
         WHERE t.token_hash = $1 AND old.id = t.id AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
         RETURNING t.id, t.user_id, t.name, u.unit_id AS "unit_id: crate::units::UnitId", old.last_used_at AS previous_use"#,
        &hash,
    )
    .fetch_optional(pool)
    .await?;
    let Some(used) = used else { return Ok(None) };
    let Some(user) = super::sessions::load_user(pool, used.user_id, hash).await? else { return Ok(None) };
    if used.previous_use.is_none_or(|at| Utc::now() - at > USE_AUDIT_INTERVAL) {
        let actor = crate::audit::Actor {
            user_id: Some(used.user_id),
            name: user.username.clone(),
            client: format!("khóa API #{}", used.id),
        };
        let entry = crate::audit::Entry {
            action: "use",
            entity: "api_token",
            entity_id: used.id.to_string(),
            unit_id: used.unit_id,
            before: None,
            after: Some(serde_json::json!({ "name": used.name })),
        };
        crate::audit::record(pool, &actor, entry).await?;
    }
    Ok(Some(CurrentUser { via_token: Some(used.id), ..user }))
}

/// Revokes token `id` of account `user_id` for an administrator; returns the token's name if
/// there was a live one.
pub async fn revoke_for_admin(
    tx: &mut sqlx::PgConnection,
    user_id: UserId,
    id: TokenId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING name",
        id as TokenId,
        user_id as UserId,
    )
    .fetch_optional(tx)
    .await
}
