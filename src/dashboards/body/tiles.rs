//! The dashboard's tiles: each indicator with a target for the unit, measured against it (the
//! value, whether it is met, the gap, eight quarters of trend and the change on the year
//! before); for a commune, each per-hamlet target as "x/y thôn đạt"; and the indicators without
//! a target, listed with their values.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::Links;
use crate::catalogue::{Catalogue, Indicator};
use crate::dashboards::aggregate::{self, Basis, Totals};
use crate::dashboards::cache::View;
use crate::dashboards::charts;
use crate::dashboards::history::{self, Composite};
use crate::dashboards::scope::Scope;
use crate::directives::targets::{self, Attainment, Target};
use crate::format;
use crate::reports::Period;
use crate::units::{Level, Unit};

/// How many quarters a tile's trend shows.
pub const TREND_QUARTERS: usize = 8;

/// How trends mark the first quarter of the two-tier tree.
const REFORM_MARK: &str = "từ 01/07/2025: chính quyền địa phương 2 cấp";

/// One indicator against its target.
pub struct Tile {
    pub code: String,
    pub name: String,
    pub value: String,
    pub target: Option<String>,
    pub target_when: String,
    pub target_source: String,
    pub status: Attainment,
    pub gap: String,
    pub trend_svg: String,
    /// (quarter, value) of the trend, as the table under the chart shows them.
    pub trend: Vec<(String, String)>,
    pub change: String,
    pub drill: String,
}

/// An indicator without a target for the unit, with its value.
pub struct OtherIndicator {
    pub name: String,
    pub value: String,
    pub drill: String,
}

/// An indicator's value as users read it: "51,95%", "81/117 xã (69,23%)", "143 cuộc".
pub fn indicator_text(indicator: &Indicator, totals: &Totals) -> Option<String> {
    aggregate::indicator(indicator, totals).map(|v| indicator.format(v.numerator, v.denominator))
}

/// "tăng 6,69 điểm % so với …" for rates, "tăng 6,69% so với …" for counts.
pub fn change_text(indicator: &Indicator, now: Decimal, before: Option<Decimal>, label: &str) -> String {
    let Some(before) = before else {
        return format!("chưa có số liệu {label} để so sánh");
    };
    let diff = now - before;
    let verb = if diff >= Decimal::ZERO { "tăng" } else { "giảm" };
    let relative = diff.checked_mul(Decimal::ONE_HUNDRED).and_then(|d| d.checked_div(before));
    if indicator.is_percentage() {
        format!("{verb} {} điểm phần trăm so với {label}", format::decimal(diff.abs(), 2))
    } else if let Some(relative) = relative {
        format!("{verb} {}% so với {label}", format::decimal(relative.abs(), 2))
    } else {
        format!("{verb} {} so với {label}", format::decimal(diff.abs(), 2))
    }
}

/// What the tiles read besides the period's own figures: the year before, the trend, the
/// targets that apply to the unit and, for a commune, its per-hamlet targets. Read by [`read`]
/// while the period's figures are read ([`super::compute`] joins them).
pub struct Readings {
    before: Totals,
    trend: Vec<(Period, Totals)>,
    targets: Arc<Vec<Target>>,
    /// A commune's per-hamlet targets (other units: none).
    per_hamlet: Option<Arc<Vec<Target>>>,
}

/// Reads what the tiles need besides the period's figures (see [`Readings`]), concurrently:
/// each is a statement or a cached entry of its own, so a first view waits for the slowest,
/// not for their sum.
pub async fn read(view: &View<'_>, scope: &Scope, basis: Basis) -> sqlx::Result<Readings> {
    let pool = view.pool();
    let period = scope.period;
    let unit = scope.unit.as_ref();
    let level = unit.map(|u| u.level);
    // Only a commune has per-hamlet targets.
    let commune_path = unit.filter(|u| u.level == Level::Commune).map(|u| u.path.clone());
    let per_hamlet = async {
        let Some(path) = commune_path else { return Ok(None) };
        let targets = view.metadata("per_hamlet_targets", path.clone(), || targets::per_hamlet_for(pool, &path));
        Ok(Some(targets.await?))
    };
    let (before, trend, targets, per_hamlet) = tokio::try_join!(
        history::totals(view, unit, period.year_before(), basis),
        history::quarterly(view, unit, period, TREND_QUARTERS, basis),
        view.metadata("targets", scope.metadata_key(), || targets::for_unit(pool, scope.path(), level)),
        per_hamlet,
    )?;
    Ok(Readings { before, trend, targets, per_hamlet })
}

/// The tiles (targets of the unit, then per-hamlet targets) and the indicators without a target.
pub fn tiles(
    scope: &Scope,
    composite: &Composite,
    readings: &Readings,
    catalogue: &Catalogue,
    links: &Links,
) -> (Vec<Tile>, Vec<OtherIndicator>) {
    let (mut tiles, others) = target_tiles(scope, composite, readings, catalogue, links);
    if let Some(per_hamlet) = &readings.per_hamlet {
        tiles.extend(hamlet_tiles(scope.period, per_hamlet, composite, catalogue, links));
    }
    (tiles, others)
}

/// Of the targets that apply, the one of the period's year, else the next one to come, else
/// the latest.
fn target_for<'a>(candidates: &[&'a Target], year: i32) -> Option<&'a Target> {
    candidates
        .iter()
        .find(|t| t.year == Some(year) || t.year.is_none())
        .or_else(|| candidates.iter().filter(|t| t.year.is_some_and(|y| y > year)).min_by_key(|t| t.year))
        .or_else(|| candidates.iter().max_by_key(|t| t.year))
        .copied()
}

/// One tile per indicator with a target for the unit; the others, with a value, aside.
fn target_tiles(
    scope: &Scope,
    composite: &Composite,
    readings: &Readings,
    catalogue: &Catalogue,
    links: &Links,
) -> (Vec<Tile>, Vec<OtherIndicator>) {
    let period = scope.period;
    let totals = composite.totals();
    let own_totals = composite.own(scope.path());
    let Readings { before, trend, targets: all_targets, .. } = readings;
    let reform_index = trend.iter().position(|(p, _)| *p == history::reform_quarter());

    let mut tiles = Vec::new();
    let mut others = Vec::new();
    for indicator in &catalogue.indicators {
        let candidates: Vec<&Target> = all_targets.iter().filter(|t| t.indicator_code == indicator.code).collect();
        let target = target_for(&candidates, period.year());
        // A level-specific target reads the unit's own figures.
        let measured = match target.and_then(|t| t.scope_level) {
            Some(_) => &own_totals,
            None => &totals,
        };
        let value = aggregate::indicator(indicator, measured);
        let reading = aggregate::reading(indicator, measured);
        let drill = links.drill(&indicator.code);
        let Some(target) = target else {
            if let Some(v) = value {
                others.push(OtherIndicator {
                    name: indicator.name.clone(),
                    value: indicator.format(v.numerator, v.denominator),
                    drill,
                });
            }
            continue;
        };
        let decimals = indicator.decimals.max(0) as usize;
        let points: Vec<(String, Option<Decimal>)> =
            trend.iter().map(|(p, t)| (p.label(), aggregate::indicator(indicator, t).map(|v| v.value))).collect();
        let previous = aggregate::indicator(indicator, before).map(|v| v.value);
        let percentage = indicator.is_percentage();
        tiles.push(Tile {
            code: indicator.code.clone(),
            name: indicator.name.clone(),
            value: reading.map(|r| indicator.format(r.numerator, r.denominator)).unwrap_or_else(|| "—".to_owned()),
            target: Some(target.wording(if percentage { "%" } else { &indicator.unit }, decimals.min(2))),
            target_when: target.when(),
            target_source: target.directive_number.clone(),
            status: match reading {
                Some(r) if r.value.is_none() => Attainment::Undefined,
                _ => target.attainment(value.map(|v| v.value)),
            },
            gap: value.map(|v| target.gap(v.value, percentage)).unwrap_or_default(),
            trend_svg: charts::sparkline_marked(
                &points,
                decimals,
                &format!("Xu hướng 8 quý: {}", indicator.name),
                reform_index.map(|i| (i, REFORM_MARK)),
            ),
            trend: points
                .iter()
                .enumerate()
                .map(|(i, (label, v))| {
                    let label =
                        if Some(i) == reform_index { format!("{label} ({REFORM_MARK})") } else { label.clone() };
                    (label, v.map(|v| format::decimal(v, decimals)).unwrap_or_else(|| "—".into()))
                })
                .collect(),
            change: match value {
                Some(v) => change_text(indicator, v.value, previous, &period.year_before().label()),
                None => String::new(),
            },
            drill,
        });
    }
    (tiles, others)
}

/// The targets set for each hamlet of a commune: one tile each, "x/y thôn đạt".
fn hamlet_tiles(
    period: Period,
    per_hamlet: &[Target],
    composite: &Composite,
    catalogue: &Catalogue,
    links: &Links,
) -> Vec<Tile> {
    let hamlets: Vec<&Unit> = composite.children.iter().filter(|c| c.level == Level::Hamlet).collect();
    let mut tiles = Vec::new();
    if hamlets.is_empty() {
        return tiles;
    }
    for target in per_hamlet.iter().filter(|t| t.year.is_none_or(|y| y == period.year())) {
        let Some(indicator) = catalogue.indicator(&target.indicator_code) else { continue };
        let statuses: Vec<Attainment> = hamlets
            .iter()
            .map(|h| {
                let value = composite.child(&h.path).and_then(|part| aggregate::indicator(indicator, part));
                target.attainment(value.map(|v| v.value))
            })
            .collect();
        let met = statuses.iter().filter(|s| **s == Attainment::Met).count();
        let reported = statuses.iter().filter(|s| **s != Attainment::NoData).count();
        let kind = hamlets.first().map(|h| h.kind.as_str()).unwrap_or("thôn");
        let decimals = indicator.decimals.clamp(0, 2) as usize;
        let unit_word = if indicator.is_percentage() { "%" } else { &indicator.unit };
        tiles.push(Tile {
            code: indicator.code.clone(),
            name: format!("{} — từng {kind}", indicator.name),
            value: format!("{met}/{} {kind} đạt", hamlets.len()),
            target: Some(format!("mỗi {kind} {}", target.wording(unit_word, decimals))),
            target_when: target.when(),
            target_source: target.directive_number.clone(),
            status: match (reported, met == hamlets.len()) {
                (0, _) => Attainment::NoData,
                (_, true) => Attainment::Met,
                _ => Attainment::Missed,
            },
            gap: if reported < hamlets.len() {
                format!("{} {kind} chưa có số liệu", hamlets.len() - reported)
            } else {
                String::new()
            },
            trend_svg: String::new(),
            trend: Vec::new(),
            change: String::new(),
            drill: links.drill(&indicator.code),
        });
    }
    tiles
}
