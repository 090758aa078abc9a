//! Login throttling per account and per client address, kept in PostgreSQL so that it holds
//! across restarts and across app servers.
//!
//! An attempt is *reserved* before the password is hashed, in one statement that increments
//! both counters under their row locks ([`reserve`]): fifteen guesses sent at the same instant
//! are counted one after the other, and only the first [`MAX_PER_ACCOUNT`] reach the hash.
//! A successful login gives its reservation back ([`release`]). The window is fixed: it starts
//! at the first attempt and lasts [`WINDOW`].

use chrono::Duration;
use sqlx::PgPool;

pub const WINDOW: Duration = Duration::minutes(15);
/// Attempts on one account within the window before it is paused.
pub const MAX_PER_ACCOUNT: i32 = 5;
/// Attempts from one address within the window before it is paused.
pub const MAX_PER_CLIENT: i32 = 20;

pub const MESSAGE: &str =
    "Bạn đã đăng nhập sai quá nhiều lần. Tài khoản tạm khóa đăng nhập; vui lòng thử lại sau 15 phút.";

fn account_key(username: &str) -> String {
    format!("account:{username}")
}

fn client_key(client: &str) -> String {
    format!("client:{client}")
}

/// Counts one attempt for `username` and `client` and says whether it may go on to the
/// password check (`false`: over a limit, answer 429). `username` must already be capped in
/// length (the login form refuses names over 64 characters).
pub async fn reserve(pool: &PgPool, username: &str, client: &str) -> sqlx::Result<bool> {
    // WINDOW is a chrono duration, which the macros' check does not map to interval (`as _`).
    let counts = sqlx::query!(
        "INSERT INTO login_attempts AS a (key, window_start, attempts)
         VALUES ($1, now(), 1), ($2, now(), 1)
         ON CONFLICT (key) DO UPDATE SET
             attempts = CASE WHEN a.window_start < now() - $3::interval THEN 1 ELSE a.attempts + 1 END,
             window_start = CASE WHEN a.window_start < now() - $3::interval THEN now() ELSE a.window_start END
         RETURNING key, attempts",
        account_key(username),
        client_key(client),
        WINDOW as _,
    )
    .fetch_all(pool)
    .await?;
    let over = counts.iter().any(|row| {
        let limit = if row.key.starts_with("account:") { MAX_PER_ACCOUNT } else { MAX_PER_CLIENT };
        row.attempts > limit
    });
    Ok(!over)
}

/// After a successful login: the account starts afresh, and the address gets its attempt back.
/// Old windows are swept at the same time.
pub async fn release(pool: &PgPool, username: &str, client: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE login_attempts SET attempts = CASE WHEN key = $1 THEN 0 ELSE greatest(attempts - 1, 0) END
         WHERE key IN ($1, $2)",
        account_key(username),
        client_key(client),
    )
    .execute(pool)
    .await?;
    sqlx::query!("DELETE FROM login_attempts WHERE window_start < now() - $1::interval", (WINDOW * 2) as _)
        .execute(pool)
        .await?;
    Ok(())
}
