//! Aggregates computed once per data generation. Every change to reports or their values bumps
//! `data_generation` in the same transaction (a trigger), so a cached figure is never stale: the
//! first view after a change recomputes it, the following ones are served from memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use super::aggregate::{self, Basis, Totals};
use crate::reports::Period;

type Parts = Arc<BTreeMap<String, Totals>>;
type Series = Arc<Vec<(Period, Totals)>>;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Parts(Option<String>, Period, Basis),
    Quarterly(Option<String>, Period, usize, Basis),
    Dashboard(String),
}

enum Entry {
    Parts(Parts),
    Series(Series),
    Dashboard(Arc<super::DashboardBody>),
}

/// Bounded: a deployment looks at a few hundred dashboards between two changes.
const CAPACITY: usize = 2_000;

#[derive(Default)]
pub struct AggregateCache {
    entries: Mutex<(i64, HashMap<Key, Entry>)>,
    /// One computation at a time, so that a burst of requests after a change does not start
    /// the same heavy query thirty times.
    computing: tokio::sync::Mutex<()>,
}

impl AggregateCache {
    pub async fn current_generation(pool: &PgPool) -> sqlx::Result<i64> {
        Self::generation(pool).await
    }

    /// A whole dashboard body computed in this generation, if any.
    pub async fn dashboard(&self, pool: &PgPool, key: &str) -> sqlx::Result<Option<Arc<super::DashboardBody>>> {
        let generation = Self::generation(pool).await?;
        Ok(match self.lookup(generation, &Key::Dashboard(key.to_owned())) {
            Some(Entry::Dashboard(body)) => Some(body),
            _ => None,
        })
    }

    pub fn store_dashboard(&self, generation: i64, key: String, body: Arc<super::DashboardBody>) {
        self.store(generation, Key::Dashboard(key), Entry::Dashboard(body));
    }

    async fn generation(pool: &PgPool) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT value FROM data_generation WHERE id = 1").fetch_one(pool).await
    }

    fn lookup(&self, generation: i64, key: &Key) -> Option<Entry> {
        let entries = self.entries.lock().ok()?;
        if entries.0 != generation {
            return None;
        }
        entries.1.get(key).map(|entry| match entry {
            Entry::Parts(p) => Entry::Parts(p.clone()),
            Entry::Series(s) => Entry::Series(s.clone()),
            Entry::Dashboard(d) => Entry::Dashboard(d.clone()),
        })
    }

    fn store(&self, generation: i64, key: Key, entry: Entry) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.0 != generation || entries.1.len() >= CAPACITY {
                *entries = (generation, HashMap::new());
            }
            entries.1.insert(key, entry);
        }
    }

    pub async fn parts(&self, pool: &PgPool, root: Option<&str>, period: Period, basis: Basis) -> sqlx::Result<Parts> {
        let key = Key::Parts(root.map(str::to_owned), period, basis);
        let generation = Self::generation(pool).await?;
        if let Some(Entry::Parts(parts)) = self.lookup(generation, &key) {
            return Ok(parts);
        }
        let _turn = self.computing.lock().await;
        let generation = Self::generation(pool).await?;
        if let Some(Entry::Parts(parts)) = self.lookup(generation, &key) {
            return Ok(parts);
        }
        let parts = Arc::new(aggregate::parts(pool, root, period, basis).await?);
        self.store(generation, key, Entry::Parts(parts.clone()));
        Ok(parts)
    }

    pub async fn totals(
        &self,
        pool: &PgPool,
        root: Option<&str>,
        period: Period,
        basis: Basis,
    ) -> sqlx::Result<Totals> {
        Ok(aggregate::sum_parts(self.parts(pool, root, period, basis).await?.values()))
    }

    pub async fn quarterly(
        &self,
        pool: &PgPool,
        root: Option<&str>,
        period: Period,
        count: usize,
        basis: Basis,
    ) -> sqlx::Result<Series> {
        let key = Key::Quarterly(root.map(str::to_owned), period, count, basis);
        let generation = Self::generation(pool).await?;
        if let Some(Entry::Series(series)) = self.lookup(generation, &key) {
            return Ok(series);
        }
        let _turn = self.computing.lock().await;
        let generation = Self::generation(pool).await?;
        if let Some(Entry::Series(series)) = self.lookup(generation, &key) {
            return Ok(series);
        }
        let series = Arc::new(aggregate::quarterly(pool, root, period, count, basis).await?);
        self.store(generation, key, Entry::Series(series.clone()));
        Ok(series)
    }
}
