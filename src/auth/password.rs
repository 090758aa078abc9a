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

/// How far below the server's own priority the hashing threads run: below the reads
/// ([`crate::server::READ_NICENESS`], 5), since a hash is a core's worth of work for tens of
/// milliseconds that nobody else is waiting on. At quarter-end a hundred sign-ins at once took
/// both cores from the dashboards on the leaders' first views (`scripts/load`: their first
/// views waited 100–170 ms while the hashes ran at the writes' priority); a sign-in waits
/// longer instead, once per session.
pub const HASHING_NICENESS: i32 = 10;

/// The niceness of the hashing threads: [`HASHING_NICENESS`] above the calling thread's (the
/// server's own, for a thread made by a request's), at most 19.
fn hashing_niceness() -> i32 {
    crate::server::own_niceness().saturating_add(HASHING_NICENESS).min(19)
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

/// Work for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads: [`concurrent_hashes`] threads made once and kept. Not
/// `spawn_blocking`, whose pool spreads hashes over up to 512 threads: each thread's allocator
/// arena keeps the 19 MiB a hash used, and a burst of sign-ins at quarter-end took the server
/// from 77 MB to 800 MB resident (measured with `scripts/load`). `None` if no thread could be
/// started (then `spawn_blocking` it is).
fn hashing_threads() -> Option<&'static std::sync::mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Option<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = std::sync::mpsc::channel::<Job>();
            let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
            let mut started = 0;
            for n in 0..concurrent_hashes() {
                let receiver = receiver.clone();
                let spawned = std::thread::Builder::new().name(format!("danvan-hash-{n}")).spawn(move || {
                    crate::server::lower_thread_priority(hashing_niceness());
                    loop {
                        // The lock is held only to take the next job, not while hashing.
                        let job = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
                match spawned {
                    Ok(_) => started += 1,
                    Err(error) => tracing::warn!(%error, "không tạo được luồng băm mật khẩu"),
                }
            }
            (started > 0).then_some(sender)
        })
        .as_ref()
}

/// Runs `work` on a hashing thread and waits for it without blocking the async threads.
async fn on_hashing_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let Some(queue) = hashing_threads() else {
        return Ok(tokio::task::spawn_blocking(work).await?);
    };
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    queue.send(job).map_err(|_| anyhow::anyhow!("các luồng băm mật khẩu đã dừng"))?;
    Ok(answered.await?)
}

/// Fewer characters than this are refused.
pub const MIN_LENGTH: usize = 8;

/// Hashes `password` (Argon2id). Errors with [`Busy`] when no hashing slot frees in time.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = slot().await?;
    on_hashing_thread(move || password_auth::generate_hash(password)).await
}

/// Verifies `password` against `hash`; with no hash (unknown user) it still spends the same
/// time on a dummy hash, so the answer does not reveal whether the account exists.
/// Errors with [`Busy`] when no hashing slot frees in time.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    let _permit = slot().await?;
    on_hashing_thread(move || match hash {
        Some(hash) => password_auth::verify_password(password, &hash).is_ok(),
        None => {
            let _ = password_auth::verify_password(password, dummy_hash());
            false
        }
    })
    .await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_run_on_the_few_threads_kept_for_them() {
        let names: Vec<String> = futures_names().await;
        assert!(names.iter().all(|name| name.starts_with("danvan-hash-")), "{names:?}");
        let hash = hash("mật khẩu thử".to_owned()).await.expect("hash");
        assert!(verify("mật khẩu thử".to_owned(), Some(hash.clone())).await.expect("verify"));
        assert!(!verify("sai".to_owned(), Some(hash)).await.expect("verify"));
        // Below the requests' priority: a burst of sign-ins leaves the cores to the others.
        let own = crate::server::own_niceness();
        let hashing = on_hashing_thread(crate::server::own_niceness).await.expect("job");
        assert!(hashing > own || own == 19, "hashing at {hashing}, requests at {own}");
    }

    async fn futures_names() -> Vec<String> {
        let mut names = Vec::new();
        for _ in 0..(concurrent_hashes() * 3) {
            let name = on_hashing_thread(|| std::thread::current().name().unwrap_or("").to_owned()).await.expect("job");
            names.push(name);
        }
        names
    }
}
