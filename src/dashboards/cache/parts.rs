//! A subtree's parts read through the cache: under the country, a province or a district, each
//! child's subtree and the root's own reports are entries of their own, so a move in one
//! commune makes one part be read again, not the whole subtree.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::entry::{Data, Parts, Stamped};
use super::key::{Key, What};
use super::view::View;
use crate::dashboards::aggregate::{self, Basis, Totals};
use crate::reports::Period;
use crate::units::UnitId;

impl View<'_> {
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

    /// The totals of a subtree (`None`: the country). A province's or a district's come from its
    /// own roll-up, one entry: the one its parent's parts keep for it. Summing its parts instead
    /// read every commune of a province of today live (some 7.000 values a quarter) on a first
    /// view, for the year-on-year comparison alone.
    pub async fn totals(&self, root: Option<&str>, period: Period, basis: Basis) -> sqlx::Result<Totals> {
        if let Some(path) = root
            && let Some(id) = aggregate::root_id(path)
            && self.children(root).await?.is_some()
        {
            return self.rolled_up_totals(id, path, period, basis).await;
        }
        Ok(aggregate::sum_parts(self.parts(root, period, basis).await?.values()))
    }

    /// The totals of the rolled-up subtree `path` (`id`, its unit's) from its roll-up, through
    /// the entry [`View::assemble`] keeps for it as its parent's part.
    async fn rolled_up_totals(&self, id: UnitId, path: &str, period: Period, basis: Basis) -> sqlx::Result<Totals> {
        let year = period.year();
        let key = Key { root: Some(path.to_owned()), basis, years: (year, year), what: What::Subtree(period) };
        let read = || async {
            let mut rolled = crate::dashboards::rollup::totals(self.pool, &[id], period, basis).await?;
            Ok::<_, sqlx::Error>(rolled.remove(&id))
        };
        let compute = || async {
            self.cache.parts_read.fetch_add(1, Ordering::Relaxed);
            Ok(Data::Subtree(read().await?.map(Arc::new)))
        };
        match self.get_or_compute(key, compute).await? {
            Data::Subtree(totals) => Ok(totals.map(|totals| totals.as_ref().clone()).unwrap_or_default()),
            _ => Ok(read().await?.unwrap_or_default()),
        }
    }

    /// The children with roll-ups of `root`, or `None` when its subtree is read live.
    async fn children(&self, root: Option<&str>) -> sqlx::Result<Option<Arc<Vec<(UnitId, String)>>>> {
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
        children: &[(UnitId, String)],
        period: Period,
        basis: Basis,
    ) -> sqlx::Result<BTreeMap<String, Totals>> {
        let year = period.year();
        let key_of = |path: &str, what: What| Key { root: Some(path.to_owned()), basis, years: (year, year), what };
        let mut parts: BTreeMap<String, Totals> = BTreeMap::new();
        let mut missing: Vec<&(UnitId, String)> = Vec::new();
        for child in children {
            if !self.cached_part(&key_of(&child.1, What::Subtree(period)), &child.1, &mut parts).await {
                missing.push(child);
            }
        }
        if !missing.is_empty() {
            // Read before the figures, like every entry's stamp.
            let verified = self.stamp();
            let ids: Vec<UnitId> = missing.iter().map(|(id, _)| *id).collect();
            let mut rolled = crate::dashboards::rollup::totals(self.pool, &ids, period, basis).await?;
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
            let pool = self.pool;
            // Per metadata generation: a change of an element's rule starts a new one.
            let stocks =
                self.metadata("stock_codes", String::new(), || crate::catalogue::store::stock_codes(pool)).await?;
            let mut read = aggregate::live_parts_of(pool, root, &paths, &stocks, period, basis).await?;
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
}
