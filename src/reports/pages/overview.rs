//! `GET /reviews`: the reviewer's overview of the units below for one quarter, grouped by what
//! is left to do, with who reported and when.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::reports::store;
use crate::reports::workflow::Status;
use crate::reports::{Period, Quarter};
use crate::units::UnitId;
use crate::units::{self, Unit};
use crate::web::{AppState, Layout, filters, render};

#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    period: String,
}

pub struct OverviewRow {
    pub unit: Unit,
    pub href: String,
    pub status: Option<Status>,
    pub timing: String,
    pub late: bool,
    /// Accepted once and reopened for correction: "đang sửa", not "late" nor "not sent".
    pub correcting: bool,
}

/// The units of one state on the reviewer's overview. A province of today reviews 100+
/// communes: the ones waiting for review come first and open, the accepted ones folded, so the
/// page stays readable on a phone.
pub struct OverviewGroup {
    pub title: &'static str,
    pub open: bool,
    pub rows: Vec<OverviewRow>,
}

#[derive(Template)]
#[template(path = "reports/overview.html")]
struct OverviewPage {
    layout: Layout,
    period: Period,
    periods: Vec<Period>,
    due: NaiveDate,
    groups: Vec<OverviewGroup>,
    total: usize,
    submitted: usize,
    parent_name: String,
}

/// A group of the overview: its title, which states belong to it, whether it opens.
type GroupSpec = (&'static str, fn(Option<Status>) -> bool, bool);

/// Groups the rows by what the reviewer has to do, in that order (see [`OverviewGroup`]).
fn overview_groups(rows: Vec<OverviewRow>) -> Vec<OverviewGroup> {
    let order: [GroupSpec; 4] = [
        ("Chờ duyệt", |s| s == Some(Status::Submitted), true),
        ("Đã trả lại, chờ gửi lại", |s| s == Some(Status::Returned), true),
        ("Chưa gửi", |s| matches!(s, None | Some(Status::Draft)), true),
        ("Đã duyệt", |s| s == Some(Status::Accepted), false),
    ];
    let mut rows: Vec<Option<OverviewRow>> = rows.into_iter().map(Some).collect();
    let total = rows.len();
    let mut groups = Vec::new();
    for (title, belongs, open) in order {
        let members: Vec<OverviewRow> = rows
            .iter_mut()
            .filter(|r| r.as_ref().is_some_and(|r| belongs(r.status)))
            .filter_map(Option::take)
            .collect();
        if !members.is_empty() {
            // A short list stays open whatever its state.
            groups.push(OverviewGroup { title, open: open || total <= 20, rows: members });
        }
    }
    let rest: Vec<OverviewRow> = rows.into_iter().flatten().collect();
    if !rest.is_empty() {
        groups.push(OverviewGroup { title: "Khác", open: true, rows: rest });
    }
    groups
}

fn recent_quarters(count: usize) -> Vec<Period> {
    std::iter::successors(Some(Quarter::containing(units::today())), |q| Some(q.previous()))
        .take(count)
        .map(Period::from)
        .collect()
}

pub async fn overview(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(query): Query<OverviewQuery>,
) -> AppResult<Response> {
    if !user.has(crate::auth::Role::Reviewer) {
        return Err(AppError::Forbidden);
    }
    let quarter = query
        .period
        .parse::<Period>()
        .ok()
        .and_then(|period| period.as_quarter())
        .unwrap_or_else(|| Quarter::containing(units::today()).previous());
    let period = Period::from(quarter);
    let children: Vec<Unit> = match &user.unit {
        Some(own) => units::queries::children(&state.pool, own.id).await?,
        None => units::queries::provinces_on(&state.pool, quarter.last_day()).await?,
    };
    let children: Vec<Unit> = children.into_iter().filter(|u| u.is_valid_on(quarter.last_day())).collect();
    let ids: Vec<UnitId> = children.iter().map(|u| u.id).collect();
    let rows = store::overview(&state.pool, &ids, quarter).await?;
    let due = crate::reports::calendar(&state.pool).await?.due(quarter);
    let today = units::today();
    let mut submitted = 0;
    let rows = children
        .into_iter()
        .map(|unit| {
            let row = rows.iter().find(|r| r.unit_id == unit.id);
            let status = row.and_then(|r| r.status);
            let first = row.and_then(|r| r.first_submitted_at);
            if matches!(status, Some(Status::Submitted | Status::Accepted | Status::Returned)) {
                submitted += 1;
            }
            let correcting = row.is_some_and(|r| r.is_being_corrected());
            let (timing, late) = match first {
                Some(at) if correcting => match store::days_late(at, due) {
                    0 => ("Đang sửa sau khi duyệt (lần đầu gửi đúng hạn)".to_owned(), false),
                    days => (format!("Đang sửa sau khi duyệt (lần đầu gửi muộn {days} ngày)"), false),
                },
                Some(at) => match store::days_late(at, due) {
                    0 => ("Gửi đúng hạn".to_owned(), false),
                    days => (format!("Gửi muộn {days} ngày"), true),
                },
                None if today > due => (format!("Chưa gửi — quá hạn {} ngày", (today - due).num_days()), true),
                None => ("Chưa gửi — chưa đến hạn".to_owned(), false),
            };
            OverviewRow {
                href: format!("/reports/{}/{}", unit.code, quarter.code()),
                unit,
                status,
                timing,
                late,
                correcting,
            }
        })
        .collect();
    // The period shown is always in the list, however old.
    let mut periods = recent_quarters(24);
    if !periods.contains(&period) {
        periods.push(period);
    }
    let rows: Vec<OverviewRow> = rows;
    let total = rows.len();
    Ok(render(&OverviewPage {
        layout,
        period,
        periods,
        due,
        groups: overview_groups(rows),
        total,
        submitted,
        parent_name: user.unit_name(),
    }))
}
