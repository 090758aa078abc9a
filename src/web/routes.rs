//! The route table: every route of the app is declared here with the access rule that guards
//! it, so that a route without a rule cannot exist and the authorization tests can walk them all.

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;

use crate::auth::CurrentUser;
use crate::web::AppState;

/// Whether a request with this method may change data: everything but GET, HEAD and OPTIONS
/// (no route of the table changes data on those). The one rule behind where a request runs
/// (the front runtime with the writes' pool, or the reads' runtime: `server::serve_until`),
/// what is forgotten after a write (`lib.rs`), read-your-writes over a replica
/// (`replica::routing`) and the pool label of the request metrics.
pub fn changes_data(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The coarse gate in front of a handler. Rules that depend on the unit (whose report, which
/// subtree) are checked inside the handler through `auth::authz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health check, assets).
    Public,
    /// Any signed-in user; the handler checks the unit.
    SignedIn,
    /// Administrators (`quan_tri`); the handler checks the subtree.
    Admin,
}

pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    /// The path with its parameters filled, for tests that walk every route.
    pub example: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

impl RouteSpec {
    pub fn new(
        method: Method,
        path: &'static str,
        example: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        RouteSpec { method, path, example, access, handler }
    }
}

/// Builds the router from the table, each handler behind its gate.
pub fn build(table: Vec<RouteSpec>) -> Router<AppState> {
    let mut router = Router::new();
    for spec in table {
        let access = spec.access;
        let gated = spec
            .handler
            .route_layer(axum::middleware::from_fn(move |request: Request, next: Next| gate(access, request, next)));
        router = router.route(spec.path, gated);
    }
    router
}

async fn gate(access: Access, request: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let Some(user) = request.extensions().get::<CurrentUser>() else {
        return login_required(&request);
    };
    if access == Access::Admin && !user.is_admin() {
        return crate::error::AppError::Forbidden.into_response();
    }
    next.run(request).await
}

fn login_required(request: &Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "Cần đăng nhập"}))).into_response();
    }
    let target = if request.method() == Method::GET {
        request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/")
    } else {
        "/"
    };
    let next = form_urlencoded_component(target);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn form_urlencoded_component(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}
