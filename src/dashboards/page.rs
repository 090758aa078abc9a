//! The dashboard page, `GET /dashboards/{unit}`: checks the parameters, then shows the body
//! computed once per data generation and cached (see [`super::body`]) inside the user's frame.
//! `GET /dashboards` opens the user's own unit's.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::aggregate::Basis;
use super::body::{self, DashboardBody};
use super::cache;
use super::scope::{DashboardQuery, scope};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::replica::routing::ReadPool;
use crate::units;
use crate::units::address::UnitAddress;
use crate::web::{AppState, Layout, filters, render};

#[derive(Template)]
#[template(path = "dashboards/show.html")]
struct DashboardPage {
    layout: Layout,
    body: Arc<DashboardBody>,
}

impl std::ops::Deref for DashboardPage {
    type Target = DashboardBody;

    fn deref(&self) -> &DashboardBody {
        &self.body
    }
}

/// `GET /dashboards`: the dashboard of the user's own unit (the country's for central users).
pub async fn own(user: CurrentUser) -> Response {
    let code = user.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned());
    Redirect::to(&format!("/dashboards/{code}")).into_response()
}

/// `GET /dashboards/{unit}?period=…&basis=…&indicator=…&sort=…&unit_date=…`.
pub async fn show(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
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
    let years = (
        cache::AggregateCache::first_year_of_trend(period, body::TREND_QUARTERS).min(period.year() - 1),
        period.year(),
    );
    let variant = format!("{}|{}|{}|{}", period.code(), query.indicator, query.sort, units::today());
    let key = cache::Key::dashboard(scope.path(), basis, years, variant);
    let scope = &scope;
    let query = &query;
    let view = &view;
    let body = view.dashboard(key, || body::compute(view, scope, query, basis)).await?;
    Ok(render(&DashboardPage { layout, body }))
}
