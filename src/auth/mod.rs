//! Accounts, roles scoped to the unit tree, sessions, login and the administrators' pages.

pub mod admin;
pub mod authz;
pub mod cli;
pub mod login;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use users::UserId;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;

use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, UserBadge};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    DataEntry,
    Reviewer,
    Leader,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::DataEntry, Role::Reviewer, Role::Leader, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::DataEntry => "nhap_lieu",
            Role::Reviewer => "duyet",
            Role::Leader => "lanh_dao",
            Role::Admin => "quan_tri",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::DataEntry => "Nhập liệu",
            Role::Reviewer => "Duyệt báo cáo",
            Role::Leader => "Lãnh đạo",
            Role::Admin => "Quản trị",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text.trim())
    }
}

/// The unit an account belongs to, with what authorization needs to place it in the tree.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitScope {
    pub id: crate::units::UnitId,
    pub code: String,
    pub name: String,
    pub level: crate::units::Level,
    pub parent_id: Option<crate::units::UnitId>,
    pub path: String,
    /// The paths of the units this one was formed from in the 2025 reform: their history is
    /// the unit's own history, readable (never writable) by its staff.
    pub history: Vec<String>,
}

/// The signed-in user, put into the request by [`load_session`].
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub roles: Vec<Role>,
    /// `None`: a national account (toàn quốc).
    pub unit: Option<UnitScope>,
    pub token_hash: Vec<u8>,
    /// The personal API token this request came with (`None`: a browser session).
    pub via_token: Option<tokens::TokenId>,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }

    /// The account's own unit as an [`authz::Place`] (`None`: the whole country), for a check of
    /// what it may do there.
    pub fn own_place(&self) -> Option<authz::Place<'_>> {
        self.unit.as_ref().map(authz::Place::from)
    }

    pub fn unit_name(&self) -> String {
        self.unit.as_ref().map(|u| u.name.clone()).unwrap_or_else(|| "Toàn quốc".to_owned())
    }

    pub fn actor(&self) -> crate::audit::Actor {
        // What a token did is traceable to the token, not only to its owner.
        let client = self.via_token.map(|id| format!("khóa API #{id}")).unwrap_or_default();
        crate::audit::Actor { user_id: Some(self.id), name: self.username.clone(), client }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<CurrentUser>().cloned().ok_or_else(|| Redirect::to("/login").into_response())
    }
}

pub const SESSION_COOKIE: &str = "danvan_session";
pub const FLASH_COOKIE: &str = "danvan_flash";

/// Reads the session cookie and the flash message of every request; a valid session puts the
/// [`CurrentUser`] and its [`UserBadge`] into the request.
pub async fn load_session(State(state): State<AppState>, jar: CookieJar, mut request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/static/") || request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    // Personal tokens open the JSON API only: never a page or a form of the site.
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|_| path.starts_with("/api/"));
    let found = match (jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()), bearer) {
        (Some(token), _) => sessions::load(&state.pool, &token).await,
        (None, Some(token)) => tokens::load(&state.pool, &token).await,
        (None, None) => Ok(None),
    };
    match found {
        Ok(Some(user)) => {
            request.extensions_mut().insert(UserBadge {
                full_name: user.full_name.clone(),
                unit_name: user.unit_name(),
                is_admin: user.is_admin(),
            });
            request.extensions_mut().insert(user);
        }
        Ok(None) => {}
        // The database being away is not "signed out": 503, so the browser keeps its session
        // and the form its text.
        Err(error) => {
            let response = if crate::error::is_unavailable(&error) {
                tracing::warn!(%error, "cơ sở dữ liệu không sẵn sàng khi đọc phiên đăng nhập");
                crate::metrics::count_unavailable(&error);
                crate::error::unavailable_response()
            } else {
                crate::error::AppError::Database(error).into_response()
            };
            return crate::web::error_page(&state, &path, None, response);
        }
    }
    let flash = jar.get(FLASH_COOKIE).and_then(|c| Flash::decode(c.value()));
    let had_flash = flash.is_some();
    if let Some(flash) = flash {
        request.extensions_mut().insert(flash);
    }
    let is_get = request.method() == Method::GET;
    let signed_in = request.extensions().get::<CurrentUser>().is_some();
    let mut response = next.run(request).await;
    // A flash is shown once, on the next page rendered.
    if had_flash && is_get && !response.headers().contains_key(header::SET_COOKIE) {
        crate::web::cookies::set(&mut response, &crate::web::cookies::build(FLASH_COOKIE, String::new(), 0, false));
    }
    if state.config.secure_cookies {
        secure_flash_cookies(&mut response);
    }
    // What a signed-in user sees is theirs: no shared or disk cache keeps it (commune offices
    // share computers). Responses that set their own policy keep it.
    if signed_in && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}

/// Behind HTTPS (`--secure-cookies`) the flash cookie, written in many handlers, gets `Secure`
/// here in one place, like the session cookie.
fn secure_flash_cookies(response: &mut Response) {
    let cookies: Vec<HeaderValue> = response.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
    if !cookies.iter().any(|c| c.as_bytes().starts_with(FLASH_COOKIE.as_bytes())) {
        return;
    }
    response.headers_mut().remove(header::SET_COOKIE);
    for cookie in cookies {
        let text = cookie.to_str().unwrap_or("");
        let secured = if text.starts_with(FLASH_COOKIE) && !text.contains("; Secure") {
            HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
        } else {
            cookie
        };
        response.headers_mut().append(header::SET_COOKIE, secured);
    }
}

pub fn routes() -> Vec<RouteSpec> {
    use Access::*;
    vec![
        RouteSpec::new(Method::GET, "/login", "/login", Public, get(login::login_page)),
        RouteSpec::new(Method::POST, "/login", "/login", Public, post(login::login)),
        RouteSpec::new(Method::POST, "/logout", "/logout", SignedIn, post(login::logout)),
        RouteSpec::new(Method::GET, "/profile", "/profile", SignedIn, get(login::profile)),
        RouteSpec::new(Method::POST, "/profile/password", "/profile/password", SignedIn, post(login::change_password)),
        RouteSpec::new(Method::POST, "/profile/tokens", "/profile/tokens", SignedIn, post(login::create_token)),
        RouteSpec::new(
            Method::POST,
            "/profile/tokens/{id}/revoke",
            "/profile/tokens/1/revoke",
            SignedIn,
            post(login::revoke_token),
        ),
        RouteSpec::new(Method::GET, "/admin/users", "/admin/users", Admin, get(admin::list)),
        RouteSpec::new(Method::GET, "/admin/users/new", "/admin/users/new", Admin, get(admin::new_form)),
        RouteSpec::new(Method::POST, "/admin/users", "/admin/users", Admin, post(admin::create)),
        RouteSpec::new(Method::GET, "/admin/users/{id}", "/admin/users/{own_scope_user}", Admin, get(admin::edit_form)),
        RouteSpec::new(Method::POST, "/admin/users/{id}", "/admin/users/{own_scope_user}", Admin, post(admin::update)),
        RouteSpec::new(
            Method::POST,
            "/admin/users/{id}/password",
            "/admin/users/{own_scope_user}/password",
            Admin,
            post(admin::reset_password),
        ),
        RouteSpec::new(
            Method::POST,
            "/admin/users/{id}/tokens/{token}/revoke",
            "/admin/users/{own_scope_user}/tokens/1/revoke",
            Admin,
            post(admin::revoke_token),
        ),
    ]
}
