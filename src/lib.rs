//! danvan: directives, targets, indicators and quarterly reports of Vietnam's
//! mass-mobilisation offices.

pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod config;
pub mod dashboards;
pub mod db;
pub mod demo;
pub mod directives;
pub mod error;
pub mod exports;
pub mod figures;
pub mod format;
pub mod health;
pub mod home;
pub mod metrics;
pub mod offices;
pub mod operations;
pub mod replica;
pub mod reports;
pub mod server;
pub mod text;
pub mod units;
pub mod vocabulary;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use web::AppState;
use web::routes::{Access, RouteSpec};

/// Largest request body accepted (forms and JSON); uploads get their own limit.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// Routes that receive files (attachments, imports): they get a larger body limit of their own;
/// their handlers enforce the exact size with a message next to the field.
const UPLOAD_PATHS: [&str; 2] = ["/directives/{id}/attachments", "/imports/values"];

/// Every route of the app, each with its access rule (see `web::routes`).
pub fn route_table() -> Vec<RouteSpec> {
    let mut table = vec![
        RouteSpec::new(Method::GET, "/healthz", "/healthz", Access::Public, get(health::healthz)),
        // Public as far as sessions go; the operator's allow-list is checked inside.
        RouteSpec::new(Method::GET, "/metrics", "/metrics", Access::Public, get(metrics::scrape)),
        RouteSpec::new(Method::GET, "/static/{*path}", "/static/css/app.css", Access::Public, get(web::assets::serve)),
    ];
    table.extend(home::routes());
    table.extend(units::routes());
    table.extend(auth::routes());
    table.extend(audit::routes());
    table.extend(catalogue::routes());
    table.extend(directives::pages::routes());
    table.extend(reports::routes());
    table.extend(dashboards::routes());
    table.extend(exports::routes());
    table.extend(offices::routes());
    table
}

/// After every request that may write (not GET, HEAD or OPTIONS) other than the writes that
/// move reports only ([`reports::REPORT_ONLY_WRITES`]), what this server keeps to
/// spare the database a round trip per view is read again: the metadata generation (so whoever
/// changed a target or the catalogue sees it on the next page, before its announcement comes
/// back) and the signed-in sessions (a sign-out, a deactivation, a changed role).
async fn forget_after_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|path| path.as_str());
    let writes = web::routes::changes_data(request.method())
        && !route.is_some_and(|route| reports::REPORT_ONLY_WRITES.contains(&route));
    let response = next.run(request).await;
    if writes {
        state.aggregates.forget_generation();
        auth::sessions::forget_all();
    }
    response
}

pub fn app(state: AppState) -> Router {
    // Uploads get their own body limit; every other route keeps the general one.
    let (uploads, others): (Vec<RouteSpec>, Vec<RouteSpec>) =
        route_table().into_iter().partition(|spec| UPLOAD_PATHS.contains(&spec.path));
    let mut router = web::routes::build(others)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .merge(web::routes::build(uploads).layer(RequestBodyLimitLayer::new(directives::pages::UPLOAD_BODY_LIMIT)))
        .fallback(web::not_found)
        // Innermost: it sees the handlers' own statuses, after the session and CSRF layers.
        .layer(axum::middleware::from_fn_with_state(state.clone(), replica::routing::route_reads))
        // Cross-site refusals pass through the error pages, which need the session: the
        // order of these three layers matters.
        .layer(CsrfLayer::new())
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::error_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::load_session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), forget_after_writes));
    for (name, value) in web::security_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        // Outermost: the final status and the whole latency, with the matched route's template.
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
