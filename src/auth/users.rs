//! SQL over `users`. The password hash is read only by [`password_hash`], never listed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};

use super::Role;
use crate::units::UnitId;
use crate::vocabulary::id;

id! {
    /// An account's id (`users.id`), never mistaken for a unit's, a token's or an office's.
    pub struct UserId;
}

/// An account as pages and the audit log see it: no password hash.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub unit_id: Option<UnitId>,
    pub roles: Vec<String>,
    pub active: bool,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    #[serde(skip)]
    pub unit_path: Option<String>,
    #[serde(skip)]
    pub unit_parent_id: Option<UnitId>,
}

impl User {
    pub fn role_labels(&self) -> String {
        self.roles.iter().filter_map(|r| Role::parse(r)).map(Role::label).collect::<Vec<_>>().join(", ")
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn unit_label(&self) -> String {
        match (&self.unit_name, &self.unit_code) {
            (Some(name), Some(code)) => format!("{name} ({code})"),
            _ => "Toàn quốc".to_owned(),
        }
    }

    pub fn place(&self) -> Option<super::authz::Place<'_>> {
        match (self.unit_id, &self.unit_path) {
            (Some(id), Some(path)) => Some(super::authz::Place { id, parent_id: self.unit_parent_id, path }),
            _ => None,
        }
    }
}

/// A `query_as!` of [`User`]s: the columns of a `User` from `users u` and its unit `n`, then
/// `$rest` (the filter and the order), with its parameters.
macro_rules! select_users {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            User,
            r#"SELECT u.id, u.username, u.full_name, u.unit_id AS "unit_id: UnitId", u.roles, u.active, u.created_at, u.updated_at, u.version,
                n.code AS "unit_code?", n.name AS "unit_name?", n.path::text AS unit_path, n.parent_id AS "unit_parent_id?: UnitId"
         FROM users u LEFT JOIN units n ON n.id = u.unit_id "#
                + $rest
            $(, $arg)*
        )
    };
}

pub async fn by_id<'e>(executor: impl PgExecutor<'e>, id: UserId) -> sqlx::Result<Option<User>> {
    select_users!("WHERE u.id = $1", id as UserId).fetch_optional(executor).await
}

pub async fn by_username(pool: &PgPool, username: &str) -> sqlx::Result<Option<User>> {
    select_users!("WHERE u.username = $1", username).fetch_optional(pool).await
}

pub struct ListFilter<'a> {
    /// Only users whose unit lies under this `ltree` path; `None` for everyone.
    pub within_path: Option<&'a str>,
    pub unit_text: &'a str,
    pub role: &'a str,
    pub active: Option<bool>,
}

pub async fn list(pool: &PgPool, filter: &ListFilter<'_>) -> sqlx::Result<Vec<User>> {
    let unit_pattern = format!("%{}%", crate::text::like_escape(&crate::text::fold(filter.unit_text)));
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    select_users!(
        "WHERE ($1::ltree IS NULL OR n.path <@ $1::ltree)
           AND ($2 = '%%' OR n.search_key LIKE $2)
           AND ($3 = '' OR $3 = ANY(u.roles))
           AND ($4::bool IS NULL OR u.active = $4)
         ORDER BY u.active DESC, n.path NULLS FIRST, u.username
         LIMIT 1000",
        filter.within_path as _,
        unit_pattern,
        filter.role,
        filter.active,
    )
    .fetch_all(pool)
    .await
}

/// The stored hash of an active account, for login.
pub async fn password_hash(pool: &PgPool, username: &str) -> sqlx::Result<Option<(UserId, String)>> {
    let row = sqlx::query!("SELECT id, password_hash FROM users WHERE username = $1 AND active", username)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|row| (UserId(row.id), row.password_hash)))
}

pub async fn password_hash_by_id(pool: &PgPool, id: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", id as UserId).fetch_optional(pool).await
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub unit_id: Option<UnitId>,
    pub roles: &'a [String],
    pub password_hash: &'a str,
}

pub async fn insert<'e>(executor: impl PgExecutor<'e>, user: &NewUser<'_>) -> sqlx::Result<UserId> {
    sqlx::query_scalar!(
        r#"INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ($1, $2, $3, $4, $5)
         RETURNING id AS "id: UserId""#,
        user.username,
        user.full_name,
        user.unit_id as Option<UnitId>,
        user.roles,
        user.password_hash,
    )
    .fetch_one(executor)
    .await
}

/// Sets a new password hash and revokes every personal API token of the account: a token made
/// under the old password must not outlive it. Returns how many tokens were revoked.
pub async fn set_password(tx: &mut sqlx::PgConnection, id: UserId, hash: &str) -> sqlx::Result<u64> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now(), version = version + 1 WHERE id = $1",
        id as UserId,
        hash
    )
    .execute(&mut *tx)
    .await?;
    super::tokens::revoke_all(tx, id).await
}

pub struct Changes<'a> {
    pub full_name: &'a str,
    pub unit_id: Option<UnitId>,
    pub roles: &'a [String],
    pub active: bool,
}

/// Applies the changes if nobody changed the account since `version` was read; returns
/// whether it did.
pub async fn update<'e>(
    executor: impl PgExecutor<'e>,
    id: UserId,
    version: i32,
    changes: &Changes<'_>,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE users SET full_name = $3, unit_id = $4, roles = $5, active = $6, updated_at = now(),
                version = version + 1
         WHERE id = $1 AND version = $2",
        id as UserId,
        version,
        changes.full_name,
        changes.unit_id as Option<UnitId>,
        changes.roles,
        changes.active,
    )
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Active administrators other than `except`, counted under a lock so that two
/// administrators cannot demote each other at the same instant.
pub async fn other_active_admins(tx: &mut sqlx::PgConnection, except: UserId) -> sqlx::Result<i64> {
    let ids: Vec<i32> = sqlx::query_scalar!(
        "SELECT id FROM users WHERE active AND 'quan_tri' = ANY(roles) AND id <> $1 FOR UPDATE",
        except as UserId
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(ids.len() as i64)
}
