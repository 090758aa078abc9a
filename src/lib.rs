//! danvan: directives, targets, indicators and quarterly reports of Vietnam's
//! mass-mobilisation offices.

pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod format;
pub mod health;
pub mod home;
pub mod server;
pub mod text;
pub mod units;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use web::AppState;

/// Largest request body accepted (forms and JSON); uploads get their own limit.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(home::routes())
        .merge(units::routes())
        .route("/healthz", get(health::healthz))
        .route("/static/{*path}", get(web::assets::serve))
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::error_pages,
        ))
        .layer(CsrfLayer::new());
    for (name, value) in web::security_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
