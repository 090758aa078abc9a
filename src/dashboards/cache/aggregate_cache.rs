//! The cache itself ([`AggregateCache`]): its entries, bounded by size, and the numbered
//! changes (epochs) they are checked against; views are taken from it per request.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use super::change::Change;
use super::entry::Stamped;
use super::generation::KnownGeneration;
use super::key::Key;
use super::replica::POSITIONS_KEPT;
use super::view::View;
use crate::reports::Period;

/// How many recent changes are kept to check entries against.
pub const LOG_LEN: usize = 4_096;

/// The cache's size bound, in (estimated) bytes.
pub const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// The cache every request of this server shares (see the `dashboards::cache` module docs).
pub struct AggregateCache {
    /// A random number naming this server in its announcements (see [`crate::dashboards::changes`]).
    pub(in crate::dashboards) instance: u64,
    /// Woken by every move this server applies: the announcer tells the other servers.
    pub(in crate::dashboards) announce: tokio::sync::Notify,
    pub(super) entries: moka::future::Cache<Key, Arc<Stamped>>,
    epoch: AtomicU64,
    /// The last changes, oldest first, each with its epoch.
    log: Mutex<VecDeque<(u64, Change)>>,
    /// The metadata generation last read, while it may be trusted (see [`super::GENERATION_TTL`]).
    pub(super) known: Mutex<KnownGeneration>,
    /// The listener hears [`super::GENERATION_CHANNEL`]: only then is a known generation used.
    pub(in crate::dashboards) listening: AtomicBool,
    /// Whether positions are noted (a read replica is configured).
    pub(super) tracks_positions: AtomicBool,
    /// (epoch, primary position): every change numbered up to the epoch committed at or before
    /// the position. Oldest first, both increasing; the last [`POSITIONS_KEPT`].
    pub(super) positions: Mutex<VecDeque<(u64, u64)>>,
    /// How many subtree parts have been read from the database (see [`AggregateCache::parts_read`]).
    pub(super) parts_read: AtomicU64,
}

impl Default for AggregateCache {
    fn default() -> Self {
        AggregateCache {
            instance: rand::random(),
            announce: tokio::sync::Notify::new(),
            entries: moka::future::Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|_key: &Key, value: &Arc<Stamped>| value.data.weight())
                .build(),
            epoch: AtomicU64::new(0),
            log: Mutex::new(VecDeque::with_capacity(LOG_LEN)),
            known: Mutex::new(KnownGeneration::default()),
            listening: AtomicBool::new(false),
            tracks_positions: AtomicBool::new(false),
            positions: Mutex::new(VecDeque::with_capacity(POSITIONS_KEPT)),
            parts_read: AtomicU64::new(0),
        }
    }
}

impl AggregateCache {
    /// Records a move of a report this server made, once its transaction has committed: entries
    /// it affects are recomputed on their next use, and the other servers are told to read the
    /// change log (see [`crate::dashboards::changes`]).
    pub fn apply(&self, change: &Change) {
        if change.bases.is_empty() {
            return;
        }
        self.apply_heard(change);
        self.announce.notify_one();
    }

    /// Records a move read from the change log. A change already applied (this server's own,
    /// read back from the log) is skipped.
    pub(in crate::dashboards) fn apply_heard(&self, change: &Change) {
        if change.bases.is_empty() {
            return;
        }
        if let Ok(mut log) = self.log.lock() {
            if log.iter().any(|(_, applied)| applied.id == change.id) {
                return;
            }
            let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
            log.push_back((epoch, change.clone()));
            while log.len() > LOG_LEN {
                log.pop_front();
            }
        }
    }

    /// How many parts of rolled-up roots (a child's subtree, a root's own reports) this cache has
    /// read from the database since it started: after an acceptance in one commune, a province's
    /// dashboard reads two (that commune's subtree and the province's own reports), not one per
    /// commune. Counted for tests and the operator (`/metrics`: `danvan_dashboard_parts_read_total`).
    pub fn parts_read(&self) -> u64 {
        self.parts_read.load(Ordering::Relaxed)
    }

    /// Forgets everything (a lost notification channel, a rebuild).
    pub fn clear(&self) {
        self.entries.invalidate_all();
        // With the log empty, every entry stamped before this epoch counts as stale, including
        // those being computed right now.
        if let Ok(mut log) = self.log.lock() {
            log.clear();
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The number of the last change applied.
    pub fn current_epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// No change numbered in `(from, to]` affects `key`.
    fn unaffected(&self, key: &Key, from: u64, to: u64) -> bool {
        if from >= to {
            return true;
        }
        let Ok(log) = self.log.lock() else { return false };
        // Changes older than the log's first one were forgotten: assume the worst.
        match log.front() {
            Some((first, _)) if *first <= from + 1 => {}
            _ => return false,
        }
        log.iter().filter(|(epoch, _)| *epoch > from && *epoch <= to).all(|(_, change)| !key.affected_by(change))
    }

    /// Whether `stamped`, the entry for `key`, may be used by a request that must see
    /// `generation` and every change up to `upto`; if so, its epoch moves forward to `upto`.
    pub(super) fn fresh(&self, key: &Key, stamped: &Stamped, generation: i64, upto: u64) -> bool {
        if stamped.generation < generation {
            return false;
        }
        let from = stamped.verified.load(Ordering::SeqCst);
        if !self.unaffected(key, from, upto) {
            return false;
        }
        stamped.verified.fetch_max(upto, Ordering::SeqCst);
        true
    }

    /// What one request reads through the cache: the metadata generation and the changes
    /// applied before the request started, read once for all its lookups.
    pub async fn view<'a>(&'a self, pool: &'a PgPool) -> sqlx::Result<View<'a>> {
        let start = self.current_epoch();
        let generation = self.current_generation(pool).await?;
        Ok(View { cache: self, pool, generation, start, on_replica: false })
    }

    /// The first year of the `count` quarters ending with the period's last one.
    pub fn first_year_of_trend(period: Period, count: usize) -> i32 {
        crate::dashboards::aggregate::trend_start(period, count).year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::aggregate::Basis;
    use crate::dashboards::cache::Bases;
    use crate::dashboards::cache::key::tests::{change, parts_key};

    #[test]
    fn entries_computed_before_a_change_are_stale_after_it() {
        let cache = AggregateCache::default();
        let key = parts_key(Some("12"), 2024, Basis::Accepted);
        let before = cache.current_epoch();
        cache.apply(&change("13.1", 2024, Bases::ALL));
        assert!(cache.unaffected(&key, before, cache.current_epoch()), "another province");
        cache.apply(&change("12.7", 2024, Bases::ALL));
        assert!(!cache.unaffected(&key, before, cache.current_epoch()));
        // Forgotten changes count as affecting.
        for _ in 0..=LOG_LEN {
            cache.apply(&change("13.1", 2020, Bases::ALL));
        }
        assert!(!cache.unaffected(&key, before, cache.current_epoch()));
    }

    #[test]
    fn a_change_heard_twice_counts_once() {
        let moved = change("12.345", 2024, Bases::ALL);
        let cache = AggregateCache::default();
        cache.apply(&moved);
        let once = cache.current_epoch();
        cache.apply(&moved);
        assert_eq!(cache.current_epoch(), once);
    }

    #[test]
    fn trends_start_in_the_right_year() {
        assert_eq!(AggregateCache::first_year_of_trend(Period::Year { year: 2024 }, 8), 2023);
        assert_eq!(AggregateCache::first_year_of_trend(Period::Quarter { year: 2024, quarter: 1 }, 8), 2022);
        assert_eq!(AggregateCache::first_year_of_trend(Period::Quarter { year: 2024, quarter: 3 }, 1), 2024);
        let start = crate::dashboards::aggregate::trend_start(Period::Quarter { year: 2025, quarter: 4 }, 8);
        assert_eq!((start.year(), start.number()), (2024, 1));
        let start = crate::dashboards::aggregate::trend_start(Period::Year { year: 2025 }, 6);
        assert_eq!((start.year(), start.number()), (2024, 3));
    }
}
