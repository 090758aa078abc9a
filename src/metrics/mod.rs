//! What an operator watches: `GET /metrics` in Prometheus' text format, and one log line per
//! request (text, or JSON lines with `DANVAN_LOG_FORMAT=json`).
//!
//! # Why
//! At quarter-end a province's office needs to see, before its users do, that saves slow down,
//! that the pool runs out of connections or that PostgreSQL went away. Prometheus scrapes
//! every app server; the figures come from the `metrics` facade and its Prometheus exporter,
//! rendered by our own route (the exporter's HTTP listener is not compiled in), so `/metrics`
//! goes through the same layers as every page (timeouts, headers, the allow-list).
//!
//! # What is exported
//! - `danvan_http_requests_total{method,route,status}` and
//!   `danvan_http_request_duration_seconds{method,route}` (histogram, 1 ms … 10 s): `route` is
//!   the route's template (`/reports/{unit}/{period}`), never the path, so that the number of
//!   series stays bounded; requests that match no route are `unmatched`.
//! - `danvan_http_requests_in_flight`.
//! - `danvan_db_pool_connections{pool,state}` (`in_use`, `idle`) and
//!   `danvan_db_pool_max_connections{pool}`: `pool="reads"` serves GET and HEAD, `pool="writes"`
//!   every request that changes data (see `server::serve_until`).
//! - `danvan_db_pool_acquire_seconds` (histogram): how long requests waited for a connection,
//!   from sqlx's own timing (see [`logs`]); only in the server binary, whose subscriber listens.
//! - `danvan_db_unavailable_total{cause}`: requests answered 503 because the database could not
//!   be reached (`acquire_timeout`: no connection within the pool's timeout; `connection`,
//!   `statement_timeout`, `shutdown`, `other`).
//! - `danvan_reports{status}`: reports by status (`nhap`, `da_gui`, `tra_lai`, `da_duyet`),
//!   counted at most every [`REPORTS_REFRESH`].
//! - `danvan_rollup_lag_seconds`: always 0, and true: roll-ups are written in the transaction
//!   that moves a report (`dashboards::rollup`), so they never trail the reports.
//!   `danvan_rollup_pending_compactions`: unit-years written and not compacted yet.
//! - `danvan_dashboard_parts_read_total`: parts of rolled-up dashboards (a child's subtree, a
//!   root's own reports) read from the database since the server started: it should grow by
//!   about two per acceptance, not by a province's hundred communes.
//! - `danvan_replica_lag_seconds` and `danvan_replica_up`: set by [`record_replica`], once a
//!   read replica is configured.
//! - `danvan_build_info{version}`: 1.

pub mod allow;
pub mod logs;
pub mod requests;

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

pub use requests::track;

use crate::reports::store::Status;
use crate::web::AppState;

/// Request counter, by method, route template and status.
pub const REQUESTS: &str = "danvan_http_requests_total";
/// Request latency histogram, by method and route template (seconds).
pub const DURATION: &str = "danvan_http_request_duration_seconds";
/// Requests being served now.
pub const IN_FLIGHT: &str = "danvan_http_requests_in_flight";
/// Connections of a pool, by `pool` and `state` (`in_use`, `idle`).
pub const POOL_CONNECTIONS: &str = "danvan_db_pool_connections";
/// The most connections a pool may open, by `pool`.
pub const POOL_MAX: &str = "danvan_db_pool_max_connections";
/// Time to acquire a connection from a request pool (seconds).
pub const POOL_ACQUIRE: &str = "danvan_db_pool_acquire_seconds";
/// Requests answered 503 because the database was unreachable, by `cause`.
pub const UNAVAILABLE: &str = "danvan_db_unavailable_total";
/// Reports by status.
pub const REPORTS: &str = "danvan_reports";
/// Seconds the roll-ups trail the reports: 0 by construction.
pub const ROLLUP_LAG: &str = "danvan_rollup_lag_seconds";
/// Unit-years of roll-up rows not compacted yet.
pub const ROLLUP_PENDING: &str = "danvan_rollup_pending_compactions";
/// Parts of rolled-up dashboards read from the database (`AggregateCache::parts_read`).
pub const DASHBOARD_PARTS_READ: &str = "danvan_dashboard_parts_read_total";
/// Seconds the read replica trails the primary (see [`record_replica`]).
pub const REPLICA_LAG: &str = "danvan_replica_lag_seconds";
/// 1 while the read replica answers, 0 when it does not.
pub const REPLICA_UP: &str = "danvan_replica_up";

/// Bucket bounds of the latency histograms, in seconds: 1 ms to 10 s, fine where the budgets
/// are (30 ms saves, 50 ms dashboards).
pub const BUCKETS: [f64; 16] =
    [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0];

/// How often, at most, `/metrics` counts the reports by status (one scan of `reports`).
pub const REPORTS_REFRESH: Duration = Duration::from_secs(10);

/// The Prometheus recorder, installed as the process's global `metrics` recorder on first use
/// (every `app()` calls this before its first request is counted). A background thread drains
/// the histograms every 5 s so they do not grow between scrapes.
pub fn install() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        // Histograms (not summaries) for the latencies: they add up across app servers.
        let builder = match builder.set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS) {
            Ok(builder) => builder,
            Err(error) => {
                tracing::warn!(%error, "không đặt được các ngưỡng của biểu đồ tần suất");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("đã có bộ ghi số đo khác; /metrics sẽ trống");
        }
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("danvan-metrics".to_owned()).spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "không tạo được luồng bảo trì số đo");
        }
        metrics::gauge!("danvan_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        metrics::gauge!(ROLLUP_LAG).set(0.0);
        handle
    })
}

/// Sets the gauges of `pool` (`reads` or `writes`): connections in use, idle, and the maximum.
/// Cheap (three atomics), so it runs after every request and at every scrape.
pub fn record_pool(pool: &PgPool, name: &'static str) {
    let size = pool.size() as f64;
    let idle = pool.num_idle() as f64;
    metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "in_use").set((size - idle).max(0.0));
    metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "idle").set(idle);
    metrics::gauge!(POOL_MAX, "pool" => name).set(f64::from(pool.options().get_max_connections()));
}

/// The read replica's lag in seconds, or `None` when it cannot be reached: sets
/// [`REPLICA_LAG`] (NaN while unreachable) and [`REPLICA_UP`]. Called by whatever checks the
/// replica; without a replica the two gauges are absent.
pub fn record_replica(lag_seconds: Option<f64>) {
    match lag_seconds {
        Some(lag) => {
            metrics::gauge!(REPLICA_LAG).set(lag);
            metrics::gauge!(REPLICA_UP).set(1.0);
        }
        None => {
            metrics::gauge!(REPLICA_LAG).set(f64::NAN);
            metrics::gauge!(REPLICA_UP).set(0.0);
        }
    }
}

/// Counts a request answered 503 because of `error` (see [`crate::error::is_unavailable`]),
/// under the cause an operator acts on: a pool too small or a database too slow
/// (`acquire_timeout`, `statement_timeout`) is not a database that is down (`connection`,
/// `shutdown`).
pub fn count_unavailable(error: &sqlx::Error) {
    let cause = match error {
        sqlx::Error::PoolTimedOut => "acquire_timeout",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => "connection",
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("57014") => "statement_timeout",
            Some(code) if code.starts_with("57P") => "shutdown",
            Some(code) if code.starts_with("08") => "connection",
            _ => "other",
        },
        _ => "other",
    };
    metrics::counter!(UNAVAILABLE, "cause" => cause).increment(1);
}

/// [`count_unavailable`] for an error chain that holds a database error somewhere.
pub fn count_unavailable_any(error: &anyhow::Error) {
    match error.chain().find_map(|cause| cause.downcast_ref::<sqlx::Error>()) {
        Some(error) => count_unavailable(error),
        None => metrics::counter!(UNAVAILABLE, "cause" => "other").increment(1),
    }
}

/// Counts the reports by status when the last count is older than [`REPORTS_REFRESH`]. A
/// database that does not answer leaves the last figures (the 503 counters say why).
async fn refresh_reports(pool: &PgPool) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    {
        let Ok(mut last) = LAST.lock() else { return };
        if last.is_some_and(|at| at.elapsed() < REPORTS_REFRESH) {
            return;
        }
        // Claimed before the query: scrapes arriving meanwhile do not count again.
        *last = Some(Instant::now());
    }
    match crate::reports::store::count_by_status(pool).await {
        Ok(counts) => {
            for status in [Status::Draft, Status::Submitted, Status::Returned, Status::Accepted] {
                let count = counts.iter().filter(|(s, _)| *s == status).map(|(_, n)| *n).sum::<i64>();
                metrics::gauge!(REPORTS, "status" => status.as_str()).set(count as f64);
            }
        }
        Err(error) => {
            tracing::debug!(%error, "không đếm được báo cáo theo trạng thái cho /metrics");
            if let Ok(mut last) = LAST.lock() {
                *last = None;
            }
        }
    }
}

/// Whether a request came through a reverse proxy (nginx in front of the app servers): its
/// peer is the proxy, whose address says nothing about the client, so `/metrics` is refused.
fn forwarded(request: &Request) -> bool {
    ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|name| request.headers().contains_key(*name))
}

/// `GET /metrics`: the figures in Prometheus' text format (0.0.4), for peers the allow-list
/// lets in ([`allow`]) and that did not come through a proxy; everyone else gets the site's
/// 404, as for a page that does not exist. Needs no session.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let allowed = peer.is_some_and(|peer| allow::current().allows(peer)) && !forwarded(&request);
    if !allowed {
        return crate::web::not_found().await;
    }
    let handle = install();
    record_pool(&state.pool, "reads");
    metrics::gauge!(ROLLUP_PENDING).set(crate::dashboards::rollup::pending_compactions() as f64);
    metrics::counter!(DASHBOARD_PARTS_READ).absolute(state.aggregates.parts_read());
    refresh_reports(&state.pool).await;
    if state.replica.is_some() {
        record_replica(crate::replica::replica_lag_seconds(&state));
    }
    let mut response = (StatusCode::OK, handle.render()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
