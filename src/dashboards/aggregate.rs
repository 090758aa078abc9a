//! Live aggregation over the unit tree: flows sum over quarters and sub-units; stocks take each
//! unit's latest value in the period, then sum over sub-units; indicators come from the
//! aggregated numerator and denominator, never from averaged percentages. Accepted reports
//! count by default; submitted ones on request. No batch job: a figure is fresh the moment its
//! report is accepted.
//!
//! The subtrees of the country, provinces and districts come from the roll-ups maintained with
//! every move of a report (`super::rollup`); smaller subtrees (a commune and below, the own
//! report of a unit) are summed from their reports here.
//!
//! Tables: the unit tree is read through `units::tree` (levels, paths of children). The sums
//! themselves are single statements over `reports` and `report_values` that join `units` (the
//! subtree, by `ltree` path) and `data_elements` (each element's aggregation rule): summing a
//! subtree's values is one pass in PostgreSQL, which calls through the owners' functions would
//! turn into round trips of millions of values. One exception, measured: the live parts under a
//! rolled-up root (a province of today's communes, some 7.000 values a quarter) are read as
//! stored and folded here ([`live_parts_of`]), which costs a third of PostgreSQL's grouping.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::catalogue::Indicator;
use crate::reports::workflow::Status;
use crate::reports::{Period, Quarter};
use crate::units::{Level, UnitId, tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Basis {
    /// Accepted reports only.
    #[default]
    Accepted,
    /// Accepted and submitted (not yet reviewed) reports.
    Submitted,
}

impl Basis {
    /// The statuses a report counts under, for SQL (`status = ANY($n)`); see [`Basis::counts`].
    pub fn statuses(self) -> Vec<String> {
        [Status::Accepted, Status::Submitted]
            .into_iter()
            .filter(|status| self.counts(*status))
            .map(|status| status.as_str().to_owned())
            .collect()
    }

    /// Whether a report in `status` counts under this basis: accepted ones always, submitted
    /// ones with "include submitted".
    pub fn counts(self, status: Status) -> bool {
        match self {
            Basis::Accepted => status == Status::Accepted,
            Basis::Submitted => matches!(status, Status::Accepted | Status::Submitted),
        }
    }

    pub fn parse(text: &str) -> Basis {
        if text == "submitted" { Basis::Submitted } else { Basis::Accepted }
    }
}

/// Element totals keyed `CODE` (all organisations together) and `CODE.ORG`, exact.
pub type Totals = HashMap<String, Decimal>;

/// One grouped sum: a part of the tree (a path), an element and organisation, and their total.
struct Row {
    part: String,
    element_code: String,
    organisation_code: String,
    value: Decimal,
}

/// `sqlx::query_as!(Row, …)` of the statement that aggregates the subtree under `$1` (NULL: the
/// whole country) for the quarters `$2..=$3` and statuses `$4`, grouped by the part of the tree
/// one level below the root (`part` is that child's path, or the root's own path for the root's
/// own report). `$subtree` is its condition: the statement is written once here and expanded
/// into each of its two shapes (the macros take literals, never constants). The subtree is two
/// texts rather than `$1 IS NULL OR path <@ $1`, which keeps PostgreSQL from using the path
/// index once it settles on a generic plan. The root's path is
/// bound as text (`as _`: the macros' check expects PgLTree).
macro_rules! grouped {
    ($subtree:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            "
WITH chosen AS (
    SELECT r.id, r.unit_id, r.year * 10 + r.quarter AS yq,
           subltree(u.path, 0, LEAST(nlevel(u.path), COALESCE(nlevel($1::ltree), 0) + 1))::text AS part
    FROM reports r JOIN units u ON u.id = r.unit_id
    WHERE " + $subtree + "
      AND r.year BETWEEN $2 / 10 AND $3 / 10
      AND r.year * 10 + r.quarter BETWEEN $2 AND $3
      AND r.status = ANY($4)
),
vals AS (
    SELECT c.part, c.unit_id, c.yq, v.element_code, v.organisation_code, v.value, e.aggregation
    FROM chosen c
    JOIN report_values v ON v.report_id = c.id
    JOIN data_elements e ON e.code = v.element_code
),
latest AS (
    SELECT DISTINCT ON (unit_id, element_code, organisation_code) part, element_code, organisation_code, value
    FROM vals WHERE aggregation = 'last'
    ORDER BY unit_id, element_code, organisation_code, yq DESC
)
SELECT part AS \"part!\", element_code AS \"element_code!\", organisation_code AS \"organisation_code!\",
       sum(value) AS \"value!\" FROM (
    SELECT part, element_code, organisation_code, value FROM vals WHERE aggregation = 'sum'
    UNION ALL
    SELECT part, element_code, organisation_code, value FROM latest
) x
GROUP BY part, element_code, organisation_code"
            $(, $arg)*
        )
    };
}

/// The root of a subtree, from its path (whose last label is the unit's id).
pub fn root_id(root_path: &str) -> Option<UnitId> {
    root_path.rsplit('.').next().and_then(|label| label.parse().ok()).map(UnitId)
}

/// [`root_id`] for the tree's reads: a path with no id names no unit, and no unit has the id
/// 0, so the reads find nothing under it (no level, no children).
fn root_or_none(root_path: &str) -> UnitId {
    root_id(root_path).unwrap_or(UnitId(0))
}

/// Adds one stored value to `CODE` and, for a breakdown, to `CODE.ORG`.
pub fn add(totals: &mut Totals, code: &str, organisation: &str, value: Decimal) {
    *totals.entry(code.to_owned()).or_insert(Decimal::ZERO) += value;
    if !organisation.is_empty() {
        *totals.entry(format!("{code}.{organisation}")).or_insert(Decimal::ZERO) += value;
    }
}

/// The parts of a subtree: the root's own report and each child's subtree, keyed by path.
pub async fn parts(
    pool: &PgPool,
    root_path: Option<&str>,
    period: Period,
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Totals>> {
    if is_rolled_up(pool, root_path).await? {
        rolled_up_parts(pool, root_path, period, basis).await
    } else {
        // A commune or below: small enough to sum live.
        live_parts(pool, root_path, period, basis).await
    }
}

/// Grouped rows of the `grouped!` statement as parts keyed by path.
fn into_parts(rows: Vec<Row>) -> BTreeMap<String, Totals> {
    let mut parts: BTreeMap<String, Totals> = BTreeMap::new();
    for row in rows {
        add(parts.entry(row.part).or_default(), &row.element_code, &row.organisation_code, row.value);
    }
    parts
}

/// The deepest level with roll-ups of its own ([`super::rollup::MAX_LEVEL`]): the country,
/// provinces and districts are read from roll-ups, communes and below live.
const DEEPEST_ROLLED_UP: Level = Level::District;
const _: () = assert!(DEEPEST_ROLLED_UP as i16 == super::rollup::MAX_LEVEL);

/// Whether the subtree under `root_path` is read from roll-ups (the country, a province, a
/// district) rather than live (a commune and below).
pub async fn is_rolled_up(pool: &PgPool, root_path: Option<&str>) -> sqlx::Result<bool> {
    Ok(match root_path {
        None => true,
        Some(path) => tree::level_of(pool, root_or_none(path)).await?.is_some_and(|level| !is_read_live(level)),
    })
}

/// The children of a rolled-up root that have roll-ups of their own, as `(id, path)`.
pub async fn rolled_children(pool: &PgPool, root_path: Option<&str>) -> sqlx::Result<Vec<(UnitId, String)>> {
    match root_path {
        None => tree::province_paths(pool).await,
        Some(path) => tree::child_paths_down_to(pool, root_or_none(path), DEEPEST_ROLLED_UP).await,
    }
}

/// The children of a rolled-up root that have no roll-ups of their own (below level 2: the
/// communes directly under a province of today), as paths.
pub async fn live_children(pool: &PgPool, root_path: &str) -> sqlx::Result<Vec<String>> {
    tree::child_paths_below(pool, root_or_none(root_path), DEEPEST_ROLLED_UP).await
}

/// Of what roll-ups do not hold under the rolled-up root `root_path`, the parts named in
/// `parts`, summed live: the root's own reports for the root's own path, a child's subtree for
/// a child's path (see [`live_children`]). Parts with no report counted are absent. What lets
/// the cache read again only the commune whose report moved, not the province's hundred.
///
/// The values are read as they are stored and folded here ([`fold_live`]), not grouped by
/// PostgreSQL: for a province of today's hundred communes (7.000 values a quarter, 23.000 a
/// year) PostgreSQL's grouping, the stocks' `DISTINCT ON` and the rules' join cost three times
/// the reading itself (EXPLAIN on the quarter-end load's data: 60–80 ms for the year against a
/// 12 ms read). The parts are small by construction (communes and below), so the rows are few;
/// [`live_parts`] stays the plain computation the tests compare with. `stocks`: the elements
/// aggregated as their latest value (`catalogue::store::stock_codes`).
pub async fn live_parts_of(
    pool: &PgPool,
    root_path: &str,
    parts: &[String],
    stocks: &HashSet<String>,
    period: Period,
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Totals>> {
    let (from, to) = period.sql_bounds();
    let values = sqlx::query_as!(
        LiveValue,
        r#"SELECT subltree(u.path, 0, LEAST(nlevel(u.path), nlevel($1::ltree) + 1))::text AS "part!",
                r.unit_id AS "unit_id: UnitId", r.year * 10 + r.quarter AS "year_quarter!",
                v.element_code, v.organisation_code, v.value
         FROM reports r JOIN units u ON u.id = r.unit_id JOIN report_values v ON v.report_id = r.id
         WHERE u.path <@ $1::ltree
           AND subltree(u.path, 0, LEAST(nlevel(u.path), nlevel($1::ltree) + 1))::text = ANY($5)
           AND r.year BETWEEN $2 / 10 AND $3 / 10
           AND r.year * 10 + r.quarter BETWEEN $2 AND $3
           AND r.status = ANY($4)"#,
        root_path as _,
        from,
        to,
        &basis.statuses(),
        parts,
    )
    .fetch_all(pool)
    .await?;
    Ok(fold_live(values, stocks))
}

/// One counted value of a live part, as stored (see [`live_parts_of`]).
struct LiveValue {
    part: String,
    unit_id: UnitId,
    /// `year * 10 + quarter`.
    year_quarter: i32,
    element_code: String,
    organisation_code: String,
    value: Decimal,
}

/// The parts of `values` by the rules of aggregation (the module docs): flows (elements not in
/// `stocks`) summed over quarters and units; each unit's latest value of a stock in the
/// period, then summed over the part's units. The same figures as the `grouped!` statement's.
fn fold_live(values: Vec<LiveValue>, stocks: &HashSet<String>) -> BTreeMap<String, Totals> {
    let mut parts: BTreeMap<String, Totals> = BTreeMap::new();
    // Each unit's latest value of each stock so far: its quarter, part and value.
    let mut latest: HashMap<(UnitId, String, String), (i32, String, Decimal)> = HashMap::new();
    for value in values {
        if stocks.contains(&value.element_code) {
            let key = (value.unit_id, value.element_code, value.organisation_code);
            match latest.entry(key) {
                Entry::Occupied(mut seen) if seen.get().0 < value.year_quarter => {
                    *seen.get_mut() = (value.year_quarter, value.part, value.value);
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(slot) => {
                    slot.insert((value.year_quarter, value.part, value.value));
                }
            }
        } else {
            let part = parts.entry(value.part).or_default();
            add(part, &value.element_code, &value.organisation_code, value.value);
        }
    }
    for ((_, element, organisation), (_, part, value)) in latest {
        add(parts.entry(part).or_default(), &element, &organisation, value);
    }
    parts
}

/// The country, a province or a district: each child at level 1–2 from its roll-up; the root's
/// own reports and children below level 2 live.
async fn rolled_up_parts(
    pool: &PgPool,
    root_path: Option<&str>,
    period: Period,
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Totals>> {
    let children = rolled_children(pool, root_path).await?;
    let ids: Vec<UnitId> = children.iter().map(|(id, _)| *id).collect();
    let mut rolled = super::rollup::totals(pool, &ids, period, basis).await?;
    let mut parts = match root_path {
        // The root's own reports and the children without roll-ups, live.
        Some(root) => {
            let wanted: Vec<String> =
                std::iter::once(root.to_owned()).chain(live_children(pool, root).await?).collect();
            let stocks = crate::catalogue::store::stock_codes(pool).await?;
            live_parts_of(pool, root, &wanted, &stocks, period, basis).await?
        }
        None => BTreeMap::new(),
    };
    for (id, path) in children {
        if let Some(totals) = rolled.remove(&id) {
            parts.insert(path, totals);
        }
    }
    Ok(parts)
}

/// Every part summed from the reports (the plain computation; also what `rollup verify`'s
/// property test compares with).
pub async fn live_parts(
    pool: &PgPool,
    root_path: Option<&str>,
    period: Period,
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Totals>> {
    let (from, to) = period.sql_bounds();
    let statuses = basis.statuses();
    let rows = match root_path {
        Some(_) => grouped!("u.path <@ $1::ltree", root_path as _, from, to, &statuses).fetch_all(pool).await?,
        None => grouped!("$1::ltree IS NULL", root_path as _, from, to, &statuses).fetch_all(pool).await?,
    };
    Ok(into_parts(rows))
}

/// The flows (not stocks) under `root_path` over the period, per old commune: each report of a
/// commune or below counts in its commune (the unit at depth 3 of the pre-reform tree), the own
/// reports of the province and its districts under their own paths. What a province of today
/// hands to its communes for the part of a period before the reform (`history`).
pub async fn flows_by_commune(
    pool: &PgPool,
    root_path: &str,
    period: Period,
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Totals>> {
    let (from, to) = period.sql_bounds();
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT CASE WHEN nlevel(u.path) > 3 THEN subltree(u.path, 0, 3) ELSE u.path END::text AS "part!",
                v.element_code AS "element_code!", v.organisation_code AS "organisation_code!", sum(v.value) AS "value!"
         FROM reports r JOIN units u ON u.id = r.unit_id
         JOIN report_values v ON v.report_id = r.id
         JOIN data_elements e ON e.code = v.element_code
         WHERE u.path <@ $1::ltree AND e.aggregation = 'sum'
           AND r.year BETWEEN $2 / 10 AND $3 / 10 AND r.year * 10 + r.quarter BETWEEN $2 AND $3
           AND r.status = ANY($4)
         GROUP BY 1, 2, 3"#,
        root_path as _,
        from,
        to,
        &basis.statuses(),
    )
    .fetch_all(pool)
    .await?;
    Ok(into_parts(rows))
}

/// The totals of the whole subtree.
pub async fn totals(pool: &PgPool, root_path: Option<&str>, period: Period, basis: Basis) -> sqlx::Result<Totals> {
    Ok(sum_parts(parts(pool, root_path, period, basis).await?.values()))
}

pub fn sum_parts<'a>(parts: impl Iterator<Item = &'a Totals>) -> Totals {
    let mut whole = Totals::new();
    for part in parts {
        for (key, value) in part {
            *whole.entry(key.clone()).or_insert(Decimal::ZERO) += value;
        }
    }
    whole
}

/// An indicator's aggregated parts and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorValue {
    pub numerator: Decimal,
    pub denominator: Option<Decimal>,
    pub value: Decimal,
}

/// An indicator's figures as reported, before any division: the numerator and denominator the
/// units reported (zeros included), and the value when it is defined. A reported 0/0 is a
/// reading without a value ("0/0 (—)"); no reading at all means nobody reported the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub numerator: Decimal,
    pub denominator: Option<Decimal>,
    /// `None` when the denominator is zero.
    pub value: Option<Decimal>,
}

/// The reading of `indicator` in `totals`, `None` when its numerator or denominator was not reported.
pub fn reading(indicator: &Indicator, totals: &Totals) -> Option<Reading> {
    let numerator = indicator.numerator_expression()?.evaluate(totals)?;
    let denominator = match indicator.denominator_expression() {
        Some(expression) => Some(expression.evaluate(totals)?),
        None => None,
    };
    Some(Reading { numerator, denominator, value: indicator.compute(numerator, denominator) })
}

/// The indicator's value, `None` when it was not reported or its denominator is zero.
pub fn indicator(indicator: &Indicator, totals: &Totals) -> Option<IndicatorValue> {
    let numerator = indicator.numerator_expression()?.evaluate(totals)?;
    let denominator = match indicator.denominator_expression() {
        Some(expression) => Some(expression.evaluate(totals)?),
        None => None,
    };
    let value = indicator.compute(numerator, denominator)?;
    Some(IndicatorValue { numerator, denominator, value })
}

/// The first of the `count` quarters ending with the period's last one (a trend's start).
pub fn trend_start(period: Period, count: usize) -> Quarter {
    let last = period.final_quarter();
    let back = i32::try_from(count.saturating_sub(1)).unwrap_or(i32::MAX / 8);
    let index = last.year() * 4 + i32::from(last.number()) - 1 - back;
    // `rem_euclid(4)` is 0–3: the number is 1–4.
    Quarter::fixed(index.div_euclid(4), (index.rem_euclid(4) + 1) as u8)
}

/// The last `count` quarters up to the period's end, oldest first, with the first's and last's
/// `year * 10 + quarter`.
fn trend_quarters(period: Period, count: usize) -> (Vec<Period>, i32, i32) {
    let mut q = Period::from(period.final_quarter());
    let mut quarters = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        quarters.push(q);
        q = q.previous();
    }
    quarters.reverse();
    let key = |p: &Period| p.final_quarter().sql_key();
    let (from, to) = (key(&quarters[0]), key(&quarters[quarters.len() - 1]));
    (quarters, from, to)
}

/// The series of `quarters` from totals keyed `year * 10 + quarter` (a quarter without any is
/// empty).
fn series(quarters: Vec<Period>, mut by_quarter: HashMap<i32, Totals>) -> Vec<(Period, Totals)> {
    quarters.into_iter().map(|p| (p, by_quarter.remove(&p.final_quarter().sql_key()).unwrap_or_default())).collect()
}

/// Whether a subtree rooted at this level is summed live from its reports (a commune and
/// below) rather than read from roll-ups.
pub fn is_read_live(level: Level) -> bool {
    level > DEEPEST_ROLLED_UP
}

/// Each of the last `count` quarters up to the period's end, aggregated on its own (a trend),
/// for the subtree of `root` (its path and level; `None`: the country). Within one quarter a
/// stock's latest value is that quarter's value, so one grouped query serves every quarter.
pub async fn quarterly(
    pool: &PgPool,
    root: Option<(&str, Level)>,
    period: Period,
    count: usize,
    basis: Basis,
) -> sqlx::Result<Vec<(Period, Totals)>> {
    let (quarters, from, to) = trend_quarters(period, count);
    let by_quarter = match root {
        None => super::rollup::quarterly(pool, super::rollup::COUNTRY, from, to, basis).await?,
        Some((path, level)) if is_read_live(level) => live_quarterly(pool, path, &[], from, from, to, basis).await?,
        Some((path, _)) => super::rollup::quarterly(pool, root_or_none(path), from, to, basis).await?,
    };
    Ok(series(quarters, by_quarter))
}

/// [`quarterly`] of a subtree read live (a commune of today) across the 2025 reform: its own
/// reports in every quarter, and in the quarters before `before` (`year * 10 + quarter`, the
/// first quarter it existed in) those of the subtrees `earlier` (its counted predecessors, also
/// read live). One statement where a trend per predecessor would be one each, which is what a
/// commune's first view waited for under load (see the README, "Seventeenth session").
pub async fn quarterly_across(
    pool: &PgPool,
    root_path: &str,
    earlier: &[String],
    before: i32,
    period: Period,
    count: usize,
    basis: Basis,
) -> sqlx::Result<Vec<(Period, Totals)>> {
    let (quarters, from, to) = trend_quarters(period, count);
    Ok(series(quarters, live_quarterly(pool, root_path, earlier, before, from, to, basis).await?))
}

/// The subtree under `root_path` per quarter from `from` to `to` (`year * 10 + quarter`), and
/// the subtrees under `earlier` in the quarters before `before`, summed from their reports (see
/// [`quarterly_across`]). The units are listed first (each subtree by its path index), then
/// their reports read by unit: a join let PostgreSQL guess a hundred units per predecessor and
/// scan the whole period's reports instead (EXPLAIN on the quarter-end load's data: 0,7 ms for a
/// commune and its three old communes, 0,3 ms for a commune alone, where the join read 1 228
/// reports).
async fn live_quarterly(
    pool: &PgPool,
    root_path: &str,
    earlier: &[String],
    before: i32,
    from: i32,
    to: i32,
    basis: Basis,
) -> sqlx::Result<HashMap<i32, Totals>> {
    let rows = sqlx::query!(
        r#"SELECT r.year * 10 + r.quarter AS "year_quarter!", v.element_code, v.organisation_code, sum(v.value) AS "value!"
         FROM reports r JOIN report_values v ON v.report_id = r.id
         WHERE (r.unit_id = ANY(ARRAY(SELECT u.id FROM units u WHERE u.path <@ $1::ltree))
                OR (r.unit_id = ANY(ARRAY(SELECT u.id FROM unnest($5::ltree[]) e JOIN units u ON u.path <@ e))
                    AND r.year * 10 + r.quarter < $6))
           AND r.year BETWEEN $2 / 10 AND $3 / 10
           AND r.year * 10 + r.quarter BETWEEN $2 AND $3 AND r.status = ANY($4)
         GROUP BY 1, 2, 3"#,
        root_path as _,
        from,
        to,
        &basis.statuses(),
        earlier as _,
        before,
    )
    .fetch_all(pool)
    .await?;
    let mut by_quarter: HashMap<i32, Totals> = HashMap::new();
    for row in rows {
        add(by_quarter.entry(row.year_quarter).or_default(), &row.element_code, &row.organisation_code, row.value);
    }
    Ok(by_quarter)
}
