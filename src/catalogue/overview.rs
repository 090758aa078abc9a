//! The catalogue's front page, `/admin/catalogue`: how many rows each entity has.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;

use super::edit::guard;
use super::store;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, render};

pub fn route() -> RouteSpec {
    RouteSpec::new(Method::GET, "/admin/catalogue", "/admin/catalogue", Access::Admin, get(overview))
}

#[derive(Template)]
#[template(path = "catalogue/overview.html")]
struct OverviewPage {
    layout: Layout,
    counts: store::Counts,
}

async fn overview(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let counts = store::counts(&state.pool).await?;
    Ok(render(&OverviewPage { layout, counts }))
}
