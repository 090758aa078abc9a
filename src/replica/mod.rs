//! A read-only PostgreSQL beside the primary (a streaming hot standby, `--database-read-url`):
//! its pool, how far behind the primary it is, and whether reads may use it now.
//!
//! Which requests read from it, read-your-writes and the retry on the primary are in
//! [`routing`]; how the dashboards' cache stays exact over it is in `dashboards::cache`.
//!
//! # How far behind
//! Lag is measured with positions in the write-ahead log, not replay timestamps: an idle primary
//! writes nothing, and a replica with nothing left to replay is not behind, however old its last
//! replayed transaction. Every [`CHECK_INTERVAL`] the monitor ([`spawn_monitor`]) notes the
//! instant, then reads the primary's `pg_current_wal_lsn()`: every commit made before that
//! instant lies at or before that position. It then reads the replica's
//! `pg_last_wal_replay_lsn()`. The replica holds every commit made before the latest noted
//! instant whose position it has replayed; its lag is the time since that instant (an upper
//! bound, exact to a check). The lag keeps growing between checks, so a monitor that cannot
//! reach the replica (or the primary) lets it pass the bound instead of freezing it.
//!
//! # When reads may use it
//! The replica answered the last check, no request has failed on it since, its lag is within
//! the bound (`--database-read-max-lag`, default 5 s), and it has replayed the position the
//! request needs (the user's last write: see [`routing`]). Otherwise reads go to the primary.
//! The replay position used is the last check's (at most [`CHECK_INTERVAL`] old, so lower than
//! or equal to the true one): reading it costs no query per request.

pub mod routing;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

/// How often the monitor measures the replica (and how old the replay position reads use
/// may be).
pub const CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// Longest a check waits for either server before counting it as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// The replica's state, shared by every request and the monitor.
pub struct Replica {
    options: PgConnectOptions,
    max_connections: u32,
    /// Made on the first successful connection (the app starts while the replica is away).
    pool: tokio::sync::OnceCell<PgPool>,
    /// The bound on lag, in milliseconds.
    max_lag_ms: AtomicU64,
    /// It answered the last check and no request has failed on it since.
    up: AtomicBool,
    /// Its replay position at the last check (0: unknown).
    replayed: AtomicU64,
    /// Milliseconds since `origin` + 1 before which it holds every commit of the primary
    /// (0: unknown).
    covered: AtomicU64,
    origin: Instant,
    /// Whether the last check found it further behind than the bound (for the log lines).
    lagging: AtomicBool,
}

impl Replica {
    /// The replica at `url`, reached through a pool of `max_connections` with the bounds of a
    /// request pool (`db::PoolPurpose::Requests`). It counts as down until the monitor's first
    /// check; connecting is tried at once, and by the monitor later if that fails.
    pub async fn connect(url: &str, max_connections: u32, max_lag: Duration) -> anyhow::Result<Arc<Replica>> {
        use std::str::FromStr;
        let options = PgConnectOptions::from_str(url).map_err(|_| {
            anyhow::anyhow!(
                "DANVAN_DATABASE_READ_URL không hợp lệ / DANVAN_DATABASE_READ_URL is not a valid PostgreSQL URL"
            )
        })?;
        let replica = Arc::new(Replica::new(options, max_connections, max_lag));
        if let Err(error) = replica.pool().await {
            tracing::warn!(
                error = %format!("{error:#}"),
                "chưa kết nối được bản sao chỉ đọc: đọc từ máy chủ chính cho tới khi kết nối được \
                 / read replica unreachable for now: reading from the primary"
            );
        }
        Ok(replica)
    }

    /// The replica at `options` (not yet connected).
    pub fn new(options: PgConnectOptions, max_connections: u32, max_lag: Duration) -> Replica {
        Replica {
            options,
            max_connections,
            pool: tokio::sync::OnceCell::new(),
            max_lag_ms: AtomicU64::new(u64::try_from(max_lag.as_millis()).unwrap_or(u64::MAX)),
            up: AtomicBool::new(false),
            replayed: AtomicU64::new(0),
            covered: AtomicU64::new(0),
            origin: Instant::now(),
            lagging: AtomicBool::new(false),
        }
    }

    /// "host:port/database", for log lines (never a password).
    pub fn describe(&self) -> String {
        format!(
            "{}:{}/{}",
            self.options.get_host(),
            self.options.get_port(),
            self.options.get_database().unwrap_or("(mặc định)")
        )
    }

    /// The pool, connecting it first if no connection was ever made.
    async fn pool(&self) -> anyhow::Result<&PgPool> {
        self.pool
            .get_or_try_init(|| {
                crate::db::pool_for(self.options.clone(), self.max_connections, crate::db::PoolPurpose::Requests)
            })
            .await
    }

    /// Closes the pool (at shutdown).
    pub async fn close(&self) {
        if let Some(pool) = self.pool.get() {
            pool.close().await;
        }
    }

    /// The bound on lag.
    pub fn max_lag(&self) -> Duration {
        Duration::from_millis(self.max_lag_ms.load(Ordering::Relaxed))
    }

    /// Changes the bound on lag (it applies to the next request).
    pub fn set_max_lag(&self, max_lag: Duration) {
        self.max_lag_ms.store(u64::try_from(max_lag.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn ms_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    /// How far behind the primary it is now, or `None` while it is down or not yet measured.
    pub fn lag(&self) -> Option<Duration> {
        if !self.up.load(Ordering::SeqCst) {
            return None;
        }
        match self.covered.load(Ordering::SeqCst) {
            0 => None,
            covered => Some(Duration::from_millis(self.now_ms().saturating_sub(covered - 1))),
        }
    }

    /// Its replay position at the last check (0 while unknown).
    pub fn replayed(&self) -> u64 {
        self.replayed.load(Ordering::SeqCst)
    }

    /// Whether it is up and has replayed `lsn` (at the last check).
    pub fn has_replayed(&self, lsn: u64) -> bool {
        self.up.load(Ordering::SeqCst) && self.replayed() >= lsn
    }

    /// The replica's pool, if reads needing the primary's position `needed` may use it now
    /// (see the module docs).
    pub fn usable(&self, needed: u64) -> Option<&PgPool> {
        let pool = self.pool.get()?;
        let lag = self.lag()?;
        (lag <= self.max_lag() && self.has_replayed(needed)).then_some(pool)
    }

    /// A request failed on it: reads go to the primary until the next check finds it answering.
    pub fn mark_failed(&self, why: &str) {
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                replica = %self.describe(),
                why,
                "bản sao chỉ đọc lỗi: đọc từ máy chủ chính / read replica failed: reading from the primary"
            );
        }
    }

    /// One check: the primary's position, then the replica's replay position (see the module
    /// docs); logs when the replica goes away, comes back, or passes the bound.
    async fn check(&self, primary: &PgPool, samples: &mut Samples) {
        let at = Instant::now();
        let primary_lsn = tokio::time::timeout(CHECK_TIMEOUT, current_lsn(primary)).await;
        if let Ok(Ok(lsn)) = primary_lsn {
            samples.push(self.ms_at(at), lsn, self.window_ms());
        }
        let measured = tokio::time::timeout(CHECK_TIMEOUT, async {
            let pool = self.pool().await?;
            let row = sqlx::query!(
                r#"SELECT pg_is_in_recovery() AS "recovering!",
                          (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                                ELSE pg_current_wal_lsn() END)::text AS lsn"#,
            )
            .fetch_one(pool)
            .await?;
            anyhow::Ok((row.recovering, row.lsn.as_deref().and_then(parse_lsn).unwrap_or(0)))
        })
        .await;
        let (recovering, replayed) = match measured {
            Ok(Ok(measured)) => measured,
            Ok(Err(error)) => return self.went_away(&format!("{error:#}")),
            Err(_) => return self.went_away("không trả lời trong 1 giây / no answer within 1 s"),
        };
        if !recovering && self.replayed() == 0 {
            tracing::info!(
                replica = %self.describe(),
                "đích đọc không phải bản sao đang phục hồi (hot standby): coi vị trí WAL hiện tại của nó là vị trí đã áp dụng \
                 / the read target is not in recovery: its current WAL position counts as replayed"
            );
        }
        // Stored, not raised: a standby restarted after a crash may start again further back.
        self.replayed.store(replayed, Ordering::SeqCst);
        self.covered.store(samples.covered_by(replayed).map_or(0, |ms| ms + 1), Ordering::SeqCst);
        if !self.up.swap(true, Ordering::SeqCst) {
            tracing::info!(
                replica = %self.describe(),
                lag_ms = self.lag().map(|l| l.as_millis()),
                "bản sao chỉ đọc đang hoạt động: đọc bảng điều khiển, tổng hợp, xuất báo cáo từ bản sao \
                 / read replica up: routed reads use it"
            );
        }
        let lagging = self.lag().is_none_or(|lag| lag > self.max_lag());
        if lagging != self.lagging.swap(lagging, Ordering::SeqCst) {
            let lag = self.lag().map(|l| format!("{:.1} s", l.as_secs_f64())).unwrap_or_else(|| "không rõ".into());
            if lagging {
                tracing::warn!(
                    replica = %self.describe(),
                    "bản sao chỉ đọc trễ {lag}, quá giới hạn {:.1} s: đọc từ máy chủ chính / read replica lags past the bound",
                    self.max_lag().as_secs_f64()
                );
            } else {
                tracing::info!(
                    replica = %self.describe(),
                    "bản sao chỉ đọc đã theo kịp (trễ {lag}) / read replica caught up"
                );
            }
        }
    }

    fn went_away(&self, why: &str) {
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                replica = %self.describe(),
                why,
                "bản sao chỉ đọc không trả lời: đọc từ máy chủ chính / read replica unreachable: reading from the primary"
            );
        }
    }

    /// How long primary positions are kept: well past the bound, so that a replica within it is
    /// always measured exactly.
    fn window_ms(&self) -> u64 {
        self.max_lag_ms.load(Ordering::Relaxed).saturating_mul(4).saturating_add(10_000)
    }
}

/// The replica's lag in seconds (`None` without a replica, while it is down or not yet
/// measured): for metrics and health pages.
pub fn replica_lag_seconds(state: &crate::web::AppState) -> Option<f64> {
    state.replica.as_ref()?.lag().map(|lag| lag.as_secs_f64())
}

/// Measures the replica every [`CHECK_INTERVAL`] until the primary's pool is closed.
pub fn spawn_monitor(primary: PgPool, replica: Arc<Replica>) {
    tokio::spawn(async move {
        let mut samples = Samples::default();
        let mut interval = tokio::time::interval(CHECK_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !primary.is_closed() {
            interval.tick().await;
            replica.check(&primary, &mut samples).await;
        }
    });
}

/// The primary's current write position.
pub async fn current_lsn(pool: &PgPool) -> anyhow::Result<u64> {
    let text = sqlx::query_scalar!(r#"SELECT pg_current_wal_lsn()::text AS "lsn!""#).fetch_one(pool).await?;
    parse_lsn(&text).ok_or_else(|| anyhow::anyhow!("vị trí WAL không đọc được: {text}"))
}

/// `16/B374D848` (PostgreSQL's `pg_lsn` text) as a number; `None` for anything else.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.trim().split_once('/')?;
    if high.is_empty() || low.is_empty() || high.len() > 8 || low.len() > 8 {
        return None;
    }
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    Some((high << 32) | low)
}

/// A position as PostgreSQL writes it (`16/B374D848`).
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

/// The primary's positions at recent instants, oldest first: (milliseconds, position).
#[derive(Debug, Default)]
struct Samples(VecDeque<(u64, u64)>);

impl Samples {
    /// Notes that every commit made before `at` lies at or before `lsn`; forgets notes older
    /// than `window` before it.
    fn push(&mut self, at: u64, lsn: u64, window: u64) {
        self.0.push_back((at, lsn));
        while self.0.front().is_some_and(|(first, _)| at.saturating_sub(*first) > window) {
            self.0.pop_front();
        }
    }

    /// The latest instant before which a server that replayed `replayed` holds every commit.
    /// Behind every note kept, it counts as behind since the oldest one (a lower bound of its
    /// lag, past any bound since notes are kept for four times the bound).
    fn covered_by(&self, replayed: u64) -> Option<u64> {
        let latest = self.0.iter().rev().find(|(_, lsn)| *lsn <= replayed).map(|(at, _)| *at);
        latest.or_else(|| self.0.front().map(|(at, _)| at.saturating_sub(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_and_write_as_postgresql_does() {
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(format_lsn((0x16 << 32) | 0xB374_D848), "16/B374D848");
        assert_eq!(parse_lsn(&format_lsn(u64::MAX)), Some(u64::MAX));
        for bad in ["", "16", "/1", "1/", "x/1", "123456789/0", "1/2/3"] {
            assert_eq!(parse_lsn(bad), None, "{bad}");
        }
    }

    #[test]
    fn lag_is_the_age_of_the_latest_primary_position_replayed() {
        let mut samples = Samples::default();
        assert_eq!(samples.covered_by(100), None, "nothing measured yet");
        samples.push(1_000, 100, 60_000);
        samples.push(1_500, 100, 60_000);
        samples.push(2_000, 180, 60_000);
        samples.push(2_500, 250, 60_000);
        // An idle primary: position 100 at 1.0 s and 1.5 s; replayed 100 holds all before 1.5 s.
        assert_eq!(samples.covered_by(100), Some(1_500));
        assert_eq!(samples.covered_by(200), Some(2_000));
        assert_eq!(samples.covered_by(250), Some(2_500));
        assert_eq!(samples.covered_by(u64::MAX), Some(2_500));
        // Behind everything kept: older than the oldest note.
        assert_eq!(samples.covered_by(50), Some(999));
        // Old notes are forgotten past the window.
        samples.push(62_000, 300, 60_000);
        assert_eq!(samples.0.len(), 3, "{samples:?}");
        assert_eq!(samples.covered_by(250), Some(2_500));
        assert_eq!(samples.covered_by(100), Some(1_999), "behind everything kept now");
    }

    #[tokio::test]
    async fn a_replica_never_measured_is_not_used() {
        let replica = Replica::new(PgConnectOptions::new(), 1, Duration::from_secs(5));
        assert!(replica.lag().is_none());
        assert!(replica.usable(0).is_none());
        assert!(!replica.has_replayed(0));
    }
}
