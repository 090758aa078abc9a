//! Which requests read from the replica, read-your-writes across app servers, and the retry
//! on the primary.
//!
//! - **Routed reads**: `GET` of dashboards and their drill-downs (`/dashboards/…`), the
//!   aggregates API (`/api/v1/aggregates/…`) and exports (`/exports/annual/…`,
//!   `/exports/values/…`): see [`is_routed`]. Their handlers take a [`ReadPool`] and read
//!   through it. Everything else, every write, and the session lookup of every request (sessions
//!   end at once on sign-out or a password change) use the primary.
//! - **Read-your-writes**: a request that changes data (any method but `GET`, `HEAD`,
//!   `OPTIONS`) and succeeds (status below 400) gets the cookie [`COOKIE`], the primary's
//!   `pg_current_wal_lsn()` read after the write committed. A routed read carrying it uses the
//!   replica only once the replica has replayed that position, so the person who saved sees
//!   their save on every page, whichever app server behind the load balancer answers (nothing is
//!   kept in a process's memory). The cookie lives the lag bound plus 5 s: by then a replica
//!   within the bound holds the write anyway. When the position cannot be read, the cookie
//!   names the largest position: the user reads from the primary until it expires. API
//!   clients keep the cookie to get the same guarantee.
//! - **Fallback**: a routed read uses the replica only while [`Replica::usable`] says so (up,
//!   within the lag bound, replayed the user's writes). If the read fails there anyway (a
//!   server error: the replica went away mid-request, a query cancelled by replay), it is run
//!   again on the primary, and after a 503 the replica counts as down until the monitor's next
//!   check: clients see no error while the primary answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sqlx::PgPool;

use super::{Replica, format_lsn, parse_lsn};
use crate::web::AppState;

/// The cookie carrying the primary's position after the user's last write (read-your-writes).
pub const COOKIE: &str = "danvan_lsn";

/// Seconds the cookie outlives the lag bound.
const COOKIE_MARGIN_SECONDS: u64 = 5;

/// Path prefixes of the reads that may use the replica (`GET` only).
const ROUTED: [&str; 4] = ["/dashboards/", "/api/v1/aggregates/", "/exports/annual/", "/exports/values/"];

/// Whether a `GET` of `path` is a routed read.
pub fn is_routed(path: &str) -> bool {
    ROUTED.iter().any(|prefix| path.starts_with(prefix))
}

/// The replica chosen for one request by [`route_reads`].
#[derive(Clone)]
struct Routed {
    replica: Arc<Replica>,
    pool: PgPool,
    /// Set once a handler reads through the replica: only then is a failure retried.
    used: Arc<AtomicBool>,
}

/// Where a routed read's handler reads: the replica when [`route_reads`] chose it for this
/// request, else the primary. Outside routed reads it is always the primary.
#[derive(Clone)]
pub struct ReadPool {
    primary: PgPool,
    routed: Option<Routed>,
}

impl ReadPool {
    /// Reads on the primary only (a write's handler rendering the same page).
    pub fn primary_only(primary: PgPool) -> ReadPool {
        ReadPool { primary, routed: None }
    }

    /// The pool to read from.
    pub fn pool(&self) -> &PgPool {
        match &self.routed {
            Some(routed) => {
                routed.used.store(true, Ordering::SeqCst);
                &routed.pool
            }
            None => &self.primary,
        }
    }

    /// The primary.
    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    /// The replica, if this read may use it and it has replayed the primary's position `lsn`
    /// (at its last check): for reads that must be at least that fresh (the dashboards' cache).
    pub fn replica_at(&self, lsn: u64) -> Option<&PgPool> {
        let routed = self.routed.as_ref().filter(|routed| routed.replica.has_replayed(lsn))?;
        routed.used.store(true, Ordering::SeqCst);
        Some(&routed.pool)
    }

    /// Whether the replica may serve this read at all.
    pub fn may_use_replica(&self) -> bool {
        self.routed.is_some()
    }
}

impl<S> FromRequestParts<S> for ReadPool
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        Ok(ReadPool { primary: app.pool, routed: parts.extensions.get::<Routed>().cloned() })
    }
}

/// The position named by the request's [`COOKIE`] (0 when absent or unreadable).
fn written_up_to(headers: &HeaderMap) -> u64 {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter_map(parse_lsn)
        .max()
        .unwrap_or(0)
}

/// The same `GET` again, without a body, with the extensions the layers before put in
/// (the signed-in user).
fn again(request: &Request) -> Request {
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

/// The layer that routes reads and marks writes (see the module docs). Without a replica it
/// does nothing.
pub async fn route_reads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(replica) = state.replica.clone() else {
        return next.run(request).await;
    };
    if crate::web::routes::changes_data(request.method()) {
        let response = next.run(request).await;
        return mark_write(&state, &replica, response).await;
    }
    if request.method() != Method::GET || !is_routed(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(pool) = replica.usable(written_up_to(request.headers())).cloned() else {
        return next.run(request).await;
    };
    let retry = again(&request);
    let used = Arc::new(AtomicBool::new(false));
    let mut request = request;
    request.extensions_mut().insert(Routed { replica: replica.clone(), pool, used: used.clone() });
    let response = next.clone().run(request).await;
    let status = response.status();
    if !(status.is_server_error() && used.load(Ordering::SeqCst)) {
        return response;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        replica.mark_failed(&format!("{} trả lời 503", retry.uri().path()));
    }
    tracing::warn!(path = retry.uri().path(), %status, "đọc từ bản sao thất bại: đọc lại từ máy chủ chính");
    next.run(retry).await
}

/// Adds the read-your-writes cookie to a successful write's response.
async fn mark_write(state: &AppState, replica: &Replica, mut response: Response) -> Response {
    let status = response.status();
    if !(status.is_success() || status.is_redirection()) {
        return response;
    }
    let lsn = match tokio::time::timeout(std::time::Duration::from_secs(1), super::current_lsn(&state.pool)).await {
        Ok(Ok(lsn)) => lsn,
        // Unknown: the primary for this user until the cookie ends.
        _ => u64::MAX,
    };
    let max_age = replica.max_lag().as_secs() + 1 + COOKIE_MARGIN_SECONDS;
    let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
    let cookie = crate::web::cookies::build(COOKIE, format_lsn(lsn), max_age, state.config.secure_cookies);
    crate::web::cookies::set(&mut response, &cookie);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_dashboards_aggregates_and_exports_are_routed() {
        for path in ["/dashboards/91", "/dashboards/91/drill", "/api/v1/aggregates/TW", "/exports/annual/91/2020.docx"]
        {
            assert!(is_routed(path), "{path}");
        }
        assert!(is_routed("/exports/values/91/2020.csv"));
        for path in ["/dashboards", "/reports/91/2020-Q1", "/api/v1/reports/91/2020-Q1", "/imports/values", "/"] {
            assert!(!is_routed(path), "{path}");
        }
    }

    #[test]
    fn the_cookie_names_the_largest_position_written() {
        let mut headers = HeaderMap::new();
        assert_eq!(written_up_to(&headers), 0);
        headers.append(header::COOKIE, HeaderValue::from_static("danvan_session=abc; danvan_lsn=1/10"));
        headers.append(header::COOKIE, HeaderValue::from_static("danvan_lsn=0/FF; other=1"));
        assert_eq!(written_up_to(&headers), (1 << 32) | 0x10);
        let mut forged = HeaderMap::new();
        forged.append(header::COOKIE, HeaderValue::from_static("danvan_lsnx=5/0; danvan_lsn=garbage"));
        assert_eq!(written_up_to(&forged), 0);
    }
}
