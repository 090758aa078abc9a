//! One request's reads through the cache ([`View`]): each entry is used if fresh for the
//! request, else computed once (concurrent requests for a key wait for one computation) and
//! kept stamped with what it is fresh for.

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use super::aggregate_cache::AggregateCache;
use super::entry::{Data, Parts, Series, Stamped};
use super::key::{Key, What};
use crate::catalogue::Catalogue;
use crate::dashboards::aggregate::{self, Basis, Totals};
use crate::reports::Period;
use crate::units::{Level, Unit, UnitId, queries};

/// One request's reads through the cache (see [`AggregateCache::view`]).
pub struct View<'a> {
    pub(super) cache: &'a AggregateCache,
    pub(super) pool: &'a PgPool,
    /// The metadata generation when the request started.
    pub(super) generation: i64,
    /// Every change numbered up to this one was applied before the request started: the request
    /// must see it.
    pub(super) start: u64,
    /// Reading a replica that has replayed every change up to `start` (and perhaps not later
    /// ones): what it computes is stamped with `start`.
    pub(super) on_replica: bool,
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

/// The key of a trend of `count` quarters up to the period's end, which reads those quarters'
/// years.
fn trend_key(root: Option<&str>, basis: Basis, period: Period, count: usize, what: What) -> Key {
    let years = (AggregateCache::first_year_of_trend(period, count), period.year());
    Key { root: root.map(str::to_owned), basis, years, what }
}

impl View<'_> {
    /// The epoch to stamp an entry computed now with, read before its figures: on the primary
    /// the latest (changes applied so far are committed there), on the replica the request's
    /// start (the changes it is known to have replayed).
    pub(super) fn stamp(&self) -> u64 {
        if self.on_replica { self.start } else { self.cache.current_epoch() }
    }

    /// Whether this view reads the replica.
    pub fn on_replica(&self) -> bool {
        self.on_replica
    }

    /// The entry for `key`, computed by `compute` when missing or stale; concurrent requests for
    /// the same key wait for one computation.
    pub(super) async fn get_or_compute<F, Fut>(&self, key: Key, compute: F) -> sqlx::Result<Data>
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

    /// Each of the last `count` quarters of the subtree of `root` (its path and level; `None`:
    /// the country), see [`aggregate::quarterly`].
    pub async fn quarterly(
        &self,
        root: Option<(&str, Level)>,
        period: Period,
        count: usize,
        basis: Basis,
    ) -> sqlx::Result<Series> {
        let pool = self.pool;
        let key = trend_key(root.map(|(path, _)| path), basis, period, count, What::Quarterly(period, count));
        self.series(key, || aggregate::quarterly(pool, root, period, count, basis)).await
    }

    /// Each of the last `count` quarters of the live subtree `root` across the 2025 reform, with
    /// `earlier` (its counted predecessors) before the quarter `before` (see
    /// [`aggregate::quarterly_across`]). Kept under `root`: a move of a predecessor's report
    /// names `root` among its successors, so it makes the entry stale like a move under `root`.
    pub async fn quarterly_across(
        &self,
        root: &str,
        earlier: &[String],
        before: i32,
        period: Period,
        count: usize,
        basis: Basis,
    ) -> sqlx::Result<Series> {
        let pool = self.pool;
        let key = trend_key(Some(root), basis, period, count, What::QuarterlyAcross(period, count));
        self.series(key, || aggregate::quarterly_across(pool, root, earlier, before, period, count, basis)).await
    }

    /// A series under `key`, read by `read` when missing or stale.
    async fn series<F, Fut>(&self, key: Key, read: F) -> sqlx::Result<Series>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = sqlx::Result<Vec<(Period, Totals)>>>,
    {
        let compute = || async { Ok(Data::Series(Arc::new(read().await?))) };
        match self.get_or_compute(key, compute).await? {
            Data::Series(series) => Ok(series),
            _ => Ok(Arc::new(read().await?)),
        }
    }

    /// The reporting state of `units` (a dashboard's unit at `root` and the units directly below
    /// it) for the last quarter of `period`: kept until a report of one of them moves, so that a
    /// correction in a commune does not make the national dashboard read the provinces' reports.
    pub async fn reporting(
        &self,
        root: Option<&str>,
        units: &[UnitId],
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
    pub async fn dashboard<F, Fut>(
        &self,
        key: Key,
        compute: F,
    ) -> crate::error::AppResult<Arc<crate::dashboards::DashboardBody>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = crate::error::AppResult<Arc<crate::dashboards::DashboardBody>>>,
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
