//! The home page.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;

use crate::error::AppResult;
use crate::units::{self, queries};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, render};

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::new(Method::GET, "/", "/", Access::SignedIn, get(home))]
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    today: String,
    counts: Vec<(i16, String)>,
}

async fn home(State(state): State<AppState>, layout: Layout) -> AppResult<Response> {
    let today = units::today();
    let counts = queries::counts_on(&state.pool, today)
        .await?
        .into_iter()
        .map(|c| (c.level, crate::format::integer(c.count)))
        .collect();
    Ok(render(&HomePage { layout, today: crate::format::date(today), counts }))
}
