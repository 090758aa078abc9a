//! Argon2id password hashing (password-auth), always off the async threads.

use std::sync::OnceLock;

/// Fewer characters than this are refused.
pub const MIN_LENGTH: usize = 8;

pub async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || password_auth::generate_hash(password)).await?)
}

/// Verifies `password` against `hash`; with no hash (unknown user) it still spends the same
/// time on a dummy hash, so the answer does not reveal whether the account exists.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
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
