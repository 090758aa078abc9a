//! The body of a dashboard: everything the page shows apart from the frame, the same for every
//! user allowed to see it, so it is computed once per data generation and cached
//! ([`super::cache::View::dashboard`]). [`compute`] assembles it from named parts, each in its
//! own file:
//! - [`tiles`]: each indicator against its target (value, attainment, gap, trend, change on the
//!   year before), hamlet by hamlet for a commune's per-hamlet targets, and the indicators
//!   without a target;
//! - [`completeness`]: which units directly below sent their reports, late, or not at all;
//! - [`ranking`]: the units directly below on one indicator;
//! - [`agenda`]: overdue tasks and the reviews (sơ kết, tổng kết) coming due;
//! - [`lineage`]: where the figures come from across the 2025 reform.

pub mod agenda;
pub mod completeness;
pub mod lineage;
pub mod ranking;
pub mod tiles;

use std::sync::Arc;

use agenda::Agenda;
use completeness::Completeness;
use lineage::HistoryNote;
use ranking::Ranking;
use tiles::{OtherIndicator, Tile};
pub use tiles::{TREND_QUARTERS, change_text, indicator_text};

use super::aggregate::Basis;
use super::cache::View;
use super::history;
use super::scope::{DashboardQuery, Scope, basis_query, default_period, unit_date_query};
use crate::error::AppResult;
use crate::format;
use crate::reports::Period;
use crate::units;

/// A unit without a report (or without an accepted one, on the accepted basis): never a zero.
pub const NOT_REPORTED: &str = "Chưa báo cáo";

/// A unit whose accepted report was reopened: its figures are left out of every total until it
/// is accepted again (the roll-ups follow the report's status), and the pages say so.
pub const CORRECTING: &str = "Đang sửa — số liệu đã duyệt trước đó tạm không tính";

/// Everything a dashboard shows apart from the frame (see the module docs).
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
    /// The periods the page offers, latest first.
    pub periods: Vec<Period>,
    pub basis_submitted: bool,
    pub tiles: Vec<Tile>,
    pub others: Vec<OtherIndicator>,
    pub ranking: Ranking,
    pub completeness: Completeness,
    pub agenda: Agenda,
    pub printed_on: String,
}

/// Computes the body of the dashboard of `scope` (see the module docs).
pub async fn compute(
    view: &View<'_>,
    scope: &Scope,
    query: &DashboardQuery,
    basis: Basis,
) -> AppResult<Arc<DashboardBody>> {
    let catalogue = view.catalogue().await?;
    let period = scope.period;
    let today = units::today();
    // Three independent chains of reads, joined: a first view (nothing cached) waits for the
    // longest of them rather than for its dozen statements one after the other, which at
    // quarter-end each wait for a core.
    let figures = async {
        let composite = history::composite(view, scope.unit.as_ref(), period, basis).await?;
        let completeness = completeness::completeness(view, scope, &composite).await?;
        Ok::<_, sqlx::Error>((composite, completeness))
    };
    let ((composite, completeness), readings, agenda) =
        tokio::try_join!(figures, tiles::read(view, scope, basis), agenda::agenda(view, scope, today))?;
    let links = Links::new(scope, basis);
    let (tiles, others) = tiles::tiles(scope, &composite, &readings, &catalogue, &links);
    let ranking = ranking::ranking(&catalogue, &composite, &tiles, &completeness, query, period, basis);
    let b = basis_query(basis);
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
    Ok(Arc::new(DashboardBody {
        scope_name: scope.name(),
        scope_code: scope.code(),
        unit_date: scope.unit.as_ref().map(|u| u.a_valid_date(period.end_date()).to_string()).unwrap_or_default(),
        validity: scope.unit.as_ref().map(|u| u.validity_text()).unwrap_or_default(),
        namesakes,
        history: lineage::history_note(scope, &composite),
        periods: period_choices(period),
        period,
        basis_submitted: basis == Basis::Submitted,
        tiles,
        others,
        ranking,
        completeness,
        agenda: agenda.as_ref().clone(),
        printed_on: format::date(today),
    }))
}

/// The links a body's parts share: the drill-down of one indicator for the dashboard's unit.
pub struct Links {
    code: String,
    period: Period,
    /// `&basis=…&unit_date=…` keeping the basis and the unit.
    query: String,
}

impl Links {
    fn new(scope: &Scope, basis: Basis) -> Self {
        Links {
            code: scope.code(),
            period: scope.period,
            query: format!("{}{}", basis_query(basis), scope.unit_date_query()),
        }
    }

    /// `/dashboards/{code}/drill?period=…&indicator=…`.
    pub fn drill(&self, indicator: &str) -> String {
        format!("/dashboards/{}/drill?period={}&indicator={indicator}{}", self.code, self.period.code(), self.query)
    }
}

/// The periods the page offers: the eight years up to the last complete quarter, each as the
/// year, nine months, half year and quarters, latest first; and the shown one if older.
fn period_choices(selected: Period) -> Vec<Period> {
    let mut periods = Vec::new();
    let latest = default_period();
    let year = latest.final_quarter().year();
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
