//! The ranking of the units directly below on one indicator (the one asked for, else the first
//! tile's): each unit's value coloured by its place between the lowest and the highest, sorted
//! as asked, a long ranking folded in the middle, and the bar chart of its ends.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::completeness::Completeness;
use super::tiles::Tile;
use super::{CORRECTING, NOT_REPORTED};
use crate::catalogue::Catalogue;
use crate::dashboards::aggregate::{self, Basis};
use crate::dashboards::charts;
use crate::dashboards::history::Composite;
use crate::dashboards::scope::{DashboardQuery, basis_query, unit_date_query};
use crate::reports::Period;

/// How many units a long ranking shows at each end before folding the middle.
pub const RANKING_EDGE: usize = 10;

/// One unit directly below in the ranking.
pub struct RankRow {
    pub rank: usize,
    pub name: String,
    pub href: String,
    pub drill: String,
    pub value: Option<Decimal>,
    pub text: String,
    /// 1–5: the value's place between the lowest and the highest; 0 without a value.
    pub heat: u8,
}

/// The ranking as the page shows it.
pub struct Ranking {
    /// The indicator ranked, and every indicator the form offers as (code, name).
    pub indicator: String,
    pub indicators: Vec<(String, String)>,
    /// The sort order asked for: "" (highest first), "asc" or "name".
    pub sort: String,
    /// The ranking in rank order: all of it up to [`RANKING_EDGE`] × 2 units; beyond that, the
    /// first and last [`RANKING_EDGE`] here and in `tail`, the rest folded in `middle` (a
    /// province of today has 100+ communes: readable on a phone).
    pub rows: Vec<RankRow>,
    pub middle: Vec<RankRow>,
    pub tail: Vec<RankRow>,
    pub svg: String,
}

pub fn ranking(
    catalogue: &Catalogue,
    composite: &Composite,
    tiles: &[Tile],
    completeness: &Completeness,
    query: &DashboardQuery,
    period: Period,
    basis: Basis,
) -> Ranking {
    let code = if query.indicator.is_empty() {
        tiles
            .first()
            .map(|t| t.code.clone())
            .unwrap_or_else(|| catalogue.indicators.first().map(|i| i.code.clone()).unwrap_or_default())
    } else {
        query.indicator.clone()
    };
    let indicator = catalogue.indicator(&code);
    let b = basis_query(basis);
    let mut rows: Vec<RankRow> = composite
        .children
        .iter()
        .map(|child| {
            let part = composite.parts.get(&child.path);
            let reading = match (indicator, part) {
                (Some(ind), Some(part)) => aggregate::reading(ind, part),
                _ => None,
            };
            let unit_date = unit_date_query(child, period);
            RankRow {
                rank: 0,
                name: child.name.clone(),
                href: format!("/dashboards/{}?period={}{b}{unit_date}", child.code, period.code()),
                drill: format!(
                    "/dashboards/{}/drill?period={}&indicator={code}{b}{unit_date}",
                    child.code,
                    period.code()
                ),
                value: reading.and_then(|r| r.value),
                // Zero (0/0 (—)), not reported and being corrected read differently.
                text: match (indicator, reading) {
                    (Some(ind), Some(r)) => ind.format(r.numerator, r.denominator),
                    _ if completeness.correcting.contains(&child.name) => CORRECTING.to_owned(),
                    _ if part.is_some() => "Chưa báo cáo chỉ số này".to_owned(),
                    _ => NOT_REPORTED.to_owned(),
                },
                heat: 0,
            }
        })
        .collect();
    colour(&mut rows);
    match query.sort.as_str() {
        "name" => {}
        "asc" => rows.sort_by_key(|r| r.value.unwrap_or(Decimal::MAX)),
        _ => rows.sort_by(|a, b| b.value.unwrap_or(Decimal::MIN).cmp(&a.value.unwrap_or(Decimal::MIN))),
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i + 1;
    }
    let (rows, middle, tail) = fold(rows);
    let svg = charts::bars(
        &rows
            .iter()
            .chain(&tail)
            .filter_map(|r| r.value.map(|v| (r.name.clone(), v, r.text.clone())))
            .collect::<Vec<_>>(),
        if middle.is_empty() {
            "Xếp hạng đơn vị trực thuộc"
        } else {
            "Xếp hạng đơn vị trực thuộc: các đơn vị đầu và cuối bảng"
        },
    );
    Ranking {
        indicator: code,
        indicators: catalogue.indicators.iter().map(|i| (i.code.clone(), i.name.clone())).collect(),
        sort: query.sort.clone(),
        rows,
        middle,
        tail,
        svg,
    }
}

/// Five shades: each value's position between the lowest and the highest, in quarters.
fn colour(rows: &mut [RankRow]) {
    let known: Vec<Decimal> = rows.iter().filter_map(|r| r.value).collect();
    let (lo, hi) = known.iter().fold((Decimal::MAX, Decimal::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    for row in rows {
        row.heat = match row.value {
            Some(v) if hi > lo => {
                let step = ((v - lo) * Decimal::from(4)).checked_div(hi - lo).unwrap_or_default();
                1 + crate::figures::round(step, 0).to_u8().unwrap_or(0)
            }
            Some(_) => 3,
            None => 0,
        };
    }
}

/// Splits a ranking into its head, folded middle and tail (see [`Ranking::rows`]).
fn fold(mut rows: Vec<RankRow>) -> (Vec<RankRow>, Vec<RankRow>, Vec<RankRow>) {
    if rows.len() <= 2 * RANKING_EDGE + 2 {
        return (rows, Vec::new(), Vec::new());
    }
    let tail = rows.split_off(rows.len() - RANKING_EDGE);
    let middle = rows.split_off(RANKING_EDGE);
    (rows, middle, tail)
}
