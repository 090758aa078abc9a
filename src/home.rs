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
    vec![
        RouteSpec::new(Method::GET, "/", "/", Access::SignedIn, get(home)),
        RouteSpec::new(Method::GET, "/about", "/about", Access::SignedIn, get(about)),
    ]
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

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    layout: Layout,
    version: &'static str,
    database_time: String,
}

/// About the application: also the benchmark's baseline, one trivial query through the layout.
async fn about(State(state): State<AppState>, layout: Layout) -> AppResult<Response> {
    let now: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&state.pool).await?;
    let database_time = (now + chrono::Duration::hours(7)).format("%H:%M:%S ngày %d/%m/%Y").to_string();
    Ok(render(&AboutPage { layout, version: env!("CARGO_PKG_VERSION"), database_time }))
}
