//! Sessions stored in PostgreSQL: they survive a restart and can be ended on the server.

use axum_extra::extract::cookie::Cookie;
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{CurrentUser, Role, UnitScope, UserId};
use crate::units::{Level, UnitId};
use crate::web::cookies;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
/// A session ends this long after login, however active.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts a new session (a new id at every login) and returns its token for the cookie.
pub async fn create(pool: &PgPool, user_id: UserId, client: &str) -> sqlx::Result<String> {
    let token = new_token();
    // Intervals are bound as chrono durations, which the macros' check does not map (`as _`).
    sqlx::query!(
        "DELETE FROM sessions WHERE expires_at < now() OR last_seen_at < now() - $1::interval",
        IDLE_TIMEOUT as _
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, expires_at, client) VALUES ($1, $2, now() + $3, $4)",
        token_hash(&token),
        user_id as UserId,
        ABSOLUTE_TIMEOUT as _,
        client,
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// A `query!` reading an account as a [`CurrentUser`] is made of: `$head` (the columns before
/// the account's, ending in a comma), the account's from `users u` and its unit `n` (with
/// `unit_history`, the predecessors' paths of `n`: see [`UnitScope::history`]), then `$rest`
/// (FROM … WHERE …), with its parameters.
macro_rules! select_account {
    ($head:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            $head
                + r#" u.username, u.full_name, u.roles,
                n.id AS "unit_id?: UnitId", n.code AS "unit_code?", n.name AS "unit_name?", n.level AS "unit_level?: Level",
                n.parent_id AS "unit_parent_id: UnitId", n.path::text AS unit_path,
                ARRAY(SELECT p.path::text FROM unit_lineage l JOIN units p ON p.id = l.predecessor_id
                      WHERE l.successor_id = n.id) AS "unit_history!"
         "#
                + $rest
            $(, $arg)*
        )
    };
}

/// The [`CurrentUser`] `$id` from a record of [`select_account`], signed in by `$token_hash`.
macro_rules! current_user {
    ($row:ident, $id:expr, $token_hash:expr) => {
        CurrentUser {
            id: $id,
            username: $row.username,
            full_name: $row.full_name,
            roles: $row.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            unit: match ($row.unit_id, $row.unit_code, $row.unit_name, $row.unit_level, $row.unit_path) {
                (Some(id), Some(code), Some(name), Some(level), Some(path)) => Some(UnitScope {
                    id,
                    code,
                    name,
                    level,
                    parent_id: $row.unit_parent_id,
                    path,
                    history: $row.unit_history,
                }),
                _ => None,
            },
            token_hash: $token_hash,
            via_token: None,
        }
    };
}

/// How long a live session, once read, is trusted without reading it again. At quarter-end a
/// cached dashboard view then costs the database nothing, leaving the CPU to the saves. A
/// session ended, or an account changed, through this server is read again at once (every
/// request that writes forgets them all: see `forget_after_writes` in `lib.rs`); one ended by
/// another server or by the command line stops opening pages within this time.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Live sessions read in the last [`CACHE_TTL`], by token hash. Bounded; entries expire alone.
static LIVE: std::sync::LazyLock<moka::future::Cache<Vec<u8>, CurrentUser>> =
    std::sync::LazyLock::new(|| moka::future::Cache::builder().max_capacity(100_000).time_to_live(CACHE_TTL).build());

/// Forgets every session read (see [`CACHE_TTL`]).
pub fn forget_all() {
    LIVE.invalidate_all();
}

/// The user behind a session token, if the session is live and the account active; read from
/// the database at most once per [`CACHE_TTL`] (only live sessions are kept).
pub async fn load(pool: &PgPool, token: &str) -> sqlx::Result<Option<CurrentUser>> {
    let hash = token_hash(token);
    if let Some(user) = LIVE.get(&hash).await {
        return Ok(Some(user));
    }
    let user = read(pool, hash.clone()).await?;
    if let Some(user) = &user {
        LIVE.insert(hash, user.clone()).await;
    }
    Ok(user)
}

async fn read(pool: &PgPool, hash: Vec<u8>) -> sqlx::Result<Option<CurrentUser>> {
    let row = select_account!(
        "SELECT s.user_id, s.last_seen_at,",
        "FROM sessions s
         JOIN users u ON u.id = s.user_id
         LEFT JOIN units n ON n.id = u.unit_id
         WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval AND u.active",
        &hash,
        IDLE_TIMEOUT as _,
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    // Refresh the idle clock at most once a minute to spare the database a write per request.
    // The condition is checked again by the UPDATE: when the cached session expires under
    // dozens of concurrent requests (one leader's dashboard tabs, or wrk), the first refreshes
    // it and the others, after waiting for its row lock, find it fresh and write nothing — no
    // row version and no commit to flush each, which every save's commit would queue behind.
    if Utc::now() - row.last_seen_at > Duration::minutes(1) {
        sqlx::query!(
            "UPDATE sessions SET last_seen_at = now()
             WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute'",
            &hash
        )
        .execute(pool)
        .await?;
    }
    Ok(Some(current_user!(row, UserId(row.user_id), hash)))
}

pub async fn delete(pool: &PgPool, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash).execute(pool).await?;
    Ok(())
}

/// Ends every session of a user (password reset, deactivation).
pub async fn delete_for_user(pool: &PgPool, user_id: UserId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id as UserId).execute(pool).await?;
    Ok(())
}

/// The session cookie holding `token`, for the session's whole absolute lifetime.
pub fn cookie(token: &str, secure: bool) -> Cookie<'static> {
    cookies::build(super::SESSION_COOKIE, token.to_owned(), ABSOLUTE_TIMEOUT.num_seconds(), secure)
}

/// The session cookie deleted (sign-out).
pub fn expired_cookie(secure: bool) -> Cookie<'static> {
    cookies::build(super::SESSION_COOKIE, String::new(), 0, secure)
}

/// The account `user_id` as a [`CurrentUser`] (for API tokens), if active.
pub async fn load_user(pool: &PgPool, user_id: UserId, token_hash: Vec<u8>) -> sqlx::Result<Option<CurrentUser>> {
    let row = select_account!(
        "SELECT",
        "FROM users u LEFT JOIN units n ON n.id = u.unit_id WHERE u.id = $1 AND u.active",
        user_id as UserId
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| current_user!(row, user_id, token_hash)))
}
