//! Login throttling per account and per client address, kept in PostgreSQL so that it holds
//! across restarts and across app servers.

use chrono::Duration;
use sqlx::PgPool;

pub const WINDOW: Duration = Duration::minutes(15);
/// Failed logins on one account within the window before it is paused.
pub const MAX_PER_ACCOUNT: i64 = 5;
/// Failed logins from one address within the window before it is paused.
pub const MAX_PER_CLIENT: i64 = 20;

pub const MESSAGE: &str =
    "Bạn đã đăng nhập sai quá nhiều lần. Tài khoản tạm khóa đăng nhập; vui lòng thử lại sau 15 phút.";

pub async fn is_throttled(pool: &PgPool, username: &str, client: &str) -> sqlx::Result<bool> {
    let (by_account, by_client): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE username = $1), count(*) FILTER (WHERE client = $2)
         FROM login_failures WHERE failed_at > now() - $3 AND (username = $1 OR client = $2)",
    )
    .bind(username)
    .bind(client)
    .bind(WINDOW)
    .fetch_one(pool)
    .await?;
    Ok(by_account >= MAX_PER_ACCOUNT || by_client >= MAX_PER_CLIENT)
}

pub async fn record_failure(pool: &PgPool, username: &str, client: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE failed_at < now() - $1").bind(WINDOW).execute(pool).await?;
    sqlx::query("INSERT INTO login_failures (username, client) VALUES ($1, $2)")
        .bind(username)
        .bind(client)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn clear(pool: &PgPool, username: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(username).execute(pool).await?;
    Ok(())
}
