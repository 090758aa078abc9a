//! Hearing the moves other servers make: the change log, its reader and the announcements.
//!
//! # Why not a NOTIFY in the moving transaction
//! A move of a report (acceptance, return, submission, reopening) used to send the other servers
//! a PostgreSQL `NOTIFY` in its own transaction. PostgreSQL takes one lock for the whole cluster
//! at the commit of every transaction that sent a notification, and holds it through the commit's
//! write to disk; so every move in the country committed one at a time, and a move whose
//! PostgreSQL process waited for a core held all the others back (the churn benchmark's commits
//! waited up to 170 ms for it; README, "Performance").
//!
//! # Design
//! - A move writes its [`Change`] as a row of `rollup_changes` (migration 0024) in its own
//!   transaction ([`record`]): a plain insert, which no other move waits for.
//! - Each server's reader ([`spawn`]) reads the rows it has not seen from the primary: when
//!   another server announces new moves, and every [`POLL`] in any case (an announcement is only
//!   a hint: a server may die between its commit and its announcement).
//! - Transactions do not commit in the order they started, so an increasing id cannot say what
//!   was read already. The reader keeps a horizon instead: the oldest transaction still running
//!   when it last read (`pg_snapshot_xmin` of the reading statement's snapshot). Every row written
//!   by a transaction below it had committed (or aborted) by then, so it was in that read or an
//!   earlier one; the next read asks for the rows at or above it. Rows read twice are skipped by
//!   their change's id.
//! - A server that moved a report applies the change to its own cache right after its commit
//!   ([`AggregateCache::apply`]) and wakes its announcer, which sends one `NOTIFY` (outside any
//!   move's transaction, payload: the server's instance number) for all the moves of the last
//!   [`ANNOUNCE_EVERY`]. Only these announcements take PostgreSQL's notification lock, one per
//!   server at a time, and no move waits for them.
//! - Whatever the reader cannot vouch for, it forgets: when it starts (moves committed before its
//!   first horizon), when it has not read for half of [`KEPT`] (rows may have been deleted), and
//!   when transaction numbers went backwards (a database restored underneath) it clears the cache.
//! - The compactor deletes rows older than [`KEPT`] ([`prune`]).
//! - New metadata generations are still announced by the trigger's `NOTIFY` (migration 0022):
//!   metadata changes rarely, so that lock costs nothing there.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sqlx::{PgConnection, PgPool};

use super::cache::{AggregateCache, CHANNEL, Change, GENERATION_CHANNEL};

/// How often the change log is read when no announcement came.
pub const POLL: Duration = Duration::from_secs(1);

/// How long the change log keeps a row.
pub const KEPT: Duration = Duration::from_secs(3600);

/// A server announces its moves at most this often, once for all the moves since the last time.
pub const ANNOUNCE_EVERY: Duration = Duration::from_millis(20);

/// Writes a move into the change log, in the moving transaction.
pub async fn record(tx: &mut PgConnection, change: &Change) -> sqlx::Result<()> {
    sqlx::query!("INSERT INTO rollup_changes (payload) VALUES ($1)", change.payload()).execute(&mut *tx).await?;
    Ok(())
}

/// Deletes the rows older than [`KEPT`]; the number deleted.
pub async fn prune(pool: &PgPool) -> sqlx::Result<u64> {
    let kept = KEPT.as_secs_f64();
    let deleted = sqlx::query!("DELETE FROM rollup_changes WHERE at < now() - make_interval(secs => $1)", kept)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected())
}

/// Starts the server's reader of the change log, its announcer, and its listener for
/// announcements (other servers' moves, new metadata generations).
pub fn spawn(pool: PgPool, cache: Arc<AggregateCache>) {
    let wake = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(read_changes(pool.clone(), cache.clone(), wake.clone()));
    tokio::spawn(announce(pool.clone(), cache.clone()));
    tokio::spawn(listen(pool, cache, wake));
}

/// What the reader has read so far.
struct Reader {
    /// The oldest transaction still running at the last read (`xid8` as a number); `None`
    /// before the first read.
    horizon: Option<i64>,
    /// The changes read at or above the horizon, by id, with their transaction: read again
    /// until the horizon passes them, applied once.
    seen: HashMap<u64, i64>,
    last_read: Instant,
}

async fn read_changes(pool: PgPool, cache: Arc<AggregateCache>, wake: Arc<tokio::sync::Notify>) {
    let mut reader = Reader { horizon: None, seen: HashMap::new(), last_read: Instant::now() };
    loop {
        if let Err(error) = reader.read(&cache, &pool).await {
            tracing::debug!(%error, "chưa đọc được nhật ký thay đổi số liệu; thử lại sau");
        }
        // An announcement wakes the reader at once; otherwise it reads every POLL.
        let _ = tokio::time::timeout(POLL, wake.notified()).await;
    }
}

impl Reader {
    /// Reads the rows at or above the horizon and applies the new ones; see the module docs.
    async fn read(&mut self, cache: &AggregateCache, pool: &PgPool) -> sqlx::Result<()> {
        // Read before the position is, so that the position covers every change up to it.
        let epoch = cache.current_epoch();
        let read = sqlx::query!(
            r#"SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS "horizon!",
                      pg_current_wal_lsn()::text AS "position!",
                      coalesce(array_agg(xid::text::bigint ORDER BY xid), '{}') AS "xids!",
                      coalesce(array_agg(payload ORDER BY xid), '{}') AS "payloads!"
               FROM rollup_changes WHERE xid >= ($1::bigint)::text::xid8"#,
            self.horizon,
        )
        .fetch_one(pool)
        .await?;
        let trusted = match self.horizon {
            Some(horizon) => read.horizon >= horizon && self.last_read.elapsed() < KEPT / 2,
            None => false,
        };
        let mut applied = false;
        if !trusted {
            // Moves committed before this read are in what any later computation reads.
            cache.clear();
            self.seen.clear();
        }
        for (xid, payload) in read.xids.into_iter().zip(&read.payloads) {
            let Some(change) = Change::from_payload(payload) else { continue };
            if self.seen.insert(change.id, xid).is_none() && trusted {
                cache.apply_heard(&change);
                applied = true;
            }
        }
        self.horizon = Some(read.horizon);
        self.last_read = Instant::now();
        self.seen.retain(|_, xid| *xid >= read.horizon);
        if cache.tracks_positions() {
            if let Some(position) = crate::replica::parse_lsn(&read.position) {
                cache.note_position(epoch, position);
            }
            if applied {
                note_position(cache, pool).await;
            }
        }
        Ok(())
    }
}

/// Tells the other servers to read the change log, once per [`ANNOUNCE_EVERY`] at the most.
async fn announce(pool: PgPool, cache: Arc<AggregateCache>) {
    let payload = cache.instance.to_string();
    loop {
        cache.announce.notified().await;
        let sent = sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, payload).execute(&pool).await;
        if let Err(error) = sent {
            // The others read the log every POLL anyway.
            tracing::debug!(%error, "chưa báo được thay đổi số liệu cho các máy chủ khác");
        }
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}

/// Forgets what this server keeps of the metadata: the generation (read again by the next
/// view) and the office names of page headers (see [`crate::offices::header_name`]).
fn forget_metadata(cache: &AggregateCache) {
    cache.forget_generation();
    crate::offices::clear_header_cache();
}

/// Listens for other servers' announcements (waking the reader) and new metadata generations;
/// after a lost connection (missed announcements, perhaps) the generation is read again.
async fn listen(pool: PgPool, cache: Arc<AggregateCache>, wake: Arc<tokio::sync::Notify>) {
    let own = cache.instance.to_string();
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::debug!(%error, "chưa nghe được thông báo thay đổi số liệu; thử lại sau");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen_all([CHANNEL, GENERATION_CHANNEL]).await {
            tracing::debug!(%error, "chưa nghe được thông báo thay đổi số liệu; thử lại sau");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever was announced before listening is unknown.
        forget_metadata(&cache);
        cache.listening.store(true, Ordering::SeqCst);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) if notification.channel() == GENERATION_CHANNEL => {
                    forget_metadata(&cache);
                }
                // This server's own moves are applied already.
                Ok(Some(notification)) if notification.payload() == own => {}
                Ok(Some(_)) => wake.notify_one(),
                // The connection was lost (and is re-established): announcements may be missed.
                Ok(None) => {
                    forget_metadata(&cache);
                    wake.notify_one();
                }
                Err(error) => {
                    tracing::debug!(%error, "mất kết nối nghe thông báo thay đổi số liệu");
                    cache.listening.store(false, Ordering::SeqCst);
                    forget_metadata(&cache);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// Notes the primary's position for the changes applied so far, when a replica is configured:
/// they all committed before it (a server applies its own after the commit, and the reader
/// applies only committed rows), and the epoch is read first. A failure only delays the
/// replica's use.
async fn note_position(cache: &AggregateCache, pool: &PgPool) {
    let epoch = cache.current_epoch();
    let position = sqlx::query_scalar!(r#"SELECT pg_current_wal_lsn()::text AS "position!""#).fetch_one(pool).await;
    match position.as_deref().ok().and_then(crate::replica::parse_lsn) {
        Some(position) => cache.note_position(epoch, position),
        None => tracing::debug!("không đọc được vị trí WAL của máy chủ chính"),
    }
}
