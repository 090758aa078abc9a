//! `GET /healthz`: 200 when the database answers, 503 otherwise.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use sqlx::PgPool;

pub async fn healthz(State(pool): State<PgPool>) -> (StatusCode, &'static str) {
    let ping = sqlx::query_scalar!("SELECT 1").fetch_one(&pool);
    match tokio::time::timeout(Duration::from_secs(3), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
