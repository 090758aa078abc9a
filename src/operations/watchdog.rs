//! The watchdog of the private cluster: no init system watches a PostgreSQL that `danvan serve`
//! started in its data directory, so the server does. Every [`CHECK_EVERY`] it asks whether
//! the postmaster is alive (a signal 0 to the pid in `postmaster.pid`, on a blocking thread);
//! when it is dead it logs a warning and starts it again (`pg_ctl start`, which runs crash
//! recovery), logging the outcome. Failed attempts back off up to [`MAX_BACKOFF`]. Someone
//! else starting the cluster at the same moment (an operator, another `danvan` command) wins
//! harmlessly: the next check finds it running. Meanwhile the web server answers 503 and its
//! pools reconnect by themselves. A deployment on `DATABASE_URL` is watched by whoever runs
//! that server: nothing is watched here.

use std::time::{Duration, Instant};

use crate::db::{Database, LocalCluster, Restart};

/// How often the postmaster is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// The longest wait between two failed restarts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The running watchdog; dropping it stops the checks. A restart already under way finishes,
/// and the cluster's own lock keeps it from overlapping the stop at exit
/// ([`LocalCluster::stop_if_owned`]).
pub struct Watchdog {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching the private cluster of `database`; `None` on `DATABASE_URL`. Must be called
/// inside a tokio runtime, from a thread at the server's own priority (`danvan serve` calls it
/// from its main thread): restarts run on a thread started here, see [`Restarter`].
pub fn spawn(database: &Database) -> Option<Watchdog> {
    let cluster = database.local_cluster()?.clone();
    let restarter = match Restarter::start(cluster.clone()) {
        Ok(restarter) => restarter,
        Err(error) => {
            tracing::error!(%error, "không tạo được luồng canh cụm PostgreSQL riêng");
            return None;
        }
    };
    Some(Watchdog { task: tokio::spawn(watch(cluster, restarter)) })
}

/// A restart's answer, sent back to the watching task.
type Answer = tokio::sync::oneshot::Sender<anyhow::Result<Restart>>;

/// A thread of its own that starts the cluster again on request. Not the runtime's blocking
/// threads: those of the reading runtime run at the reads' niceness (`server::READ_NICENESS`),
/// which a PostgreSQL started from one would pass on to every process it forks, the writes'
/// backends included; a thread inherits its creator's niceness, so this one keeps the
/// caller's. It ends when the watchdog is dropped.
struct Restarter {
    requests: std::sync::mpsc::Sender<Answer>,
}

impl Restarter {
    fn start(cluster: LocalCluster) -> std::io::Result<Restarter> {
        let (requests, received) = std::sync::mpsc::channel::<Answer>();
        std::thread::Builder::new().name("danvan-watchdog".to_owned()).spawn(move || {
            for answer in received {
                // The watching task may have been dropped meanwhile: nobody to tell.
                answer.send(cluster.restart_if_down()).ok();
            }
        })?;
        Ok(Restarter { requests })
    }

    /// Starts the cluster if it is down; `None` if the restarting thread is gone.
    async fn restart(&self) -> Option<anyhow::Result<Restart>> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.requests.send(answer).ok()?;
        answered.await.ok()
    }
}

async fn watch(cluster: LocalCluster, restarter: Restarter) {
    let mut failures: u32 = 0;
    let mut down_since: Option<Instant> = None;
    loop {
        tokio::time::sleep(backoff(failures)).await;
        let probe = cluster.clone();
        let Ok(alive) = tokio::task::spawn_blocking(move || probe.postmaster_alive()).await else {
            continue;
        };
        if alive {
            if let Some(since) = down_since.take() {
                tracing::info!(
                    "cụm PostgreSQL riêng đã chạy lại (do nơi khác khởi động) sau {} giây",
                    since.elapsed().as_secs()
                );
                failures = 0;
            }
            continue;
        }
        let since = *down_since.get_or_insert_with(Instant::now);
        tracing::warn!(
            "cụm PostgreSQL riêng tại {} không còn chạy (postmaster đã dừng): đang khởi động lại",
            cluster.pgdata().display()
        );
        match restarter.restart().await.ok_or("luồng khởi động lại đã dừng") {
            Ok(Ok(Restart::Restarted)) => {
                tracing::info!("đã khởi động lại cụm PostgreSQL riêng sau {} giây", since.elapsed().as_secs());
                down_since = None;
                failures = 0;
            }
            Ok(Ok(Restart::AlreadyRunning)) => {
                tracing::info!("cụm PostgreSQL riêng đã được nơi khác khởi động lại");
                down_since = None;
                failures = 0;
            }
            Ok(Ok(Restart::Stopping)) => return,
            Ok(Err(error)) => {
                failures = failures.saturating_add(1);
                let retry = backoff(failures).as_secs();
                // Right after a crash the first attempt often fails while the dead server's
                // processes are still leaving: only repeated failures are errors.
                if failures < 3 {
                    tracing::warn!(
                        "chưa khởi động lại được cụm PostgreSQL riêng (lần {failures}), thử lại sau {retry} giây: {error:#}"
                    );
                } else {
                    tracing::error!(
                        "không khởi động lại được cụm PostgreSQL riêng (lần {failures}), thử lại sau {retry} giây: {error:#}"
                    );
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::error!(%error, "kiểm tra cụm PostgreSQL riêng dừng bất thường");
            }
        }
    }
}

/// 1 s while all is well, then 2, 4, 8 … up to [`MAX_BACKOFF`] after repeated failures.
fn backoff(failures: u32) -> Duration {
    let factor = 1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX);
    CHECK_EVERY.saturating_mul(factor).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_to_a_minute() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(6), Duration::from_secs(60));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(60));
    }
}
