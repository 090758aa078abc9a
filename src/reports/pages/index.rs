//! `GET /reports`: the list of a unit's reports, quarter by quarter.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::reports::store;
use crate::reports::workflow::Status;
use crate::reports::{Period, Quarter};
use crate::units::{self};
use crate::web::{AppState, Layout, filters, render};

pub struct IndexRow {
    pub period: Period,
    pub href: String,
    pub status: Option<Status>,
    pub due: NaiveDate,
}

#[derive(Template)]
#[template(path = "reports/index.html")]
struct IndexPage {
    layout: Layout,
    unit_name: String,
    rows: Vec<IndexRow>,
    is_reviewer: bool,
}

/// The data entry's own unit: its last twelve quarters, with status and due date.
pub async fn index(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let calendar = crate::reports::calendar(&state.pool).await?;
    let mut rows = Vec::new();
    if let Some(own) = &user.unit {
        let unit = units::queries::by_id(&state.pool, own.id).await?.ok_or(AppError::NotFound)?;
        // A unit that ended with the 2025 reform lists the quarters it existed in.
        let last_day = unit.valid_to.unwrap_or_else(units::today).min(units::today());
        let mut quarter = Quarter::containing(last_day);
        for _ in 0..12 {
            let report = store::find(&state.pool, unit.id, quarter).await?;
            rows.push(IndexRow {
                href: format!("/reports/{}/{}", unit.code, quarter.code()),
                status: report.map(|r| r.status),
                due: calendar.due(quarter),
                period: quarter.into(),
            });
            quarter = quarter.previous();
        }
    }
    Ok(render(&IndexPage {
        layout,
        unit_name: user.unit_name(),
        rows,
        is_reviewer: user.has(crate::auth::Role::Reviewer),
    }))
}
