//! Login, logout and the user's own profile.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::{CurrentUser, password, sessions, throttle, users};
use crate::audit::{self, Actor, Entry};
use crate::error::AppResult;
use crate::web::{AppState, Flash, Layout, render};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: Option<String>,
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { "/" }
}

pub async fn login_page(
    layout: Layout,
    user: Option<Extension<CurrentUser>>,
    Query(query): Query<LoginQuery>,
) -> Response {
    if user.is_some() {
        return Redirect::to(safe_next(&query.next)).into_response();
    }
    render(&LoginPage { layout, username: String::new(), next: query.next, error: None })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub const WRONG_CREDENTIALS: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    layout: Layout,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let username = form.username.trim().to_lowercase();
    let client = peer.ip().to_string();
    let page = |status: StatusCode, error: &str| {
        let mut response = render(&LoginPage {
            layout: layout.clone(),
            username: form.username.clone(),
            next: form.next.clone(),
            error: Some(error.to_owned()),
        });
        *response.status_mut() = status;
        response
    };
    if throttle::is_throttled(&state.pool, &username, &client).await? {
        return Ok(page(StatusCode::TOO_MANY_REQUESTS, throttle::MESSAGE));
    }
    let account = users::password_hash(&state.pool, &username).await?;
    let (user_id, hash) = match account {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let valid = password::verify(form.password.clone(), hash).await?;
    let actor = Actor { user_id, name: username.clone(), client: client.clone() };
    let Some(user_id) = user_id.filter(|_| valid) else {
        throttle::record_failure(&state.pool, &username, &client).await?;
        let entry = Entry {
            action: "login_failed",
            entity: "session",
            entity_id: String::new(),
            unit_id: None,
            before: None,
            after: None,
        };
        audit::record(&state.pool, &actor, entry).await?;
        return Ok(page(StatusCode::OK, WRONG_CREDENTIALS));
    };
    throttle::clear(&state.pool, &username).await?;
    let token = sessions::create(&state.pool, user_id, &client).await?;
    let unit_id = users::by_id(&state.pool, user_id).await?.and_then(|u| u.unit_id);
    let entry =
        Entry { action: "login", entity: "session", entity_id: String::new(), unit_id, before: None, after: None };
    audit::record(&state.pool, &actor, entry).await?;
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    if let Ok(value) = HeaderValue::from_str(&sessions::cookie(&token, state.config.secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    sessions::delete(&state.pool, &user.token_hash).await?;
    let entry = Entry {
        action: "logout",
        entity: "session",
        entity_id: String::new(),
        unit_id: user.unit.as_ref().map(|u| u.id),
        before: None,
        after: None,
    };
    audit::record(&state.pool, &user.actor(), entry).await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = HeaderValue::from_str(&sessions::expired_cookie(state.config.secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "auth/profile.html")]
struct ProfilePage {
    layout: Layout,
    user: CurrentUser,
    roles: String,
    errors: PasswordErrors,
    tokens: Vec<super::tokens::Token>,
    new_token: Option<String>,
    token_error: Option<String>,
}

#[derive(Debug, Default)]
struct PasswordErrors {
    current: Option<String>,
    new: Option<String>,
    confirm: Option<String>,
}

impl PasswordErrors {
    fn any(&self) -> bool {
        self.current.is_some() || self.new.is_some() || self.confirm.is_some()
    }
}

async fn profile_page(
    state: &AppState,
    layout: Layout,
    user: CurrentUser,
    errors: PasswordErrors,
    new_token: Option<String>,
    token_error: Option<String>,
) -> AppResult<Response> {
    let roles = user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let tokens = super::tokens::list(&state.pool, user.id).await?;
    Ok(render(&ProfilePage { layout, user, roles, errors, tokens, new_token, token_error }))
}

pub async fn profile(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
    profile_page(&state, layout, user, PasswordErrors::default(), None, None).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        let error = Some("Đặt tên cho khóa (tối đa 80 ký tự), ví dụ “Phần mềm tổng hợp của Văn phòng”.".to_owned());
        let mut response = profile_page(&state, layout, user, PasswordErrors::default(), None, error).await?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let token = super::tokens::create(&state.pool, user.id, name).await?;
    let entry = Entry {
        action: "create",
        entity: "api_token",
        entity_id: name.to_owned(),
        unit_id: user.unit.as_ref().map(|u| u.id),
        before: None,
        after: Some(serde_json::json!({"name": name})),
    };
    audit::record(&state.pool, &user.actor(), entry).await?;
    // Shown once, on this page only.
    profile_page(&state, layout, user, PasswordErrors::default(), Some(token), None).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i32>,
) -> AppResult<Response> {
    if !super::tokens::revoke(&state.pool, user.id, id).await? {
        return Ok(Flash::error("Không có khóa này trong tài khoản của bạn.").redirect("/profile"));
    }
    let entry = Entry {
        action: "revoke",
        entity: "api_token",
        entity_id: id.to_string(),
        unit_id: user.unit.as_ref().map(|u| u.id),
        before: None,
        after: None,
    };
    audit::record(&state.pool, &user.actor(), entry).await?;
    Ok(Flash::success("Đã thu hồi khóa.").redirect("/profile"))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = PasswordErrors::default();
    let stored = users::password_hash_by_id(&state.pool, user.id).await?;
    if !password::verify(form.current.clone(), stored).await? {
        errors.current = Some("Mật khẩu hiện tại không đúng.".to_owned());
    }
    if let Some(problem) = password::policy_error(&form.new) {
        errors.new = Some(problem.to_owned());
    } else if form.new == form.current {
        errors.new = Some("Mật khẩu mới phải khác mật khẩu hiện tại.".to_owned());
    }
    if form.confirm != form.new {
        errors.confirm = Some("Hai lần nhập mật khẩu mới không khớp.".to_owned());
    }
    if errors.any() {
        let mut response = profile_page(&state, layout, user, errors, None, None).await?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let hash = password::hash(form.new).await?;
    let mut tx = state.pool.begin().await?;
    users::set_password(&mut *tx, user.id, &hash).await?;
    // Other sessions of this account end; this one stays.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user.id)
        .bind(&user.token_hash)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        action: "change_password",
        entity: "user",
        entity_id: user.id.to_string(),
        unit_id: user.unit.as_ref().map(|u| u.id),
        before: None,
        after: None,
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã đổi mật khẩu.").redirect("/profile"))
}
