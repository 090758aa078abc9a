//! Quarterly reports: entry the Vietnamese way, validation rules, the review workflow
//! (nháp → đã gửi → trả lại → đã duyệt, in [`workflow`]), deadlines, the reviewer's overview
//! and the JSON API.

pub mod address;
pub mod api;
pub mod changes;
pub mod demo;
pub mod entry;
pub mod pages;
pub mod period;
pub mod quarter;
pub mod store;
pub mod workflow;

use axum::http::Method;
use axum::routing::{get, post};
use sqlx::PgPool;

pub use address::ReportAddress;
pub use period::{Calendar, Period};
pub use quarter::Quarter;

use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::AppResult;
use crate::units::Unit;
use crate::web::routes::{Access, RouteSpec};

/// The routes whose writes move reports only (figures, narrative, statuses, roll-ups): they
/// change no metadata generation (report moves stopped bumping it in migration 0013) and no
/// session, so the server forgets neither after them (`lib.rs::forget_after_writes`) — at
/// quarter-end they are nearly every write, and each forgetting cost the next views a round trip.
pub const REPORT_ONLY_WRITES: [&str; 3] =
    ["/reports/{unit}/{period}", "/reports/{unit}/{period}/review", "/api/v1/reports/{unit}/{period}"];

pub fn routes() -> Vec<RouteSpec> {
    use Access::SignedIn;
    vec![
        RouteSpec::new(Method::GET, "/reports", "/reports", SignedIn, get(pages::index)),
        RouteSpec::new(Method::GET, "/reviews", "/reviews?period=2021-Q1", SignedIn, get(pages::overview)),
        RouteSpec::new(Method::GET, "/reports/{unit}/{period}", "/reports/30883/2017-Q1", SignedIn, get(pages::show)),
        RouteSpec::new(Method::POST, "/reports/{unit}/{period}", "/reports/30883/2017-Q1", SignedIn, post(pages::save)),
        RouteSpec::new(
            Method::POST,
            "/reports/{unit}/{period}/review",
            "/reports/30883/2017-Q1/review",
            SignedIn,
            post(pages::review),
        ),
        RouteSpec::new(
            Method::GET,
            "/api/v1/reports/{unit}/{period}",
            "/api/v1/reports/30883/2017-Q1",
            SignedIn,
            get(api::get_report),
        ),
        RouteSpec::new(
            Method::PUT,
            "/api/v1/reports/{unit}/{period}",
            "/api/v1/reports/30883/2017-Q1",
            SignedIn,
            axum::routing::put(api::put_report),
        ),
    ]
}

/// The deployment's reporting calendar (settings `report_cutoff_day`, `report_due_working_days`).
pub async fn calendar(pool: &PgPool) -> sqlx::Result<Calendar> {
    let rows =
        sqlx::query!("SELECT key, value FROM settings WHERE key IN ('report_cutoff_day', 'report_due_working_days')")
            .fetch_all(pool)
            .await?;
    let mut calendar = Calendar::default();
    for (key, value) in rows.into_iter().map(|row| (row.key, row.value)) {
        match (key.as_str(), value.trim().parse::<u32>()) {
            ("report_cutoff_day", Ok(day)) if (1..=28).contains(&day) => calendar.cutoff_day = day,
            ("report_due_working_days", Ok(days)) if days <= 30 => calendar.due_working_days = days,
            _ => tracing::warn!(%key, %value, "giá trị lịch báo cáo không hợp lệ, dùng mặc định"),
        }
    }
    Ok(calendar)
}

/// The catalogue as of now, read through the dashboards' cache per metadata generation: one
/// query instead of five, since at quarter-end each round trip of a save waits its turn for
/// the CPU. A catalogue change bumps the generation in its own transaction, so this is never
/// older than the last committed change.
pub async fn catalogue(state: &crate::web::AppState) -> AppResult<std::sync::Arc<crate::catalogue::Catalogue>> {
    Ok(state.aggregates.view(&state.pool).await?.catalogue().await?)
}

/// Who may do what on this report.
pub struct Permissions {
    pub view: bool,
    pub enter: bool,
    pub review: bool,
}

pub fn permissions(user: &CurrentUser, unit: &Unit) -> Permissions {
    let place = Some(Place::from(unit));
    Permissions {
        view: authz::can(user, Action::ViewData, place),
        enter: authz::can(user, Action::EnterReport, place),
        review: authz::can(user, Action::ReviewReport, place),
    }
}
