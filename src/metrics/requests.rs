//! The layer around every route: a request id, the request's counters and latency, the pool
//! gauges, and one log line per request.
//!
//! The log line names the method, the route's template, the status, the latency in
//! milliseconds and the request id: never the path's values, the query, a header or a body,
//! so no cookie, password, token or personal figure reaches the logs. Health checks and
//! scrapes (`/healthz`, `/metrics`), which arrive every few seconds, log at debug.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::web::AppState;

/// The header carrying the request id, both ways: a proxy's id is kept when it looks like one,
/// and every answer names the id its log line has.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request, in its extensions, for handlers that log something of their own.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route label of requests that matched no route (404s of unknown paths): one label for
/// all, whatever the path.
pub const UNMATCHED: &str = "unmatched";

/// A proxy's id when it is short and plain (letters, digits, `-`, `_`, `.`), else a new one
/// of 16 hex digits.
fn request_id(request: &Request) -> String {
    let given = request.headers().get(&REQUEST_ID).and_then(|value| value.to_str().ok()).filter(|id| {
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    match given {
        Some(id) => id.to_owned(),
        None => format!("{:016x}", rand::random::<u64>()),
    }
}

/// A label for the method from a fixed set, whatever a client sends.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a request in flight until it ends, answered or dropped (a client that hangs up).
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        metrics::gauge!(super::IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(super::IN_FLIGHT).decrement(1.0);
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`), added outermost in `app()` so that
/// it sees the final status (error pages, timeouts, caught panics) and the whole latency. It is
/// a route layer of the router, which is what gives it the matched route's template.
pub async fn track(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    super::install();
    let started = Instant::now();
    let _in_flight = InFlight::start();
    let method = method_label(request.method());
    // Requests that change data are served by the write pool, the others by the read pool
    // (server::serve_until).
    let pool = if crate::web::routes::changes_data(request.method()) { "writes" } else { "reads" };
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let route = route.unwrap_or_else(|| UNMATCHED.to_owned());
    let id = request_id(&request);
    request.extensions_mut().insert(RequestId(id.clone()));
    // Whatever the handlers log carries the id (JSON: under "span").
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics::counter!(super::REQUESTS, "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(super::DURATION, "method" => method, "route" => route.clone()).record(elapsed.as_secs_f64());
    super::record_pool(&state.pool, pool);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // Tenths of a millisecond: enough to read, short in the log.
    let latency_ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
    if route == "/healthz" || route == "/metrics" {
        tracing::debug!(target: "danvan::http", method, route = route.as_str(), status, latency_ms, request_id = %id, "yêu cầu HTTP");
    } else {
        tracing::info!(target: "danvan::http", method, route = route.as_str(), status, latency_ms, request_id = %id, "yêu cầu HTTP");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(value: &str) -> Request {
        axum::http::Request::builder().header(REQUEST_ID, value).body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn a_plain_id_is_kept_and_anything_else_replaced() {
        assert_eq!(request_id(&with_header("abc-123_x.y")), "abc-123_x.y");
        for bad in ["", "a b", "<script>", &"x".repeat(65), "id;x"] {
            let id = request_id(&with_header(bad));
            assert_eq!(id.len(), 16, "{bad:?} gave {id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
