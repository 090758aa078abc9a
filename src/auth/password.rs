//! Argon2id password hashing (password-auth), always off the async threads, and never more
//! than [`concurrent_hashes`] at once: each hash holds 19 MiB and a core for a while, and the
//! login form is open to anyone.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// The hashing slots are all taken and too many requests already wait for one: the caller
/// answers 429 ([`BUSY_MESSAGE`]) instead of queueing more work.
#[derive(Debug, thiserror::Error)]
#[error("too many password hashes at once")]
pub struct Busy;

pub const BUSY_MESSAGE: &str = "Hệ thống đang xử lý nhiều lượt đăng nhập cùng lúc. Vui lòng thử lại sau giây lát.";

/// How long a request waits for a hashing slot before giving up with [`Busy`].
const SLOT_WAIT: Duration = Duration::from_secs(5);
/// Requests allowed to wait for a slot at once; more get [`Busy`] at once.
const MAX_WAITING: usize = 32;

/// Hashes that may run at once: two per core (at least two).
pub fn concurrent_hashes() -> usize {
    std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(2).max(2)
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(concurrent_hashes()))
}

static WAITING: AtomicUsize = AtomicUsize::new(0);

async fn slot() -> Result<SemaphorePermit<'static>, Busy> {
    if let Ok(permit) = slots().try_acquire() {
        return Ok(permit);
    }
    if WAITING.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::SeqCst);
        return Err(Busy);
    }
    let waited = tokio::time::timeout(SLOT_WAIT, slots().acquire()).await;
    WAITING.fetch_sub(1, Ordering::SeqCst);
    match waited {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Busy),
    }
}

/// Fewer characters than this are refused.
pub const MIN_LENGTH: usize = 8;

/// Hashes `password` (Argon2id). Errors with [`Busy`] when no hashing slot frees in time.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = slot().await?;
    Ok(tokio::task::spawn_blocking(move || password_auth::generate_hash(password)).await?)
}

/// Verifies `password` against `hash`; with no hash (unknown user) it still spends the same
/// time on a dummy hash, so the answer does not reveal whether the account exists.
/// Errors with [`Busy`] when no hashing slot frees in time.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    let _permit = slot().await?;
    Ok(tokio::task::spawn_blocking(move || match hash {
        Some(hash) => password_auth::verify_password(password, &hash).is_ok(),
        None => {
            let _ = password_auth::verify_password(password, dummy_hash());
            false
        }
    })
    .await?)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("không phải mật khẩu của ai"))
}

/// The Vietnamese message for a password that does not meet the policy.
pub fn policy_error(password: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_LENGTH {
        Some("Mật khẩu cần ít nhất 8 ký tự.")
    } else if password.trim().is_empty() {
        Some("Mật khẩu không được chỉ có khoảng trắng.")
    } else {
        None
    }
}

/// A random password for resets and for accounts made without one: 16 characters that read
/// unambiguously over the phone.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
