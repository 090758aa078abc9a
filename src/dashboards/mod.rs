//! Dashboards: indicators against targets for a unit (or the whole country) and a period,
//! trends, sub-unit ranking, reporting completeness, overdue tasks, and drill-down to the
//! report and field each figure came from.
//!
//! Where the figures come from, fastest first:
//! - [`cache`]: whole dashboard bodies and their parts, per key, dropped per affected unit,
//!   year and basis the moment a report moves (an optimisation only);
//! - [`rollup`]: subtree totals of the country, provinces and districts, kept exact in the
//!   transaction that accepts, reopens, submits or returns a report — what makes a cold view
//!   fast;
//! - [`aggregate`]: the plain computation from the reports (communes, a unit's own report,
//!   and the reference `rollup verify` compares with).

pub mod aggregate;
pub mod api;
pub mod cache;
pub mod changes;
pub mod charts;
pub mod history;
pub mod rollup;
pub mod synth;

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use aggregate::{Basis, Totals};

use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::catalogue::{Catalogue, Indicator};
use crate::directives::targets::{self, Attainment};
use crate::error::{AppError, AppResult};
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::Period;
use crate::units::{self, Level, Unit, queries};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, filters, render};

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/dashboards", "/dashboards", Access::SignedIn, get(own)),
        RouteSpec::new(Method::GET, "/dashboards/{unit}", "/dashboards/91?period=2020", Access::SignedIn, get(show)),
        RouteSpec::new(
            Method::GET,
            "/dashboards/{unit}/drill",
            "/dashboards/91/drill?period=2020&key=DVHV_HIEN_CO",
            Access::SignedIn,
            get(drill),
        ),
        RouteSpec::new(
            Method::GET,
            "/api/v1/aggregates/{unit}",
            "/api/v1/aggregates/91?period=2020",
            Access::SignedIn,
            get(api::aggregates),
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    key: String,
    /// `YYYY-MM-DD`: which unit the code means (codes were reused in the 2025 reform).
    #[serde(default)]
    unit_date: String,
}

/// The unit a dashboard is about: `None` for the whole country (code `TW`).
pub struct Scope {
    pub unit: Option<Unit>,
    pub period: Period,
    /// The units that carried the same code at other dates (the switch between an old unit and
    /// the unit of today that took its code).
    pub namesakes: Vec<Unit>,
}

impl Scope {
    pub fn path(&self) -> Option<&str> {
        self.unit.as_ref().map(|u| u.path.as_str())
    }

    pub fn code(&self) -> String {
        self.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned())
    }

    pub fn name(&self) -> String {
        self.unit.as_ref().map(|u| u.name.clone()).unwrap_or_else(|| "Toàn quốc".to_owned())
    }

    /// `&unit_date=…` naming this unit in links (empty for the country).
    pub fn unit_date_query(&self) -> String {
        self.unit.as_ref().map(|u| unit_date_query(u, self.period)).unwrap_or_default()
    }
}

/// `&unit_date=…`: a date on which `unit` carries its code, so a link opens this unit whatever
/// the period (the period's end when it was in force then).
pub fn unit_date_query(unit: &Unit, period: Period) -> String {
    format!("&unit_date={}", unit.a_valid_date(period.end_date()))
}

fn default_period() -> Period {
    Period::containing(units::today()).previous()
}

/// Parses `unit_date` (`2025-07-01` or `01/07/2025`; empty: none).
pub fn parse_unit_date(text: &str) -> AppResult<Option<chrono::NaiveDate>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    units::parse_date(text).map(Some).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Ngày đơn vị “{}” không hợp lệ: viết theo dạng 2025-07-01 hoặc 01/07/2025.",
            text.chars().take(20).collect::<String>()
        ))
    })
}

/// Resolves the code (codes are reused across the 2025 reform): at `unit_date` when given;
/// else the user's own unit when the code is theirs; else at the period's end. Then checks the
/// user may read that subtree.
pub async fn scope(
    view: &cache::View<'_>,
    user: &CurrentUser,
    code: &str,
    period: &str,
    unit_date: &str,
) -> AppResult<Scope> {
    let period = if period.trim().is_empty() {
        default_period()
    } else {
        period.parse::<Period>().map_err(AppError::BadRequest)?
    };
    let unit_date = parse_unit_date(unit_date)?;
    let unit = if code.eq_ignore_ascii_case(units::NATIONAL_CODE) {
        None
    } else {
        let own = user.unit.as_ref().filter(|own| own.code == code.trim());
        let unit = match (unit_date, own) {
            (Some(date), _) => view.unit(code, date).await?,
            (None, Some(own)) => {
                let pool = view.pool();
                let id = own.id;
                view.metadata("unit_by_id", id.to_string(), || queries::by_id(pool, id)).await?.as_ref().clone()
            }
            (None, None) => view.unit(code, period.end_date()).await?,
        };
        match unit {
            Some(unit) => Some(unit),
            None => {
                let date = unit_date.unwrap_or_else(|| period.end_date());
                return Err(units::code_not_found(view.pool(), code, date).await);
            }
        }
    };
    authz::authorize(user, Action::ViewData, unit.as_ref().map(Place::from))?;
    let namesakes = match &unit {
        Some(unit) => {
            let pool = view.pool();
            let code = unit.code.clone();
            let id = unit.id;
            let all = view.metadata("carriers", code.clone(), || queries::carriers(pool, &code)).await?;
            all.iter().filter(|u| u.id != id && u.code == code).cloned().collect()
        }
        None => Vec::new(),
    };
    Ok(Scope { unit, period, namesakes })
}

pub async fn own(user: CurrentUser) -> Response {
    let code = user.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned());
    axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!("/dashboards/{code}")))
}

/// A unit without a report (or without an accepted one, on the accepted basis): never a zero.
pub const NOT_REPORTED: &str = "Chưa báo cáo";

/// A unit whose accepted report was reopened: its figures are left out of every total until it
/// is accepted again (the roll-ups follow the report's status), and the pages say so.
pub const CORRECTING: &str = "Đang sửa — số liệu đã duyệt trước đó tạm không tính";

fn is_percentage(indicator: &Indicator) -> bool {
    indicator.is_percentage()
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
    if is_percentage(indicator) {
        format!("{verb} {} điểm phần trăm so với {label}", format::decimal(diff.abs(), 2))
    } else if let Some(relative) = relative {
        format!("{verb} {}% so với {label}", format::decimal(relative.abs(), 2))
    } else {
        format!("{verb} {} so với {label}", format::decimal(diff.abs(), 2))
    }
}

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
    pub trend: Vec<(String, String)>,
    pub change: String,
    pub drill: String,
}

pub struct RankRow {
    pub rank: usize,
    pub name: String,
    pub href: String,
    pub drill: String,
    pub value: Option<Decimal>,
    pub text: String,
    pub heat: u8,
}

pub struct OtherIndicator {
    pub name: String,
    pub value: String,
    pub drill: String,
}

/// Everything a dashboard shows apart from the frame: the same for every user allowed to see
/// it, so it is cached per data generation.
pub struct DashboardBody {
    pub scope_name: String,
    pub scope_code: String,
    /// `&unit_date=…` keeping this unit in the page's own forms and links.
    pub unit_date: String,
    /// Which unit the page is about, with its validity ("01/07/2025 – nay").
    pub validity: String,
    /// The other units that carried this code, as (label, link to the same period).
    pub namesakes: Vec<(String, String)>,
    /// Across the 2025 reform: where the figures come from.
    pub history: Option<HistoryNote>,
    pub period: Period,
    pub periods: Vec<Period>,
    pub basis_submitted: bool,
    pub tiles: Vec<Tile>,
    pub others: Vec<OtherIndicator>,
    pub ranking_indicator: String,
    pub ranking_indicators: Vec<(String, String)>,
    /// The ranking in rank order: all of it up to [`RANKING_EDGE`] × 2 units; beyond that, the
    /// first and last [`RANKING_EDGE`] here and in `ranking_tail`, the rest folded in
    /// `ranking_middle` (a province of today has 100+ communes: readable on a phone).
    pub ranking: Vec<RankRow>,
    pub ranking_middle: Vec<RankRow>,
    pub ranking_tail: Vec<RankRow>,
    pub ranking_svg: String,
    pub sort: String,
    pub submitted: usize,
    pub expected: usize,
    pub late: Vec<String>,
    pub missing: Vec<String>,
    /// Units whose accepted report was reopened and is being corrected (out of the totals).
    pub correcting: Vec<String>,
    /// A unit without reporting units below: its own report's state, instead of "0/0".
    pub own_report: Option<String>,
    pub overdue_tasks: Vec<OverdueTask>,
    pub milestones: Vec<AgendaMilestone>,
    pub printed_on: String,
}

/// A task assigned to the unit and past its deadline, on the dashboard's agenda.
#[derive(Clone)]
pub struct OverdueTask {
    pub directive_number: String,
    pub task_number: String,
    pub deadline: chrono::NaiveDate,
}

/// A review (sơ kết) or final review (tổng kết) of a directive due within 90 days or overdue
/// within a year, on the dashboard's agenda.
#[derive(Clone)]
pub struct AgendaMilestone {
    pub directive_number: String,
    pub kind: &'static str,
    pub due_on: chrono::NaiveDate,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "dashboards/show.html")]
struct DashboardPage {
    layout: Layout,
    body: std::sync::Arc<DashboardBody>,
}

impl std::ops::Deref for DashboardPage {
    type Target = DashboardBody;

    fn deref(&self) -> &DashboardBody {
        &self.body
    }
}

fn period_choices(selected: Period) -> Vec<Period> {
    let mut periods = Vec::new();
    let latest = default_period();
    let (year, _) = latest.last_quarter();
    for y in (year - 7..=year).rev() {
        periods.push(Period::Year { year: y });
        periods.push(Period::NineMonths { year: y });
        periods.push(Period::HalfYear { year: y });
        for q in (1..=4u8).rev() {
            periods.push(Period::Quarter { year: y, quarter: q });
        }
    }
    if !periods.contains(&selected) {
        periods.insert(0, selected);
    }
    periods
}

fn basis_query(basis: Basis) -> &'static str {
    if basis == Basis::Submitted { "&basis=submitted" } else { "" }
}

pub async fn show(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    let view = state.aggregates.view_for(&read).await?;
    let scope = scope(&view, &user, &code, &query.period, &query.unit_date).await?;
    let basis = Basis::parse(&query.basis);
    // The key holds validated parameters only: a known indicator, a known sort order.
    let catalogue = view.catalogue().await?;
    let mut query = query;
    if catalogue.indicator(&query.indicator).is_none() {
        query.indicator.clear();
    }
    if !matches!(query.sort.as_str(), "name" | "asc") {
        query.sort.clear();
    }
    let period = scope.period;
    // What the body reads: the period, the year before, and the trend's quarters.
    let years =
        (cache::AggregateCache::first_year_of_trend(period, TREND_QUARTERS).min(period.year() - 1), period.year());
    let variant = format!("{}|{}|{}|{}", period.code(), query.indicator, query.sort, units::today());
    let key = cache::Key::dashboard(scope.path(), basis, years, variant);
    let scope = &scope;
    let query = &query;
    let view = &view;
    let body = view.dashboard(key, || compute_body(view, scope, query, basis)).await?;
    Ok(render(&DashboardPage { layout, body }))
}

/// How many units a long ranking shows at each end before folding the middle.
pub const RANKING_EDGE: usize = 10;

/// Splits a ranking into its head, folded middle and tail (see [`DashboardBody::ranking`]).
fn fold_ranking(mut rows: Vec<RankRow>) -> (Vec<RankRow>, Vec<RankRow>, Vec<RankRow>) {
    if rows.len() <= 2 * RANKING_EDGE + 2 {
        return (rows, Vec::new(), Vec::new());
    }
    let tail = rows.split_off(rows.len() - RANKING_EDGE);
    let middle = rows.split_off(RANKING_EDGE);
    (rows, middle, tail)
}

/// How many quarters a tile's trend shows.
const TREND_QUARTERS: usize = 8;

/// How trends mark the first quarter of the two-tier tree.
const REFORM_MARK: &str = "từ 01/07/2025: chính quyền địa phương 2 cấp";

async fn compute_body(
    view: &cache::View<'_>,
    scope: &Scope,
    query: &DashboardQuery,
    basis: Basis,
) -> AppResult<std::sync::Arc<DashboardBody>> {
    let catalogue = view.catalogue().await?;
    // Every read of the body from the view's database: the replica or the primary.
    let pool = view.pool();
    let period = scope.period;
    let unit = scope.unit.as_ref();
    let composite = history::composite(view, unit, period, basis).await?;
    let parts = &composite.parts;
    let totals = composite.totals();
    let own_totals = composite.own(scope.path());
    let before = history::totals(view, unit, period.year_before(), basis).await?;
    let trend = history::quarterly(view, unit, period, TREND_QUARTERS, basis).await?;
    let reform = history::reform_quarter();
    let reform_index = trend.iter().position(|(p, _)| *p == reform);
    let level = scope.unit.as_ref().map(|u| u.level);
    let scope_key = format!("{}|{level:?}", scope.path().unwrap_or(""));
    let all_targets =
        view.metadata("targets", scope_key.clone(), || targets::for_unit(pool, scope.path(), level)).await?;
    let code = scope.code();
    let q = format!("{}{}", basis_query(basis), scope.unit_date_query());

    let mut tiles = Vec::new();
    let mut others = Vec::new();
    for indicator in &catalogue.indicators {
        let candidates: Vec<&targets::Target> =
            all_targets.iter().filter(|t| t.indicator_code == indicator.code).collect();
        let year = period.year();
        // The target of this year, else the next one to come, else the latest.
        let target = candidates
            .iter()
            .find(|t| t.year == Some(year) || t.year.is_none())
            .or_else(|| candidates.iter().filter(|t| t.year.is_some_and(|y| y > year)).min_by_key(|t| t.year))
            .or_else(|| candidates.iter().max_by_key(|t| t.year))
            .copied();
        // A level-specific target reads the unit's own figures.
        let measured = match target.and_then(|t| t.scope_level) {
            Some(_) => &own_totals,
            None => &totals,
        };
        let value = aggregate::indicator(indicator, measured);
        let reading = aggregate::reading(indicator, measured);
        let drill = format!("/dashboards/{code}/drill?period={}&indicator={}{q}", period.code(), indicator.code);
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
        let previous = aggregate::indicator(indicator, &before).map(|v| v.value);
        tiles.push(Tile {
            code: indicator.code.clone(),
            name: indicator.name.clone(),
            value: reading.map(|r| indicator.format(r.numerator, r.denominator)).unwrap_or_else(|| "—".to_owned()),
            target: Some(target.wording(if is_percentage(indicator) { "%" } else { &indicator.unit }, decimals.min(2))),
            target_when: target.when(),
            target_source: target.directive_number.clone(),
            status: match reading {
                Some(r) if r.value.is_none() => Attainment::Undefined,
                _ => target.attainment(value.map(|v| v.value)),
            },
            gap: value.map(|v| target.gap(v.value, is_percentage(indicator))).unwrap_or_default(),
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

    // Targets for each hamlet of a commune: "x/y thôn đạt".
    if let Some(unit) = unit.filter(|u| u.level == Level::Commune) {
        let path = unit.path.clone();
        let per_hamlet =
            view.metadata("per_hamlet_targets", path.clone(), || targets::per_hamlet_for(pool, &path)).await?;
        let hamlets: Vec<&Unit> = composite.children.iter().filter(|c| c.level == Level::Hamlet).collect();
        for target in per_hamlet.iter().filter(|t| t.year.is_none_or(|y| y == period.year())) {
            let Some(indicator) = catalogue.indicator(&target.indicator_code) else { continue };
            if hamlets.is_empty() {
                continue;
            }
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
            let unit_word = if is_percentage(indicator) { "%" } else { &indicator.unit };
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
                drill: format!("/dashboards/{code}/drill?period={}&indicator={}{q}", period.code(), indicator.code),
            });
        }
    }

    // Reporting completeness of the units directly below that report (hamlets' figures are their
    // commune's), for the period's last quarter; a commune without any says its own report's state.
    let (year, quarter) = period.last_quarter();
    let reporting: Vec<&Unit> = composite.children.iter().filter(|u| u.level <= Level::Commune).collect();
    let ids: Vec<i32> = reporting.iter().map(|u| u.id).chain(unit.map(|u| u.id)).collect();
    let rows = view.reporting(scope.path(), &ids, period).await?;
    let due = view.metadata("calendar", String::new(), || crate::reports::calendar(pool)).await?.due(year, quarter);
    let mut submitted = 0;
    let mut late = Vec::new();
    let mut missing = Vec::new();
    let mut correcting = Vec::new();
    for child in &reporting {
        let row = rows.iter().find(|r| r.unit_id == child.id);
        if row.is_some_and(|r| r.is_being_corrected()) {
            correcting.push(child.name.clone());
        }
        match row.and_then(|r| r.first_submitted_at) {
            Some(at) => {
                submitted += 1;
                let days = crate::reports::store::days_late(at, due);
                if days > 0 {
                    late.push(format!("{} (muộn {days} ngày)", child.name));
                }
            }
            None => missing.push(child.name.clone()),
        }
    }
    let own_report = match unit.filter(|_| reporting.is_empty()) {
        Some(own) => {
            let row = rows.iter().find(|r| r.unit_id == own.id);
            let state = match row {
                Some(r) if r.is_being_corrected() => "đang sửa (đã mở lại sau khi duyệt)".to_owned(),
                Some(r) => match r.status.as_deref().map(crate::reports::store::Status::parse) {
                    Some(status) => status.label().to_lowercase(),
                    None => "chưa báo cáo".to_owned(),
                },
                None => "chưa báo cáo".to_owned(),
            };
            Some(format!("Báo cáo {} của đơn vị: {state}", Period::Quarter { year, quarter }.label()))
        }
        None => None,
    };

    // Ranking of the sub-units on one indicator.
    let ranking_code = if query.indicator.is_empty() {
        tiles
            .first()
            .map(|t| t.code.clone())
            .unwrap_or_else(|| catalogue.indicators.first().map(|i| i.code.clone()).unwrap_or_default())
    } else {
        query.indicator.clone()
    };
    let ranking_indicator = catalogue.indicator(&ranking_code);
    let children = composite.children.clone();
    let b = basis_query(basis);
    let mut ranking: Vec<RankRow> = children
        .iter()
        .map(|child| {
            let part = parts.get(&child.path);
            let reading = match (ranking_indicator, part) {
                (Some(ind), Some(part)) => aggregate::reading(ind, part),
                _ => None,
            };
            RankRow {
                rank: 0,
                name: child.name.clone(),
                href: format!(
                    "/dashboards/{}?period={}{b}{}",
                    child.code,
                    period.code(),
                    unit_date_query(child, period)
                ),
                drill: format!(
                    "/dashboards/{}/drill?period={}&indicator={ranking_code}{b}{}",
                    child.code,
                    period.code(),
                    unit_date_query(child, period)
                ),
                value: reading.and_then(|r| r.value),
                // Zero (0/0 (—)), not reported and being corrected read differently.
                text: match (ranking_indicator, reading) {
                    (Some(ind), Some(r)) => ind.format(r.numerator, r.denominator),
                    _ if correcting.contains(&child.name) => CORRECTING.to_owned(),
                    _ if part.is_some() => "Chưa báo cáo chỉ số này".to_owned(),
                    _ => NOT_REPORTED.to_owned(),
                },
                heat: 0,
            }
        })
        .collect();
    let known: Vec<Decimal> = ranking.iter().filter_map(|r| r.value).collect();
    let (lo, hi) = known.iter().fold((Decimal::MAX, Decimal::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    for row in &mut ranking {
        row.heat = match row.value {
            // Five shades: the position between the lowest and the highest, in quarters.
            Some(v) if hi > lo => {
                let step = ((v - lo) * Decimal::from(4)).checked_div(hi - lo).unwrap_or_default();
                1 + crate::figures::round(step, 0).to_u8().unwrap_or(0)
            }
            Some(_) => 3,
            None => 0,
        };
    }
    match query.sort.as_str() {
        "name" => {}
        "asc" => ranking.sort_by_key(|r| r.value.unwrap_or(Decimal::MAX)),
        _ => ranking.sort_by(|a, b| b.value.unwrap_or(Decimal::MIN).cmp(&a.value.unwrap_or(Decimal::MIN))),
    }
    for (i, row) in ranking.iter_mut().enumerate() {
        row.rank = i + 1;
    }
    let (ranking, ranking_middle, ranking_tail) = fold_ranking(ranking);
    let ranking_svg = charts::bars(
        &ranking
            .iter()
            .chain(&ranking_tail)
            .filter_map(|r| r.value.map(|v| (r.name.clone(), v, r.text.clone())))
            .collect::<Vec<_>>(),
        if ranking_middle.is_empty() {
            "Xếp hạng đơn vị trực thuộc"
        } else {
            "Xếp hạng đơn vị trực thuộc: các đơn vị đầu và cuối bảng"
        },
    );

    // Overdue tasks and milestones due.
    let today = units::today();
    let agenda = view
        .metadata("agenda", format!("{scope_key}|{today}"), || async {
            let mut overdue_tasks = Vec::new();
            if let Some(unit) = &scope.unit {
                for task in crate::directives::tasks_for_unit(pool, unit.id, today).await? {
                    if let Some(deadline) = task.deadline.filter(|d| *d < today) {
                        overdue_tasks.push(OverdueTask {
                            directive_number: task.directive_number,
                            task_number: task.number,
                            deadline,
                        });
                    }
                }
            }
            let milestones: Vec<AgendaMilestone> = sqlx::query_as::<_, (String, String, chrono::NaiveDate)>(
                "SELECT d.number, m.kind, m.due_on FROM milestones m JOIN directives d ON d.id = m.directive_id
                     LEFT JOIN units issuer ON issuer.id = d.issuing_unit_id
                     WHERE m.due_on BETWEEN $2 - 365 AND $2 + 90
                       AND (d.issuing_unit_id IS NULL OR ($1::ltree IS NOT NULL AND $1::ltree <@ issuer.path)
                            OR ($1::ltree IS NULL) OR issuer.path <@ $1::ltree)
                     ORDER BY m.due_on LIMIT 20",
            )
            .bind(scope.path())
            .bind(today)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(directive_number, kind, due_on)| AgendaMilestone {
                directive_number,
                kind: if kind == "so_ket" { "Sơ kết" } else { "Tổng kết" },
                due_on,
                overdue: due_on < today,
            })
            .collect();
            Ok((overdue_tasks, milestones))
        })
        .await?;
    let (overdue_tasks, milestones) = agenda.as_ref().clone();

    let ranking_indicators = catalogue.indicators.iter().map(|i| (i.code.clone(), i.name.clone())).collect::<Vec<_>>();
    let history = history_note(scope, &composite);
    let namesakes = scope
        .namesakes
        .iter()
        .map(|u| {
            (
                u.dated_name(),
                format!("/dashboards/{}?period={}{b}{}", u.code, period.code(), unit_date_query(u, period)),
            )
        })
        .collect();
    Ok(std::sync::Arc::new(DashboardBody {
        scope_name: scope.name(),
        scope_code: code,
        unit_date: scope.unit.as_ref().map(|u| u.a_valid_date(period.end_date()).to_string()).unwrap_or_default(),
        validity: scope.unit.as_ref().map(|u| u.validity_text()).unwrap_or_default(),
        namesakes,
        history,
        periods: period_choices(period),
        period,
        basis_submitted: basis == Basis::Submitted,
        tiles,
        others,
        ranking_indicator: ranking_code,
        ranking_indicators,
        ranking,
        ranking_middle,
        ranking_tail,
        ranking_svg,
        sort: query.sort.clone(),
        submitted,
        expected: reporting.len(),
        late,
        missing,
        correcting,
        own_report,
        overdue_tasks,
        milestones,
        printed_on: format::date(today),
    }))
}

/// Where a unit's figures come from across the 2025 reform, as the page says it.
pub struct HistoryNote {
    pub text: String,
    /// (name, link, how it counts): "toàn bộ", "một phần — tính toàn bộ ở đây", "một phần —
    /// tính ở Xã Y".
    pub sources: Vec<(String, String, String)>,
    pub estimated: bool,
}

fn history_note(scope: &Scope, composite: &history::Composite) -> Option<HistoryNote> {
    let period = scope.period;
    let names = |counted: bool| {
        composite
            .sources
            .iter()
            .filter(|p| p.counted == counted)
            .map(|p| p.unit.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = match (composite.era, &scope.unit) {
        (history::Era::Own, _) => return None,
        (history::Era::Before, Some(unit)) => format!(
            "{} được thành lập từ 01/07/2025. Số liệu {} là số liệu của các đơn vị tiền thân: {}.",
            unit.name,
            period.label(),
            names(true)
        ),
        (history::Era::Spanning, Some(unit)) => format!(
            "{} gồm số liệu của các đơn vị tiền thân ({}) đến 30/06/2025 và của {} từ 01/07/2025 với các chỉ tiêu cộng dồn; \
             số liệu thời điểm (hiện có) là của các đơn vị tồn tại cuối kỳ.",
            format::capitalize(&period.label()),
            names(true),
            unit.name
        ),
        (_, None) => format!(
            "{} gồm số liệu của các tỉnh, thành phố trước sắp xếp đến 30/06/2025 và của 34 tỉnh, thành phố từ \
             01/07/2025 với các chỉ tiêu cộng dồn; số liệu thời điểm (hiện có) là của các đơn vị tồn tại cuối kỳ.",
            format::capitalize(&period.label())
        ),
    };
    let sources = composite
        .sources
        .iter()
        .map(|p| {
            let how = match (p.counted, p.is_split()) {
                (true, false) => "Nhập toàn bộ".to_owned(),
                (true, true) => format!(
                    "Một phần (phần còn lại nay thuộc {}): số liệu tính toàn bộ ở đây, là số ước tính",
                    p.shared_with.join(", ")
                ),
                (false, _) => format!("Một phần: số liệu tính ở {}, không cộng vào đây", p.counted_in),
            };
            (
                p.unit.dated_name(),
                format!("/dashboards/{}?period={}{}", p.unit.code, period.code(), unit_date_query(&p.unit, period)),
                how,
            )
        })
        .collect();
    Some(HistoryNote { text, sources, estimated: composite.estimated() })
}

pub struct DrillRow {
    pub name: String,
    pub href: Option<String>,
    /// `None`: nobody reported it (shown empty, never 0).
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub text: String,
}

impl DrillRow {
    pub fn numerator_text(&self) -> String {
        self.numerator.map(|n| format::format_number(n, 2)).unwrap_or_default()
    }

    pub fn denominator_text(&self) -> String {
        self.denominator.map(|d| format::format_number(d, 2)).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "dashboards/drill.html")]
struct DrillPage {
    layout: Layout,
    scope_name: String,
    period: Period,
    title: String,
    unit_of_measure: String,
    has_denominator: bool,
    rows: Vec<DrillRow>,
    total: DrillRow,
    sources: Vec<(String, String, String)>,
    back: String,
}

/// For a stock over several quarters, the latest quarter within `(from, to)` (year × 10 +
/// quarter) in which each part's units reported one of `codes`: the quarter a part's figure is
/// from (its units' latest values; the latest of them when they differ).
async fn latest_quarters(
    pool: &sqlx::PgPool,
    scope: &Scope,
    parts: &BTreeMap<String, Totals>,
    codes: &[String],
    (from, to): (i32, i32),
    basis: Basis,
) -> sqlx::Result<BTreeMap<String, Period>> {
    let own = scope.path().map(str::to_owned);
    let paths: Vec<String> = parts.keys().filter(|p| Some(p.as_str()) != own.as_deref()).cloned().collect();
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "SELECT c.path::text, max(r.year * 10 + r.quarter)
         FROM (SELECT p::ltree AS path, false AS own FROM UNNEST($1::text[]) AS p
               UNION ALL SELECT $2::ltree, true WHERE $2 IS NOT NULL) AS c
         JOIN units u ON (c.own AND u.path = c.path) OR (NOT c.own AND u.path <@ c.path)
         JOIN reports r ON r.unit_id = u.id AND r.year * 10 + r.quarter BETWEEN $3 AND $4 AND r.status = ANY($5)
         WHERE EXISTS (SELECT 1 FROM report_values v WHERE v.report_id = r.id AND v.element_code = ANY($6))
         GROUP BY c.path",
    )
    .bind(&paths)
    .bind(own)
    .bind(from)
    .bind(to)
    .bind(basis.statuses())
    .bind(codes)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(path, key)| {
            let quarter = u8::try_from(key % 10).ok()?;
            Some((path, Period::Quarter { year: key / 10, quarter }))
        })
        .collect())
}

/// What a figure is made of: the unit's own report and each sub-unit's subtree, which add up
/// to the whole; at a unit without sub-units, the reports and fields it came from.
pub async fn drill(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<DashboardQuery>,
) -> AppResult<Response> {
    let view = state.aggregates.view_for(&read).await?;
    // Every read of the page from the view's database: the replica or the primary.
    let pool = view.pool();
    let scope = scope(&view, &user, &code, &query.period, &query.unit_date).await?;
    let basis = Basis::parse(&query.basis);
    let catalogue = Catalogue::load(pool).await?;
    let period = scope.period;
    let q = basis_query(basis);
    // Either an indicator (numerator and denominator) or one element key.
    let indicator = catalogue.indicator(&query.indicator).cloned();
    let key = query.key.clone();
    let (title, unit_of_measure) = match (&indicator, key.split_once('.').map(|(c, _)| c).unwrap_or(&key)) {
        (Some(ind), _) => (ind.name.clone(), ind.unit.clone()),
        (None, code) => {
            let element = catalogue.element(code).ok_or(AppError::NotFound)?;
            (element.name.clone(), element.unit_of_measure.clone())
        }
    };
    // A figure nobody reported is "chưa báo cáo", never 0; a reported 0/0 reads "0/0 (—)".
    let measure = |totals: &Totals| -> (Option<Decimal>, Option<Decimal>, String) {
        match &indicator {
            Some(ind) => match aggregate::reading(ind, totals) {
                Some(r) => (Some(r.numerator), r.denominator, ind.format(r.numerator, r.denominator)),
                None => (None, None, NOT_REPORTED.to_lowercase()),
            },
            None => match totals.get(&key) {
                Some(v) => (Some(*v), None, format::format_number(*v, 2)),
                None => (None, None, NOT_REPORTED.to_lowercase()),
            },
        }
    };
    // The element codes the figure reads, and whether it is a stock (each unit's latest value
    // within the period: the page says which quarter that was).
    let codes: Vec<String> = match &indicator {
        Some(ind) => ind
            .numerator_expression()
            .into_iter()
            .chain(ind.denominator_expression())
            .flat_map(|e| e.terms.into_iter().map(|t| t.code))
            .collect(),
        None => vec![key.split('.').next().unwrap_or(&key).to_owned()],
    };
    let is_stock = codes.iter().any(|c| catalogue.element(c).is_some_and(|e| e.is_stock()));
    let composite = history::composite(&view, scope.unit.as_ref(), period, basis).await?;
    let parts = &composite.parts;
    let names: BTreeMap<String, (String, String)> = {
        let ids: Vec<i32> = parts.keys().filter_map(|p| p.rsplit('.').next()?.parse().ok()).collect();
        sqlx::query_as::<_, (String, String, String)>("SELECT path::text, name, code FROM units WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(path, name, code)| (path, (name, code)))
            .collect()
    };
    let selector = match &indicator {
        Some(ind) => format!("indicator={}", ind.code),
        None => format!("key={key}"),
    };
    let (from, to) = {
        let qs = period.quarters();
        let k = |(y, q): (i32, u8)| y * 10 + i32::from(q);
        (k(qs[0]), k(qs[qs.len() - 1]))
    };
    let latest = match is_stock && from != to {
        true => latest_quarters(pool, &scope, parts, &codes, (from, to), basis).await?,
        false => BTreeMap::new(),
    };
    let mut rows = Vec::new();
    for (path, totals) in parts.iter() {
        let (numerator, denominator, mut text) = measure(totals);
        if let Some(quarter) = latest.get(path).filter(|_| numerator.is_some()) {
            text = format!("{text} ({})", quarter.label());
        }
        let (name, child_code) = names.get(path).cloned().unwrap_or_else(|| (path.clone(), String::new()));
        let is_own = Some(path.as_str()) == scope.path();
        let unit_date =
            composite.children.iter().find(|c| c.path == *path).map(|c| unit_date_query(c, period)).unwrap_or_default();
        let own_label = if composite.era == history::Era::Own {
            "báo cáo của chính đơn vị"
        } else {
            "báo cáo của chính đơn vị; số liệu trước 01/07/2025 của tỉnh, huyện cũ không thuộc đơn vị nào bên dưới"
        };
        rows.push(DrillRow {
            name: if is_own { format!("{name} ({own_label})") } else { name },
            href: (!is_own)
                .then(|| format!("/dashboards/{child_code}/drill?period={}&{selector}{q}{unit_date}", period.code())),
            numerator,
            denominator,
            text,
        });
    }
    // Units directly below with nothing in the totals: not reported, or being corrected.
    let (year, quarter) = period.last_quarter();
    let silent: Vec<&Unit> =
        composite.children.iter().filter(|c| c.level <= Level::Commune && !parts.contains_key(&c.path)).collect();
    let ids: Vec<i32> = silent.iter().map(|c| c.id).collect();
    let states = crate::reports::store::overview(pool, &ids, year, quarter).await?;
    for child in silent {
        let correcting = states.iter().any(|r| r.unit_id == child.id && r.is_being_corrected());
        rows.push(DrillRow {
            name: child.name.clone(),
            href: Some(format!(
                "/dashboards/{}/drill?period={}&{selector}{q}{}",
                child.code,
                period.code(),
                unit_date_query(child, period)
            )),
            numerator: None,
            denominator: None,
            text: if correcting { CORRECTING.to_owned() } else { NOT_REPORTED.to_lowercase() },
        });
    }
    let whole = composite.totals();
    let (numerator, denominator, text) = measure(&whole);
    let total = DrillRow { name: format!("Tổng {}", scope.name()), href: None, numerator, denominator, text };

    // The reports the unit's own figure came from, with the field.
    let mut sources = Vec::new();
    if let Some(unit) = &scope.unit {
        let rows: Vec<(i32, i16, String, String, Decimal, String)> = sqlx::query_as(
            "SELECT r.year, r.quarter, v.element_code, v.organisation_code, v.value, r.status
             FROM reports r JOIN report_values v ON v.report_id = r.id
             WHERE r.unit_id = $1 AND r.year * 10 + r.quarter BETWEEN $2 AND $3 AND v.element_code = ANY($4)
               AND r.status = ANY($5)
             ORDER BY r.year, r.quarter, v.element_code, v.organisation_code",
        )
        .bind(unit.id)
        .bind(from)
        .bind(to)
        .bind(&codes)
        .bind(basis.statuses())
        .fetch_all(pool)
        .await?;
        for (year, quarter, element, org, value, _) in rows {
            let report = Period::Quarter { year, quarter: quarter as u8 };
            let field = if org.is_empty() { element.clone() } else { format!("{element}.{org}") };
            let name = catalogue.element(&element).map(|e| e.name.clone()).unwrap_or(element);
            sources.push((
                format!("/reports/{}/{}#f-{field}", unit.code, report.code()),
                format!(
                    "{} — {}{}",
                    report.label(),
                    name,
                    if org.is_empty() { String::new() } else { format!(" ({org})") }
                ),
                format::format_number(value, 2),
            ));
        }
    }
    Ok(render(&DrillPage {
        layout,
        scope_name: scope.name(),
        back: format!("/dashboards/{}?period={}{q}{}", scope.code(), period.code(), scope.unit_date_query()),
        period,
        title,
        unit_of_measure,
        has_denominator: indicator.as_ref().is_some_and(|i| !i.denominator.trim().is_empty()),
        rows,
        total,
        sources,
    }))
}
