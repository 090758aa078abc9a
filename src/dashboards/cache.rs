//! A cache in front of the roll-ups: an optimisation, not what makes dashboards fast (a cold
//! view reads the roll-ups within budget on its own).
//!
//! # What invalidates what
//! - A move of a report (accepted, reopened, submitted, returned) is a [`Change`]: the unit's
//!   path, the report's year and the bases whose figures moved. It drops only the entries whose
//!   subtree holds that unit (the unit itself, its ancestors, the country), whose years cover
//!   that year, and whose basis moved; an acceptance in one commune leaves every other province
//!   cached. The server that made the move applies the change right after its commit (so the
//!   user who accepted sees the new figure on the next page); other servers read it from the
//!   change log the move wrote in its transaction (see [`super::changes`]).
//! - Everything else a dashboard shows besides reports (the catalogue, targets, directives,
//!   milestones, the calendar) is metadata that changes rarely: triggers bump the one
//!   `data_generation` row, and an entry computed in an older generation is not used. Report
//!   saves and moves never touch that row, so it is not a row every write must lock.
//!
//! # No stale figure, even mid-computation
//! Changes are numbered (an epoch). An entry remembers the epoch read *before* its figures were
//! read from the database; on each use, the changes numbered after it are checked against the
//! entry's key, and any that affects it sends the request to recompute. A change committed while
//! a computation was running is therefore never hidden by the entry that computation stores.
//! Checked entries move their epoch forward, so the check stays short; the log keeps the last
//! [`LOG_LEN`] changes and an entry older than that is recomputed.
//!
//! # Over a read replica
//! With `--database-read-url`, a request may compute entries on the replica, which replays the
//! primary's changes a moment after the primary heard of them: an entry computed there just after
//! a change was applied could hold the figures from before it, and be kept as if after it. So
//! the cache notes, for its epochs, the primary's write position at or after their changes
//! committed ([`AggregateCache::note_position`]: the change log's reader reads it with every
//! read of the log, [`super::changes`]). A request computes on the replica only if the replica has replayed
//! the position noted for the request's starting epoch ([`AggregateCache::view_for`]), else on
//! the primary; what it computes there is stamped with that starting epoch, not a later one, so
//! changes after it are checked as usual. Cached figures are never older than what the primary
//! had when they were last invalidated.
//!
//! # Bounded, one computation per key
//! [moka](https://docs.rs/moka): entries are weighed by their size and evicted one by one past
//! [`CAPACITY_BYTES`]; concurrent requests for a missing key wait for one computation of it
//! (`try_get_with`), while other keys compute in parallel.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use super::aggregate::{self, Basis, Totals};
use crate::catalogue::Catalogue;
use crate::reports::Period;
use crate::units::{Unit, queries};

type Parts = Arc<BTreeMap<String, Totals>>;
type Series = Arc<Vec<(Period, Totals)>>;

/// The PostgreSQL channel on which servers announce that they wrote moves into the change log
/// (see [`super::changes`]).
pub const CHANNEL: &str = "danvan_rollup";

/// The PostgreSQL channel on which a new metadata generation is announced (by the trigger that
/// bumps it, migration 0022), so that a cached view need not read the generation row each time.
pub const GENERATION_CHANNEL: &str = "danvan_generation";

/// How long a metadata generation read from the database is used without reading it again,
/// while this server listens for announcements and none came: a bound on how late a change
/// made elsewhere can be seen should its announcement be slow. Changes this server makes are
/// seen at once ([`AggregateCache::forget_generation`] after every request that writes).
pub const GENERATION_TTL: std::time::Duration = std::time::Duration::from_millis(250);

/// How many recent changes are kept to check entries against.
pub const LOG_LEN: usize = 4_096;

/// The cache's size bound, in (estimated) bytes.
pub const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// Bit set of bases: 1 accepted, 2 accepted + submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bases(u8);

impl Bases {
    pub const ALL: Bases = Bases(3);

    pub fn of(basis: Basis) -> Bases {
        match basis {
            Basis::Accepted => Bases(1),
            Basis::Submitted => Bases(2),
        }
    }

    /// From the roll-ups' basis numbers (1, 2).
    pub fn from_numbers(numbers: impl IntoIterator<Item = i16>) -> Bases {
        Bases(numbers.into_iter().fold(0, |bits, n| bits | if (1..=2).contains(&n) { 1 << (n - 1) } else { 0 }))
    }

    pub fn with(self, other: Bases) -> Bases {
        Bases(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn contains(self, basis: Basis) -> bool {
        self.0 & Bases::of(basis).0 != 0
    }
}

/// What a move of a report changed, as dashboards see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "apply it to the cache after the transaction commits"]
pub struct Change {
    /// A random number naming this change, so that a server applies it once although it reads
    /// its own back from the change log.
    pub id: u64,
    /// The unit's path in the tree (`ltree` text: ids from the province down).
    pub path: String,
    /// The report's year.
    pub year: i32,
    /// The bases whose figures (or completeness) moved.
    pub bases: Bases,
    /// The paths of the units of today whose history holds the unit (an old commune's
    /// successors, its old province's successor): their subtrees' figures moved too.
    pub successors: Vec<String>,
}

impl Change {
    /// A new change (with a fresh id).
    pub fn new(path: String, year: i32, bases: Bases) -> Change {
        Change { id: rand::random(), path, year, bases, successors: Vec::new() }
    }

    /// The same change, also felt by the units of today holding `successors` in their history.
    pub fn with_successors(mut self, successors: Vec<String>) -> Change {
        self.successors = successors;
        self
    }

    /// `ID PATH YEAR BASES [SUCCESSOR,…]`: the change as the change log keeps it.
    pub fn payload(&self) -> String {
        let mut payload = format!("{} {} {} {}", self.id, self.path, self.year, self.bases.0);
        if !self.successors.is_empty() {
            payload.push(' ');
            payload.push_str(&self.successors.join(","));
        }
        payload
    }

    /// The change in a payload; `None` for a malformed one.
    pub fn from_payload(payload: &str) -> Option<Change> {
        let mut words = payload.split(' ');
        let id = words.next()?.parse().ok()?;
        let path = words.next()?.to_owned();
        let year = words.next()?.parse().ok()?;
        let bases = Bases(words.next()?.parse().ok()?);
        let successors = words.next().map(|w| w.split(',').map(str::to_owned).collect()).unwrap_or_default();
        Some(Change { id, path, year, bases, successors })
    }
}

/// `path` is `root` or lies below it.
fn under(path: &str, root: &str) -> bool {
    path == root || (path.starts_with(root) && path[root.len()..].starts_with('.'))
}

/// What an entry holds, and over what it was computed: the keys are built from validated
/// parameters only (a parsed period, a basis, a unit path from the database, a known indicator).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The subtree's root path; `None` for the country.
    root: Option<String>,
    basis: Basis,
    /// The years of reports the entry reads, first and last.
    years: (i32, i32),
    what: What,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum What {
    Parts(Period),
    /// One child's subtree totals (the key's root is the child): from its roll-up, or read live
    /// below level 2 (see `aggregate::live_parts_of`).
    Subtree(Period),
    /// A rolled-up root's own reports, read live (see `aggregate::live_parts_of`).
    Own(Period),
    /// Flows per old commune (see `aggregate::flows_by_commune`).
    Communes(Period),
    /// The children with roll-ups of a root, or none when the root is read live.
    Children,
    /// The children without roll-ups of a rolled-up root, read live.
    LiveChildren,
    /// Something a dashboard reads from metadata only (targets, sub-units, the calendar, the
    /// agenda): a name and its validated argument.
    Metadata(&'static str, String),
    Quarterly(Period, usize),
    /// The reporting state (submitted when, being corrected) of these units' own reports for the
    /// period's last quarter (see `reports::store::overview`): a dashboard's unit and the units
    /// directly below it.
    Reporting(Period, Vec<i32>),
    Dashboard(String),
    Catalogue,
    /// A unit code (as typed) resolved at a date.
    Unit(String, chrono::NaiveDate),
}

impl Key {
    /// A whole dashboard page body: `variant` names what else shapes it (ranking indicator,
    /// sort, date), `years` every year of reports it reads.
    pub fn dashboard(root: Option<&str>, basis: Basis, years: (i32, i32), variant: String) -> Key {
        Key { root: root.map(str::to_owned), basis, years, what: What::Dashboard(variant) }
    }

    fn affected_by(&self, change: &Change) -> bool {
        if matches!(
            self.what,
            What::Catalogue | What::Unit(..) | What::Children | What::LiveChildren | What::Metadata(..)
        ) {
            return false;
        }
        if let What::Reporting(_, units) = &self.what {
            // Only these units' own reports are read, and their state shows whatever the
            // basis: the moved report's unit is the last id of the change's path.
            let moved = aggregate::root_id(&change.path);
            return moved.is_some_and(|id| units.contains(&id)) && (self.years.0..=self.years.1).contains(&change.year);
        }
        let holds_unit = match &self.root {
            None => true,
            Some(root) => under(&change.path, root) || change.successors.iter().any(|s| under(s, root)),
        };
        holds_unit && (self.years.0..=self.years.1).contains(&change.year) && change.bases.contains(self.basis)
    }
}

#[derive(Clone)]
enum Data {
    Parts(Parts),
    Series(Series),
    Reporting(Arc<Vec<crate::reports::store::OverviewRow>>),
    Dashboard(Arc<super::DashboardBody>),
    Catalogue(Arc<Catalogue>),
    Unit(Unit),
    Subtree(Option<Arc<Totals>>),
    Children(Option<Arc<Vec<(i32, String)>>>),
    LiveChildren(Arc<Vec<String>>),
    Metadata(Arc<dyn std::any::Any + Send + Sync>),
}

fn totals_weight(totals: &Totals) -> u64 {
    totals.len() as u64 * 64
}

impl Data {
    /// A rough size in bytes, for the bound.
    fn weight(&self) -> u32 {
        let totals = totals_weight;
        let bytes = match self {
            Data::Parts(parts) => parts.values().map(totals).sum::<u64>() + parts.len() as u64 * 64,
            Data::Series(series) => series.iter().map(|(_, t)| totals(t)).sum(),
            Data::Reporting(rows) => rows.len() as u64 * 96,
            Data::Dashboard(_) => 64 * 1024,
            Data::Catalogue(_) => 256 * 1024,
            Data::Unit(_) => 512,
            Data::Subtree(totals) => totals.as_ref().map_or(0, |t| totals_weight(t)),
            Data::Children(children) => children.as_ref().map_or(0, |c| c.len() as u64 * 64),
            Data::LiveChildren(children) => children.len() as u64 * 64,
            Data::Metadata(_) => 8 * 1024,
        };
        u32::try_from(bytes.max(256)).unwrap_or(u32::MAX)
    }
}

struct Stamped {
    data: Data,
    /// The metadata generation it was computed in.
    generation: i64,
    /// No change after this epoch affects it (the epoch read before its figures were read,
    /// moved forward by each check).
    verified: AtomicU64,
}

pub struct AggregateCache {
    /// A random number naming this server in its announcements (see [`super::changes`]).
    pub(super) instance: u64,
    /// Woken by every move this server applies: the announcer tells the other servers.
    pub(super) announce: tokio::sync::Notify,
    entries: moka::future::Cache<Key, Arc<Stamped>>,
    epoch: AtomicU64,
    /// The last changes, oldest first, each with its epoch.
    log: Mutex<VecDeque<(u64, Change)>>,
    /// The metadata generation last read, while it may be trusted (see [`GENERATION_TTL`]).
    known: Mutex<KnownGeneration>,
    /// The listener hears [`GENERATION_CHANNEL`]: only then is a known generation used.
    pub(super) listening: std::sync::atomic::AtomicBool,
    /// Whether positions are noted (a read replica is configured).
    tracks_positions: AtomicBool,
    /// (epoch, primary position): every change numbered up to the epoch committed at or before
    /// the position. Oldest first, both increasing; the last [`POSITIONS_KEPT`].
    positions: Mutex<VecDeque<(u64, u64)>>,
    /// How many subtree parts have been read from the database (see [`AggregateCache::parts_read`]).
    parts_read: AtomicU64,
}

/// The generation last read and when the read started; `forgets` counts the times it was
/// forgotten, so that a read overtaken by an announcement does not store a stale value.
#[derive(Default)]
struct KnownGeneration {
    forgets: u64,
    value: Option<(i64, std::time::Instant)>,
}

/// How many (epoch, position) notes are kept.
const POSITIONS_KEPT: usize = 256;

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
            listening: std::sync::atomic::AtomicBool::new(false),
            tracks_positions: AtomicBool::new(false),
            positions: Mutex::new(VecDeque::with_capacity(POSITIONS_KEPT)),
            parts_read: AtomicU64::new(0),
        }
    }
}

/// A database error, owned again: moka hands every waiter of a failed computation the same
/// shared error. Kept distinguishable where it matters (the 503 of an unreachable database).
fn owned_error(error: &sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other if crate::error::is_unavailable(other) => sqlx::Error::Protocol(other.to_string()),
        other => sqlx::Error::Decode(other.to_string().into()),
    }
}

impl AggregateCache {
    /// Records a move of a report this server made, once its transaction has committed: entries
    /// it affects are recomputed on their next use, and the other servers are told to read the
    /// change log (see [`super::changes`]).
    pub fn apply(&self, change: &Change) {
        if change.bases.is_empty() {
            return;
        }
        self.apply_heard(change);
        self.announce.notify_one();
    }

    /// Records a move read from the change log. A change already applied (this server's own,
    /// read back from the log) is skipped.
    pub(super) fn apply_heard(&self, change: &Change) {
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

    /// Starts noting the primary's positions (see the module docs on replicas).
    pub fn track_positions(&self) {
        self.tracks_positions.store(true, Ordering::SeqCst);
    }

    /// Whether positions are noted.
    pub fn tracks_positions(&self) -> bool {
        self.tracks_positions.load(Ordering::SeqCst)
    }

    /// Notes that every change numbered up to `epoch` committed at or before the primary's
    /// position `position`: `epoch` must have been read before `position` was.
    pub fn note_position(&self, epoch: u64, position: u64) {
        let Ok(mut positions) = self.positions.lock() else { return };
        // The first position noted for an epoch is the smallest that covers it.
        if positions.back().is_some_and(|(noted, _)| *noted >= epoch) {
            return;
        }
        positions.push_back((epoch, position));
        while positions.len() > POSITIONS_KEPT {
            positions.pop_front();
        }
    }

    /// The smallest noted position covering every change numbered up to `epoch`, if any.
    fn position_covering(&self, epoch: u64) -> Option<u64> {
        let positions = self.positions.lock().ok()?;
        positions.iter().find(|(e, _)| *e >= epoch).map(|(_, position)| *position)
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

    /// The metadata generation (see the module docs).
    pub async fn generation(pool: &PgPool) -> sqlx::Result<i64> {
        sqlx::query_scalar!("SELECT value FROM data_generation WHERE id = 1").fetch_one(pool).await
    }

    fn fresh(&self, key: &Key, stamped: &Stamped, generation: i64, upto: u64) -> bool {
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

    /// [`view`](Self::view) for a routed read: on the replica when the request may use it and
    /// the replica has replayed every change applied before the request started (see the module
    /// docs), else on the primary.
    pub async fn view_for<'a>(&'a self, read: &'a crate::replica::routing::ReadPool) -> sqlx::Result<View<'a>> {
        let start = self.current_epoch();
        if read.may_use_replica()
            && let Some(position) = self.position_covering(start)
            && let Some(pool) = read.replica_at(position)
        {
            let generation = Self::generation(pool).await?;
            return Ok(View { cache: self, pool, generation, start, on_replica: true });
        }
        self.view(read.primary()).await
    }

    /// The metadata generation without a round trip when it may be trusted: this server listens
    /// for announcements of new generations, none came since it was read, nothing was written
    /// through this server since, and it was read less than [`GENERATION_TTL`] ago. At
    /// quarter-end a cached dashboard view then costs the database nothing, which leaves the
    /// CPU to the saves. Otherwise it is read from the `data_generation` row.
    pub async fn current_generation(&self, pool: &PgPool) -> sqlx::Result<i64> {
        let listening = self.listening.load(Ordering::SeqCst);
        // The lock is released before any await.
        let trusted = self.known.lock().ok().map(|known| match known.value {
            Some((value, read_at)) if listening && read_at.elapsed() < GENERATION_TTL => Ok(value),
            _ => Err(known.forgets),
        });
        let forgets = match trusted {
            Some(Ok(value)) => return Ok(value),
            Some(Err(forgets)) => forgets,
            None => return Self::generation(pool).await,
        };
        let read_at = std::time::Instant::now();
        let value = Self::generation(pool).await?;
        if let Ok(mut known) = self.known.lock()
            && known.forgets == forgets
        {
            known.value = Some((value, read_at));
        }
        Ok(value)
    }

    /// The next view reads the metadata generation from the database: called when a new one is
    /// announced, when the announcements may have been missed, and after every request that
    /// writes through this server (so its author sees the change on the next page).
    pub fn forget_generation(&self) {
        if let Ok(mut known) = self.known.lock() {
            known.forgets += 1;
            known.value = None;
        }
    }

    /// The first year of the `count` quarters ending with the period's last one.
    pub fn first_year_of_trend(period: Period, count: usize) -> i32 {
        let (year, quarter) = period.last_quarter();
        let back = i32::try_from(count.saturating_sub(1)).unwrap_or(i32::MAX / 8);
        let index = year * 4 + i32::from(quarter) - 1 - back;
        index.div_euclid(4)
    }
}

/// One request's reads through the cache (see [`AggregateCache::view`]).
pub struct View<'a> {
    cache: &'a AggregateCache,
    pool: &'a PgPool,
    /// The metadata generation when the request started.
    generation: i64,
    /// Every change numbered up to this one was applied before the request started: the request
    /// must see it.
    start: u64,
    /// Reading a replica that has replayed every change up to `start` (and perhaps not later
    /// ones): what it computes is stamped with `start`.
    on_replica: bool,
}

impl View<'_> {
    /// The epoch to stamp an entry computed now with, read before its figures: on the primary
    /// the latest (changes applied so far are committed there), on the replica the request's
    /// start (the changes it is known to have replayed).
    fn stamp(&self) -> u64 {
        if self.on_replica { self.start } else { self.cache.current_epoch() }
    }

    /// Whether this view reads the replica.
    pub fn on_replica(&self) -> bool {
        self.on_replica
    }

    /// The entry for `key`, computed by `compute` when missing or stale; concurrent requests for
    /// the same key wait for one computation.
    async fn get_or_compute<F, Fut>(&self, key: Key, compute: F) -> sqlx::Result<Data>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = sqlx::Result<Data>>,
    {
        let cache = self.cache;
        for _ in 0..3 {
            if let Some(hit) = cache.entries.get(&key).await {
                if cache.fresh(&key, &hit, self.generation, self.start) {
                    return Ok(hit.data.clone());
                }
                cache.entries.invalidate(&key).await;
            }
            let stamped = cache
                .entries
                .try_get_with(key.clone(), async {
                    // Both read before the figures: a change committed meanwhile shows as newer.
                    // The request's generation, read before it: an entry is never taken for
                    // newer than it is, and no round trip is spent reading it again.
                    let verified = AtomicU64::new(self.stamp());
                    let generation = self.generation;
                    let data = compute().await?;
                    Ok::<_, sqlx::Error>(Arc::new(Stamped { data, generation, verified }))
                })
                .await
                .map_err(|error| owned_error(&error))?;
            if cache.fresh(&key, &stamped, self.generation, self.start) {
                return Ok(stamped.data.clone());
            }
            // It was computed before a change this request must see.
            cache.entries.invalidate(&key).await;
        }
        // Changes to this very subtree keep arriving faster than it computes: answer exactly
        // without the cache.
        compute().await
    }

    /// The parts of a subtree (see [`aggregate::parts`]). Under the country, a province or a
    /// district, each child's subtree is an entry of its own: after a move in one commune, the
    /// country's parts are assembled again from 62 provinces still cached and one read anew.
    pub async fn parts(&self, root: Option<&str>, period: Period, basis: Basis) -> sqlx::Result<Parts> {
        let pool = self.pool;
        let year = period.year();
        let key = Key { root: root.map(str::to_owned), basis, years: (year, year), what: What::Parts(period) };
        let compute = || async {
            let parts = match self.children(root).await? {
                Some(children) => self.assemble(root, &children, period, basis).await?,
                None => aggregate::live_parts(pool, root, period, basis).await?,
            };
            Ok(Data::Parts(Arc::new(parts)))
        };
        match self.get_or_compute(key, compute).await? {
            Data::Parts(parts) => Ok(parts),
            _ => Ok(Arc::new(aggregate::parts(pool, root, period, basis).await?)),
        }
    }

    /// The children with roll-ups of `root`, or `None` when its subtree is read live.
    async fn children(&self, root: Option<&str>) -> sqlx::Result<Option<Arc<Vec<(i32, String)>>>> {
        let pool = self.pool;
        let key = Key { root: root.map(str::to_owned), basis: Basis::Accepted, years: (0, 0), what: What::Children };
        let compute = || async {
            Ok(Data::Children(if aggregate::is_rolled_up(pool, root).await? {
                Some(Arc::new(aggregate::rolled_children(pool, root).await?))
            } else {
                None
            }))
        };
        match self.get_or_compute(key, compute).await? {
            Data::Children(children) => Ok(children),
            _ => Ok(None),
        }
    }

    /// The children without roll-ups of the rolled-up `root`.
    async fn live_children(&self, root: &str) -> sqlx::Result<Arc<Vec<String>>> {
        let pool = self.pool;
        let key = Key { root: Some(root.to_owned()), basis: Basis::Accepted, years: (0, 0), what: What::LiveChildren };
        let compute = || async { Ok(Data::LiveChildren(Arc::new(aggregate::live_children(pool, root).await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::LiveChildren(children) => Ok(children),
            _ => Ok(Arc::new(aggregate::live_children(pool, root).await?)),
        }
    }

    /// A rolled-up root's parts, each an entry of its own: every child's subtree (from its
    /// roll-up, or live below level 2) and the root's own reports (live). Entries missing are
    /// read together, one query for the rolled-up ones and one for the live ones: after an
    /// acceptance in one commune of a province of today, one commune is read again, not the
    /// province's hundred.
    async fn assemble(
        &self,
        root: Option<&str>,
        children: &[(i32, String)],
        period: Period,
        basis: Basis,
    ) -> sqlx::Result<BTreeMap<String, Totals>> {
        let year = period.year();
        let key_of = |path: &str, what: What| Key { root: Some(path.to_owned()), basis, years: (year, year), what };
        let mut parts: BTreeMap<String, Totals> = BTreeMap::new();
        let mut missing: Vec<&(i32, String)> = Vec::new();
        for child in children {
            if !self.cached_part(&key_of(&child.1, What::Subtree(period)), &child.1, &mut parts).await {
                missing.push(child);
            }
        }
        if !missing.is_empty() {
            // Read before the figures, like every entry's stamp.
            let verified = self.stamp();
            let ids: Vec<i32> = missing.iter().map(|(id, _)| *id).collect();
            let mut rolled = super::rollup::totals(self.pool, &ids, period, basis).await?;
            for (id, path) in missing {
                let totals = rolled.remove(id);
                self.store_part(key_of(path, What::Subtree(period)), path, totals, verified, &mut parts).await;
            }
        }
        let Some(root) = root else { return Ok(parts) };
        let live = self.live_children(root).await?;
        let mut missing: Vec<(Key, &str)> = Vec::new();
        let own = key_of(root, What::Own(period));
        let wanted = std::iter::once((own, root))
            .chain(live.iter().map(|path| (key_of(path, What::Subtree(period)), path.as_str())));
        for (key, path) in wanted {
            if !self.cached_part(&key, path, &mut parts).await {
                missing.push((key, path));
            }
        }
        if !missing.is_empty() {
            let verified = self.stamp();
            let paths: Vec<String> = missing.iter().map(|(_, path)| (*path).to_owned()).collect();
            let mut read = aggregate::live_parts_of(self.pool, root, &paths, period, basis).await?;
            for (key, path) in missing {
                let totals = read.remove(path);
                self.store_part(key, path, totals, verified, &mut parts).await;
            }
        }
        Ok(parts)
    }

    /// Adds the cached part under `key` to `parts`; `false` when it is missing or stale.
    async fn cached_part(&self, key: &Key, path: &str, parts: &mut BTreeMap<String, Totals>) -> bool {
        let cache = self.cache;
        match cache.entries.get(key).await {
            Some(hit) if cache.fresh(key, &hit, self.generation, self.start) => {
                if let Data::Subtree(Some(totals)) = &hit.data {
                    parts.insert(path.to_owned(), totals.as_ref().clone());
                }
                true
            }
            _ => false,
        }
    }

    /// Keeps a part just read (stamped `verified`, the epoch read before it) and adds it to
    /// `parts`. The request's own generation is the stamp: it was read before the figures, so
    /// an entry is never taken for newer than it is.
    async fn store_part(
        &self,
        key: Key,
        path: &str,
        totals: Option<Totals>,
        verified: u64,
        parts: &mut BTreeMap<String, Totals>,
    ) {
        self.cache.parts_read.fetch_add(1, Ordering::Relaxed);
        let totals = totals.map(Arc::new);
        if let Some(totals) = &totals {
            parts.insert(path.to_owned(), totals.as_ref().clone());
        }
        let stamped =
            Stamped { data: Data::Subtree(totals), generation: self.generation, verified: AtomicU64::new(verified) };
        self.cache.entries.insert(key, Arc::new(stamped)).await;
    }

    /// The database this view reads.
    pub fn pool(&self) -> &PgPool {
        self.pool
    }

    /// Flows per old commune under `root` (see [`aggregate::flows_by_commune`]).
    pub async fn flows_by_commune(&self, root: &str, period: Period, basis: Basis) -> sqlx::Result<Parts> {
        let pool = self.pool;
        let year = period.year();
        let key = Key { root: Some(root.to_owned()), basis, years: (year, year), what: What::Communes(period) };
        let compute =
            || async { Ok(Data::Parts(Arc::new(aggregate::flows_by_commune(pool, root, period, basis).await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::Parts(parts) => Ok(parts),
            _ => Ok(Arc::new(aggregate::flows_by_commune(pool, root, period, basis).await?)),
        }
    }

    /// The totals of a subtree.
    pub async fn totals(&self, root: Option<&str>, period: Period, basis: Basis) -> sqlx::Result<Totals> {
        Ok(aggregate::sum_parts(self.parts(root, period, basis).await?.values()))
    }

    /// Each of the last `count` quarters (see [`aggregate::quarterly`]).
    pub async fn quarterly(
        &self,
        root: Option<&str>,
        period: Period,
        count: usize,
        basis: Basis,
    ) -> sqlx::Result<Series> {
        let pool = self.pool;
        let years = (AggregateCache::first_year_of_trend(period, count), period.year());
        let key = Key { root: root.map(str::to_owned), basis, years, what: What::Quarterly(period, count) };
        let compute =
            || async { Ok(Data::Series(Arc::new(aggregate::quarterly(pool, root, period, count, basis).await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::Series(series) => Ok(series),
            _ => Ok(Arc::new(aggregate::quarterly(pool, root, period, count, basis).await?)),
        }
    }

    /// The reporting state of `units` (a dashboard's unit at `root` and the units directly below
    /// it) for the last quarter of `period`: kept until a report of one of them moves, so that a
    /// correction in a commune does not make the national dashboard read the provinces' reports.
    pub async fn reporting(
        &self,
        root: Option<&str>,
        units: &[i32],
        period: Period,
    ) -> sqlx::Result<Arc<Vec<crate::reports::store::OverviewRow>>> {
        let pool = self.pool;
        let quarter = period.final_quarter();
        let year = quarter.year();
        let read = || crate::reports::store::overview(pool, units, quarter);
        let key = Key {
            root: root.map(str::to_owned),
            basis: Basis::Accepted,
            years: (year, year),
            what: What::Reporting(period, units.to_vec()),
        };
        let compute = || async { Ok(Data::Reporting(Arc::new(read().await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::Reporting(rows) => Ok(rows),
            _ => Ok(Arc::new(read().await?)),
        }
    }

    /// The catalogue as dashboards read it, per metadata generation.
    pub async fn catalogue(&self) -> sqlx::Result<Arc<Catalogue>> {
        let pool = self.pool;
        let key = Key { root: None, basis: Basis::Accepted, years: (0, 0), what: What::Catalogue };
        let compute = || async { Ok(Data::Catalogue(Arc::new(Catalogue::load(pool).await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::Catalogue(catalogue) => Ok(catalogue),
            _ => Ok(Arc::new(Catalogue::load(pool).await?)),
        }
    }

    /// A value derived from metadata only (never from reports), computed once per metadata
    /// generation: `name` says what it is, `argument` what it is for (a unit's path, a date).
    pub async fn metadata<T, F, Fut>(&self, name: &'static str, argument: String, compute: F) -> sqlx::Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = sqlx::Result<T>>,
    {
        let key = Key { root: None, basis: Basis::Accepted, years: (0, 0), what: What::Metadata(name, argument) };
        let wrapped = || async {
            let value: Arc<dyn std::any::Any + Send + Sync> = Arc::new(compute().await?);
            Ok(Data::Metadata(value))
        };
        if let Data::Metadata(value) = self.get_or_compute(key, wrapped).await?
            && let Ok(value) = value.downcast::<T>()
        {
            return Ok(value);
        }
        Ok(Arc::new(compute().await?))
    }

    /// The unit a code means at a date (see `units::queries::resolve`), per metadata generation.
    /// Only units that exist are kept, so unknown codes cannot fill the cache.
    pub async fn unit(&self, code: &str, date: chrono::NaiveDate) -> sqlx::Result<Option<Unit>> {
        let key = Key { root: None, basis: Basis::Accepted, years: (0, 0), what: What::Unit(code.to_owned(), date) };
        if let Some(hit) = self.cache.entries.get(&key).await
            && hit.generation >= self.generation
            && let Data::Unit(unit) = &hit.data
        {
            return Ok(Some(unit.clone()));
        }
        let found = queries::resolve(self.pool, code, date).await?;
        if let Some(unit) = &found {
            // Read after the generation this view holds: as fresh as that generation.
            let stamped = Stamped {
                data: Data::Unit(unit.clone()),
                generation: self.generation,
                verified: AtomicU64::new(self.start),
            };
            self.cache.entries.insert(key, Arc::new(stamped)).await;
        }
        Ok(found)
    }

    /// A whole dashboard body, computed by `compute` when missing or stale.
    pub async fn dashboard<F, Fut>(&self, key: Key, compute: F) -> crate::error::AppResult<Arc<super::DashboardBody>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = crate::error::AppResult<Arc<super::DashboardBody>>>,
    {
        // Application errors (a 404 inside the computation) travel through a side slot, since
        // the cache only carries database errors.
        let failure: Mutex<Option<crate::error::AppError>> = Mutex::new(None);
        let wrapped = || async {
            match compute().await {
                Ok(body) => Ok(Data::Dashboard(body)),
                Err(crate::error::AppError::Database(error)) => Err(error),
                Err(other) => {
                    if let Ok(mut slot) = failure.lock() {
                        *slot = Some(other);
                    }
                    Err(sqlx::Error::RowNotFound)
                }
            }
        };
        match self.get_or_compute(key, wrapped).await {
            Ok(Data::Dashboard(body)) => Ok(body),
            Ok(_) => compute().await,
            Err(error) => match failure.lock().ok().and_then(|mut slot| slot.take()) {
                Some(failure) => Err(failure),
                None => Err(error.into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, year: i32, bases: Bases) -> Change {
        Change::new(path.to_owned(), year, bases)
    }

    fn parts_key(root: Option<&str>, year: i32, basis: Basis) -> Key {
        Key { root: root.map(str::to_owned), basis, years: (year, year), what: What::Parts(Period::Year { year }) }
    }

    #[test]
    fn a_change_touches_its_ancestors_years_and_bases_only() {
        let accepted = Bases::of(Basis::Accepted);
        let moved = change("12.345.6789", 2024, accepted);
        assert!(parts_key(None, 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12.345"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("12.345.6789"), 2024, Basis::Accepted).affected_by(&moved));
        // Another province, a province whose id starts alike, another year, another basis.
        assert!(!parts_key(Some("13"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("1"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("12.34"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(None, 2023, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(None, 2024, Basis::Submitted).affected_by(&moved));
    }

    #[test]
    fn reporting_states_are_touched_by_moves_of_the_units_they_list_only() {
        let reporting = |root: Option<&str>, units: &[i32]| Key {
            root: root.map(str::to_owned),
            basis: Basis::Accepted,
            years: (2024, 2024),
            what: What::Reporting(Period::Year { year: 2024 }, units.to_vec()),
        };
        let submitted = Bases::of(Basis::Submitted);
        let commune = change("12.345.6789", 2024, submitted);
        // The commune's own state shows on its district's dashboard and its own, whatever the basis.
        assert!(reporting(Some("12.345"), &[345, 6788, 6789]).affected_by(&commune));
        assert!(reporting(Some("12.345.6789"), &[6789]).affected_by(&commune));
        // The country and the province list provinces and districts: a commune's move leaves them,
        // even though its province of today (a successor) is one of the country's children.
        let old = change("12.345.6789", 2024, submitted).with_successors(vec!["20".to_owned(), "20.7001".to_owned()]);
        assert!(!reporting(None, &[12, 13, 20]).affected_by(&old));
        assert!(!reporting(Some("12"), &[12, 345, 346]).affected_by(&commune));
        assert!(reporting(None, &[12, 13]).affected_by(&change("12", 2024, submitted)));
        assert!(!reporting(None, &[12, 13]).affected_by(&change("12", 2023, submitted)));
    }

    #[test]
    fn a_change_in_an_old_unit_touches_the_units_of_today_holding_its_history() {
        // Old commune 12.345.6789 went into commune 90.91 of today's province 90.
        let moved =
            change("12.345.6789", 2024, Bases::of(Basis::Accepted)).with_successors(vec!["90.91".into(), "90".into()]);
        assert!(parts_key(Some("90"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(parts_key(Some("90.91"), 2024, Basis::Accepted).affected_by(&moved));
        assert!(!parts_key(Some("90.92"), 2024, Basis::Accepted).affected_by(&moved), "a sibling of today");
        assert!(!parts_key(Some("91"), 2024, Basis::Accepted).affected_by(&moved));
        let heard = Change::from_payload(&moved.payload()).expect("payload");
        assert_eq!(heard, moved);
    }

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
    fn payloads_round_trip_and_a_change_heard_twice_counts_once() {
        let moved = change("12.345", 2024, Bases::ALL);
        assert_eq!(Change::from_payload(&moved.payload()), Some(moved.clone()));
        assert_eq!(Change::from_payload("garbage"), None);
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
    }
}
