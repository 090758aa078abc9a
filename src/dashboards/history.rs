//! Figures across the 2025 reform: a unit of today reaches back through the units it was
//! formed from, so that its trends, year-on-year comparisons and totals do not start on
//! 1 July 2025.
//!
//! # The rule (see also the README, "History through the lineage")
//! For a unit and a period, which part of the unit's life the period falls in ([`Era`]):
//! - **Own**: the unit existed for the whole period (every unit before the reform, every unit
//!   of today from 2025-Q3): its own subtree, as always.
//! - **Before**: the period ended before the unit existed (today's An Giang over 2020): its
//!   figures are its predecessors', flows and stocks alike, and the units "directly below" it
//!   for that period are those predecessors. Provinces were merged whole, so a province's
//!   history is exact. An old commune split between several communes of today (822 pieces in
//!   the official conversion table) cannot be divided exactly: it counts **in full in one**
//!   successor, its principal one (the one that took it whole, its whole population or its
//!   name, else "the rest", else the smallest code: `units::queries::PRINCIPAL_ORDER`), and in
//!   no other. Every successor that received a part lists it with "một phần" and its figure is
//!   marked as estimated ([`Composite::estimated`]); sums over today's units never count an
//!   old unit twice, so every level still adds up.
//! - **Spanning**: the period holds quarters on both sides of 1 July 2025 (2025, 2025-9M):
//!   flows are the predecessors' before the reform plus the unit's own after; a stock is the
//!   value at the period's end, so only units that exist at the period's end count (their
//!   latest value within it): a dissolved unit's last value is history, not part of a later
//!   total. The predecessors' flows are handed to the unit of today below that holds each old
//!   commune (the same principal rule); what belongs to no unit below (the old province's and
//!   districts' own reports) is part of the unit's own figures. The country over such a period
//!   is the sum of today's provinces, each with its predecessors' first half.
//!
//! In every era the parts add up: `totals = own + Σ children` for flows and stocks, which the
//! aggregates API exposes as `own` and `children`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::aggregate::{self, Basis, Totals};
use super::cache::View;
use crate::catalogue::Catalogue;
use crate::reports::{Period, Quarter};
use crate::units::queries::{self, Predecessor};
use crate::units::{Level, Unit, reference};

/// Which part of a unit's life a period falls in (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Own,
    Before,
    Spanning,
}

/// The era of `period` for `unit` (`None`: the country, which spans the reform in 2025).
pub fn era(unit: Option<&Unit>, period: Period) -> Era {
    let starts = match unit {
        None => Some(reference::reform_date()),
        Some(unit) => unit.valid_from,
    };
    match starts {
        Some(from) if period.end_date() < from => {
            if unit.is_some() {
                Era::Before
            } else {
                Era::Own
            }
        }
        Some(from) if period.start_date() < from => Era::Spanning,
        _ => Era::Own,
    }
}

/// A unit's figures over a period, in parts that add up to them.
#[derive(Debug, Clone)]
pub struct Composite {
    pub era: Era,
    /// Keyed by unit path: the unit's own figures (its own path: its own reports and, across the
    /// reform, what belongs to no unit below), then one part per unit in [`Self::children`].
    pub parts: BTreeMap<String, Totals>,
    /// The units directly below at the period's end; for a period before the unit existed, the
    /// predecessors whose figures count in it.
    pub children: Arc<Vec<Unit>>,
    /// The units it was formed from, for a period (or part of one) before it existed.
    pub sources: Arc<Vec<Predecessor>>,
}

impl Composite {
    pub fn totals(&self) -> Totals {
        aggregate::sum_parts(self.parts.values())
    }

    /// The figures of no unit below: `totals − Σ children`.
    pub fn own(&self, root: Option<&str>) -> Totals {
        let children: HashSet<&str> = self.children.iter().map(|c| c.path.as_str()).collect();
        let own =
            self.parts.iter().filter(|(path, _)| !children.contains(path.as_str()) || Some(path.as_str()) == root);
        aggregate::sum_parts(own.map(|(_, totals)| totals))
    }

    /// The part of one unit below.
    pub fn child(&self, path: &str) -> Option<&Totals> {
        self.parts.get(path)
    }

    /// Whether an old unit split between several units of today counts here (in full) or was
    /// left to another of them: the figure cannot be exact.
    pub fn estimated(&self) -> bool {
        self.era != Era::Own && self.sources.iter().any(Predecessor::is_split)
    }
}

/// Whether a key (`CODE` or `CODE.ORG`) is a flow (summed over quarters), not a stock.
fn is_flow(catalogue: &Catalogue, key: &str) -> bool {
    let code = key.split_once('.').map_or(key, |(code, _)| code);
    catalogue.element(code).is_none_or(|e| !e.is_stock())
}

fn add_flows(into: &mut Totals, from: &Totals, catalogue: &Catalogue) {
    for (key, value) in from {
        if is_flow(catalogue, key) {
            *into.entry(key.clone()).or_insert(Decimal::ZERO) += value;
        }
    }
}

fn add_all(into: &mut Totals, from: &Totals) {
    for (key, value) in from {
        *into.entry(key.clone()).or_insert(Decimal::ZERO) += value;
    }
}

/// The units a unit was formed from (metadata, cached per generation).
pub async fn sources(view: &View<'_>, unit: &Unit) -> sqlx::Result<Arc<Vec<Predecessor>>> {
    if unit.valid_from.is_none() {
        return Ok(Arc::new(Vec::new()));
    }
    let pool = view.pool();
    let id = unit.id;
    view.metadata("predecessors", unit.path.clone(), || queries::predecessors_for_figures(pool, id)).await
}

/// The units directly below `unit` (None: the country) on `date`.
async fn children_on(view: &View<'_>, unit: Option<&Unit>, date: chrono::NaiveDate) -> sqlx::Result<Arc<Vec<Unit>>> {
    let pool = view.pool();
    let key = format!("{}|{date}", unit.map_or("", |u| u.path.as_str()));
    let id = unit.map(|u| u.id);
    view.metadata("children", key, || async move {
        let all = match id {
            Some(id) => queries::children(pool, id).await?,
            None => queries::provinces_on(pool, date).await?,
        };
        Ok(all.into_iter().filter(|u| u.is_valid_on(date)).collect::<Vec<Unit>>())
    })
    .await
}

/// The figures of `unit` (None: the country) over `period`, across the reform.
pub async fn composite(view: &View<'_>, unit: Option<&Unit>, period: Period, basis: Basis) -> sqlx::Result<Composite> {
    let era = era(unit, period);
    let path = unit.map(|u| u.path.as_str());
    let no_sources = || Arc::new(Vec::new());
    match (era, unit) {
        (Era::Own, _) => {
            let (parts, children) =
                tokio::try_join!(view.parts(path, period, basis), children_on(view, unit, period.end_date()))?;
            Ok(Composite { era, parts: parts.as_ref().clone(), children, sources: no_sources() })
        }
        (Era::Before, Some(unit)) => {
            let sources = sources(view, unit).await?;
            let mut parts = BTreeMap::new();
            let mut children = Vec::new();
            for old in sources.iter().filter(|p| p.counted) {
                parts.insert(old.unit.path.clone(), view.totals(Some(&old.unit.path), period, basis).await?);
                children.push(old.unit.clone());
            }
            Ok(Composite { era, parts, children: Arc::new(children), sources })
        }
        (_, None) => {
            // The country across the reform: today's provinces, each with its predecessors'
            // flows. Every province's subtree (old and new) is one part of the country's own
            // parts, read from the roll-ups and cached per province.
            let catalogue = view.catalogue().await?;
            let every_province = view.parts(None, period, basis).await?;
            let children = children_on(view, None, period.end_date()).await?;
            let mut parts = BTreeMap::new();
            for province in children.iter() {
                let mut totals = every_province.get(&province.path).cloned().unwrap_or_default();
                for old in sources(view, province).await?.iter().filter(|p| p.counted) {
                    if let Some(theirs) = every_province.get(&old.unit.path) {
                        add_flows(&mut totals, theirs, &catalogue);
                    }
                }
                parts.insert(province.path.clone(), totals);
            }
            Ok(Composite { era, parts, children, sources: no_sources() })
        }
        (_, Some(unit)) => spanning(view, unit, period, basis).await,
    }
}

/// A unit of today over a period that spans the reform (see the module docs).
async fn spanning(view: &View<'_>, unit: &Unit, period: Period, basis: Basis) -> sqlx::Result<Composite> {
    let catalogue = view.catalogue().await?;
    let (parts, children, sources) = tokio::try_join!(
        view.parts(Some(&unit.path), period, basis),
        children_on(view, Some(unit), period.end_date()),
        sources(view, unit),
    )?;
    let mut parts = parts.as_ref().clone();
    let counted: Vec<&Predecessor> = sources.iter().filter(|p| p.counted).collect();
    if unit.level == Level::Province && !counted.is_empty() {
        // Each old commune's flows go to the commune of today that holds it.
        let roots: Vec<String> = counted.iter().map(|p| p.unit.path.clone()).collect();
        let pool = view.pool();
        let key = roots.join(",");
        let principal = view
            .metadata("principal_successors", key, || async {
                Ok(queries::principal_successors(pool, &roots).await?.into_iter().collect::<HashMap<String, String>>())
            })
            .await?;
        let below: HashSet<&str> = children.iter().map(|c| c.path.as_str()).collect();
        for old in &counted {
            for (old_path, flows) in view.flows_by_commune(&old.unit.path, period, basis).await?.iter() {
                let target = principal
                    .get(old_path)
                    .filter(|new| below.contains(new.as_str()))
                    .cloned()
                    .unwrap_or_else(|| unit.path.clone());
                add_flows(parts.entry(target).or_default(), flows, &catalogue);
            }
        }
    } else {
        let own = parts.entry(unit.path.clone()).or_default();
        add_predecessors_flows(view, own, &counted, period, basis, &catalogue).await?;
    }
    Ok(Composite { era: Era::Spanning, parts, children, sources })
}

/// Adds to `into` the flows of each predecessor's whole subtree over `period`.
async fn add_predecessors_flows(
    view: &View<'_>,
    into: &mut Totals,
    predecessors: &[&Predecessor],
    period: Period,
    basis: Basis,
    catalogue: &Catalogue,
) -> sqlx::Result<()> {
    for old in predecessors {
        add_flows(into, &view.totals(Some(&old.unit.path), period, basis).await?, catalogue);
    }
    Ok(())
}

/// The totals of `unit` over `period` across the reform: [`composite`]'s, summed. Across it, a
/// unit of today's totals are its own subtree's and its counted predecessors' flows, whichever
/// unit below each old commune goes to: read as whole subtrees (a province's from roll-ups),
/// not old commune by old commune as its parts are, which made a province's year-on-year
/// comparison read every report of its old provinces' first half on a first view.
pub async fn totals(view: &View<'_>, unit: Option<&Unit>, period: Period, basis: Basis) -> sqlx::Result<Totals> {
    match (era(unit, period), unit) {
        (Era::Own, _) => view.totals(unit.map(|u| u.path.as_str()), period, basis).await,
        (Era::Spanning, Some(unit)) => {
            let catalogue = view.catalogue().await?;
            let mut totals = view.totals(Some(&unit.path), period, basis).await?;
            let sources = sources(view, unit).await?;
            let counted: Vec<&Predecessor> = sources.iter().filter(|p| p.counted).collect();
            add_predecessors_flows(view, &mut totals, &counted, period, basis, &catalogue).await?;
            Ok(totals)
        }
        _ => Ok(composite(view, unit, period, basis).await?.totals()),
    }
}

/// Each of the last `count` quarters up to the period's end, across the reform: quarters
/// before a unit of today existed are its counted predecessors'. Within one quarter only one
/// tree reports, so quarters add up without a stock rule. A commune of today and its old
/// communes are read in one statement; a province of today adds its old provinces' roll-ups.
pub async fn quarterly(
    view: &View<'_>,
    unit: Option<&Unit>,
    period: Period,
    count: usize,
    basis: Basis,
) -> sqlx::Result<Vec<(Period, Totals)>> {
    let root = unit.map(|u| (u.path.as_str(), u.level));
    let (Some(unit), Some(from)) = (unit, unit.and_then(|u| u.valid_from)) else {
        return Ok(view.quarterly(root, period, count, basis).await?.as_ref().clone());
    };
    if aggregate::trend_start(period, count).first_day() >= from {
        return Ok(view.quarterly(root, period, count, basis).await?.as_ref().clone());
    }
    let sources = sources(view, unit).await?;
    let counted: Vec<&Predecessor> = sources.iter().filter(|p| p.counted).collect();
    if aggregate::is_read_live(unit.level) && counted.iter().all(|p| aggregate::is_read_live(p.unit.level)) {
        let earlier: Vec<String> = counted.iter().map(|p| p.unit.path.clone()).collect();
        let before = Quarter::containing(from).sql_key();
        return Ok(view.quarterly_across(&unit.path, &earlier, before, period, count, basis).await?.as_ref().clone());
    }
    let mut series = view.quarterly(root, period, count, basis).await?.as_ref().clone();
    for old in counted {
        let theirs = view.quarterly(Some((&old.unit.path, old.unit.level)), period, count, basis).await?;
        for ((quarter, totals), (_, old_totals)) in series.iter_mut().zip(theirs.iter()) {
            if quarter.end_date() < from {
                add_all(totals, old_totals);
            }
        }
    }
    Ok(series)
}

/// The label of the first quarter of the two-tier tree ("quý III năm 2025"), where trends mark
/// the reform.
pub fn reform_quarter() -> Period {
    Period::containing(reference::reform_date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::testing;

    fn unit(valid_from: Option<(i32, u32, u32)>) -> Unit {
        testing::unit(Level::Province, "91", "Tỉnh An Giang")
            .valid_from(valid_from.and_then(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d)))
            .build()
    }

    #[test]
    fn eras_follow_the_reform() {
        let new = unit(Some((2025, 7, 1)));
        let old = unit(None);
        assert_eq!(era(Some(&new), Period::Year { year: 2020 }), Era::Before);
        assert_eq!(era(Some(&new), Period::HalfYear { year: 2025 }), Era::Before);
        assert_eq!(era(Some(&new), Period::Year { year: 2025 }), Era::Spanning);
        assert_eq!(era(Some(&new), Period::NineMonths { year: 2025 }), Era::Spanning);
        assert_eq!(era(Some(&new), Period::Quarter { year: 2025, quarter: 3 }), Era::Own);
        assert_eq!(era(Some(&old), Period::Year { year: 2025 }), Era::Own);
        assert_eq!(era(None, Period::Year { year: 2025 }), Era::Spanning);
        assert_eq!(era(None, Period::Year { year: 2020 }), Era::Own);
        assert_eq!(era(None, Period::Quarter { year: 2025, quarter: 2 }), Era::Own);
        assert_eq!(reform_quarter(), Period::Quarter { year: 2025, quarter: 3 });
    }
}
