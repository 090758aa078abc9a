//! The frame every page shares: application state, the layout, error pages, static assets and
//! the HTTP hardening layers.

pub mod assets;
pub mod cookies;
pub mod filters;
pub mod routes;

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use sqlx::PgPool;

use crate::config::AppConfig;
use crate::error::ErrorPage;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<AppConfig>,
    pub aggregates: Arc<crate::dashboards::cache::AggregateCache>,
    /// The read-only replica for dashboards, aggregates and exports (`--database-read-url`),
    /// if any: see `replica`.
    pub replica: Option<Arc<crate::replica::Replica>>,
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> PgPool {
        state.pool.clone()
    }
}

/// Who is signed in, as the layout shows it. Inserted into request extensions by the
/// authentication layer.
#[derive(Debug, Clone)]
pub struct UserBadge {
    pub full_name: String,
    pub unit_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A one-time message shown on the next page (after a redirect), carried in a cookie.
#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub fn success(text: &str) -> Self {
        Flash { kind: "success", text: text.to_owned() }
    }

    pub fn error(text: &str) -> Self {
        Flash { kind: "error", text: text.to_owned() }
    }

    pub fn info(text: &str) -> Self {
        Flash { kind: "info", text: text.to_owned() }
    }

    fn encode(&self) -> String {
        let raw = format!("{}:{}", self.kind, self.text);
        percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    pub fn decode(value: &str) -> Option<Flash> {
        let raw = percent_encoding::percent_decode_str(value).decode_utf8().ok()?;
        let (kind, text) = raw.split_once(':')?;
        let kind = ["success", "error", "info"].into_iter().find(|k| *k == kind)?;
        Some(Flash { kind, text: text.chars().take(500).collect() })
    }

    /// A 303 redirect to `to` that shows this message there.
    pub fn redirect(self, to: &str) -> Response {
        let mut response = axum::response::Redirect::to(to).into_response();
        // `Secure` is added behind HTTPS by `auth::load_session`, for every flash at once.
        cookies::set(&mut response, &cookies::build(crate::auth::FLASH_COOKIE, self.encode(), 120, false));
        response
    }
}

/// Everything `base.html` needs; every page struct carries one as `layout`.
#[derive(Debug, Clone)]
pub struct Layout {
    pub office_name: String,
    pub nav: Vec<NavItem>,
    pub user: Option<UserBadge>,
    pub flash: Option<Flash>,
}

impl Layout {
    pub fn build(config: &AppConfig, path: &str, user: Option<UserBadge>) -> Self {
        let mut items: Vec<(&'static str, &'static str)> = vec![
            ("/", "Trang chủ"),
            ("/reports", "Báo cáo"),
            ("/dashboards", "Bảng điều khiển"),
            ("/directives", "Văn bản chỉ đạo"),
            ("/milestones", "Sơ kết, tổng kết"),
            ("/units", "Đơn vị"),
        ];
        if user.as_ref().is_some_and(|u| u.is_admin) {
            items.push(("/admin/catalogue", "Danh mục"));
            items.push(("/admin/users", "Người dùng"));
            items.push(("/admin/offices", "Cơ quan"));
            items.push(("/admin/audit", "Nhật ký"));
        }
        let nav = items
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: if href == "/" { path == "/" } else { path.starts_with(href) },
            })
            .collect();
        Layout { office_name: config.office_name.clone(), nav, user, flash: None }
    }
}

impl<S> FromRequestParts<S> for Layout
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let user = parts.extensions.get::<UserBadge>().cloned();
        let mut layout = Layout::build(&app.config, parts.uri.path(), user);
        layout.flash = parts.extensions.get::<Flash>().cloned();
        // The header names the office of the user's unit today (cached per unit and day); a
        // national account keeps the configured name.
        let unit_id = parts.extensions.get::<crate::auth::CurrentUser>().and_then(|u| u.unit.as_ref()).map(|u| u.id);
        if let Some(unit_id) = unit_id {
            match crate::offices::header_name(&app.pool, unit_id).await {
                Ok(Some(name)) => layout.office_name = name,
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "không đọc được cơ quan của đơn vị người dùng"),
            }
        }
        Ok(layout)
    }
}

/// Renders an askama template as an HTML response; a template error becomes an error page.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(error) => {
            tracing::error!(%error, "lỗi dựng trang");
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR));
            response
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    status: u16,
    title: String,
    message: String,
}

/// Turns every error response that is not already a page (router 404s, 405s, body-limit 413s,
/// CSRF 403s, handler errors) into the Vietnamese error page inside the layout. JSON answers
/// of the API are left as they are.
pub async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let user = request.extensions().get::<UserBadge>().cloned();
    let response = next.run(request).await;
    error_page(&state, &path, user, response)
}

/// Dresses an error `response` for `path`: the Vietnamese page inside the layout, or under
/// `/api/` a JSON `{"error": "…"}` (answers that are JSON already stay as they are).
/// `Retry-After` and `Allow` are kept.
pub fn error_page(state: &AppState, path: &str, user: Option<UserBadge>, response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let page = response.extensions().get::<ErrorPage>().cloned();
    let mut rendered = if path.starts_with("/api/") {
        if content_type.starts_with("application/json") {
            return response;
        }
        let page = page.unwrap_or_else(|| ErrorPage::for_status(status));
        axum::Json(serde_json::json!({ "error": page.message })).into_response()
    } else {
        if content_type.starts_with("text/html") && page.is_none() {
            return response;
        }
        let page = page.unwrap_or_else(|| ErrorPage::for_status(status));
        let template = ErrorTemplate {
            layout: Layout::build(&state.config, path, user),
            status: status.as_u16(),
            title: page.title.to_owned(),
            message: page.message,
        };
        render(&template)
    };
    *rendered.status_mut() = status;
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}

pub async fn not_found() -> Response {
    let mut response = StatusCode::NOT_FOUND.into_response();
    response.extensions_mut().insert(ErrorPage::for_status(StatusCode::NOT_FOUND));
    response
}

/// The Content-Security-Policy: no inline script or style, nothing from other origins, and no
/// framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers() -> [(header::HeaderName, HeaderValue); 5] {
    [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ]
}
