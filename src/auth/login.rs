//! Login, logout and the user's own profile.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::{CurrentUser, UserId, password, sessions, throttle, users};
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::web::{AppState, Flash, Layout, filters, render};

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

/// Where to go after login: only a path of this site, never another one. Browsers drop tabs
/// and line breaks from URLs and read `\\` as `/`, so `/\t/evil.example` or `/\\evil.example`
/// would leave the site: any control character or backslash sends the user home. Non-ASCII
/// text (a Vietnamese search) is percent-encoded so the `Location` header stays valid.
pub fn safe_next(next: &str) -> String {
    if next.len() > 2000 || next.chars().any(|c| c.is_control() || c == '\\') {
        return "/".to_owned();
    }
    let encoded = percent_encoding::utf8_percent_encode(next, NEXT_ESCAPES).to_string();
    let local = encoded.starts_with('/') && !encoded.starts_with("//");
    match axum::http::uri::PathAndQuery::try_from(encoded.as_str()) {
        Ok(parsed) if local && parsed.as_str() == encoded => encoded,
        _ => "/".to_owned(),
    }
}

/// Characters escaped in a `next` path: non-ASCII is always escaped by the encoder; space,
/// quotes and angle brackets are not valid in a URL either.
const NEXT_ESCAPES: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'{').add(b'}');

/// Longest login name accepted (the database allows 64): anything longer is refused before
/// any database write or hash.
pub const MAX_USERNAME: usize = 64;

pub async fn login_page(
    layout: Layout,
    user: Option<Extension<CurrentUser>>,
    Query(query): Query<LoginQuery>,
) -> Response {
    if user.is_some() {
        return Redirect::to(&safe_next(&query.next)).into_response();
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
        let page = render(&LoginPage {
            layout: layout.clone(),
            username: form.username.chars().take(MAX_USERNAME).collect(),
            next: form.next.chars().take(2000).collect(),
            error: Some(error.to_owned()),
        });
        crate::error::page_with_status(status, page)
    };
    // No account has a longer name: answer as for any wrong login, without touching the
    // database or hashing (a 1 MiB name would otherwise land in the audit log).
    if username.chars().count() > MAX_USERNAME || form.password.len() > 1024 {
        return page(StatusCode::OK, WRONG_CREDENTIALS);
    }
    // The attempt is counted before the hash, so parallel guesses cannot all pass the check.
    if !throttle::reserve(&state.pool, &username, &client).await? {
        return page(StatusCode::TOO_MANY_REQUESTS, throttle::MESSAGE);
    }
    let account = users::password_hash(&state.pool, &username).await?;
    let (user_id, hash) = match account {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let valid = match password::verify(form.password.clone(), hash).await {
        Ok(valid) => valid,
        Err(error) if error.downcast_ref::<password::Busy>().is_some() => {
            return page(StatusCode::TOO_MANY_REQUESTS, password::BUSY_MESSAGE);
        }
        Err(error) => return Err(error.into()),
    };
    let actor = Actor { user_id, name: username.clone(), client: client.clone() };
    let Some(user_id) = user_id.filter(|_| valid) else {
        let entry = Entry {
            action: "login_failed",
            entity: "session",
            entity_id: String::new(),
            unit_id: None,
            before: None,
            after: None,
        };
        audit::record(&state.pool, &actor, entry).await?;
        return page(StatusCode::OK, WRONG_CREDENTIALS);
    };
    throttle::release(&state.pool, &username, &client).await?;
    let token = sessions::create(&state.pool, user_id, &client).await?;
    let unit_id = users::by_id(&state.pool, user_id).await?.and_then(|u| u.unit_id);
    let entry =
        Entry { action: "login", entity: "session", entity_id: String::new(), unit_id, before: None, after: None };
    audit::record(&state.pool, &actor, entry).await?;
    // An account whose unit was dissolved is told at once what became of it.
    let dissolved = match unit_id {
        Some(unit_id) => dissolved_unit(&state.pool, unit_id).await?,
        None => None,
    };
    let mut response = match dissolved {
        Some(dissolved) => Flash::info(&dissolved.message()).redirect(&safe_next(&form.next)),
        None => Redirect::to(&safe_next(&form.next)).into_response(),
    };
    crate::web::cookies::set(&mut response, &sessions::cookie(&token, state.config.secure_cookies));
    Ok(response)
}

/// What the signed-in account did to itself or its session, for the audit log: under its own
/// unit, with nothing before.
fn own_act<'a>(
    user: &CurrentUser,
    action: &'a str,
    entity: &'a str,
    entity_id: String,
    after: Option<serde_json::Value>,
) -> Entry<'a> {
    Entry { action, entity, entity_id, unit_id: user.unit.as_ref().map(|u| u.id), before: None, after }
}

pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    sessions::delete(&state.pool, &user.token_hash).await?;
    let entry = own_act(&user, "logout", "session", String::new(), None);
    audit::record(&state.pool, &user.actor(), entry).await?;
    let mut response = Redirect::to("/login").into_response();
    crate::web::cookies::set(&mut response, &sessions::expired_cookie(state.config.secure_cookies));
    Ok(response)
}

/// An account's unit that no longer exists today, with the units that succeeded it.
#[derive(Debug, Clone)]
pub struct DissolvedUnit {
    pub unit: crate::units::Unit,
    /// The first day without the unit.
    pub ended_on: chrono::NaiveDate,
    pub successors: Vec<crate::units::queries::LineageLink>,
}

impl DissolvedUnit {
    /// What became of the unit: "Xã Mong Thọ A đã kết thúc hoạt động từ 01/07/2025; đơn vị kế
    /// thừa là Xã Thạnh Lộc (mã 30886)", or that none succeeded it.
    pub fn what_happened(&self) -> String {
        let ended = format!("{} đã kết thúc hoạt động từ {}", self.unit.name, crate::format::date(self.ended_on));
        let named = |link: &crate::units::queries::LineageLink| {
            if link.merge_kind == "mot_phan" {
                format!("{} (mã {}, nhận một phần)", link.unit.name, link.unit.code)
            } else {
                format!("{} (mã {})", link.unit.name, link.unit.code)
            }
        };
        match self.successors.as_slice() {
            [] => format!("{ended} (không có đơn vị kế thừa)"),
            [one] => format!("{ended}; đơn vị kế thừa là {}", named(one)),
            several => {
                format!("{ended}; các đơn vị kế thừa: {}", several.iter().map(named).collect::<Vec<_>>().join("; "))
            }
        }
    }

    /// What the account's holder is told, at sign-in and on the home page.
    pub fn message(&self) -> String {
        let what = self.what_happened();
        match self.successors.len() {
            0 => format!("{what}; đề nghị quản trị viên chuyển tài khoản sang đơn vị mới."),
            1 => format!(
                "{what}. Tài khoản của bạn vẫn gắn với đơn vị cũ: đề nghị quản trị viên chuyển tài khoản sang đơn vị kế thừa."
            ),
            _ => format!(
                "{what}. Tài khoản của bạn vẫn gắn với đơn vị cũ: đề nghị quản trị viên chuyển tài khoản sang đơn vị phù hợp."
            ),
        }
    }
}

/// The unit `unit_id` if it no longer exists today, with its successors (districts have none).
pub async fn dissolved_unit(pool: &sqlx::PgPool, unit_id: crate::units::UnitId) -> sqlx::Result<Option<DissolvedUnit>> {
    let Some(unit) = crate::units::queries::by_id(pool, unit_id).await? else {
        return Ok(None);
    };
    let today = crate::units::today();
    let Some(ended_on) = unit.valid_to.filter(|to| *to < today).and_then(|to| to.succ_opt()) else {
        return Ok(None);
    };
    let successors = crate::units::queries::successors(pool, unit.id).await?;
    Ok(Some(DissolvedUnit { unit, ended_on, successors }))
}

#[derive(Template)]
#[template(path = "auth/profile.html")]
struct ProfilePage {
    layout: Layout,
    user: CurrentUser,
    roles: String,
    errors: FieldErrors,
    tokens: Vec<super::tokens::Token>,
    new_token: Option<String>,
    token_error: Option<String>,
    /// The key name as typed, shown again when the key could not be made.
    token_name: String,
}

async fn profile_page(
    state: &AppState,
    layout: Layout,
    user: CurrentUser,
    errors: FieldErrors,
    new_token: Option<String>,
    token_error: Option<(String, &str)>,
) -> AppResult<Response> {
    let roles = user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let tokens = super::tokens::list(&state.pool, user.id).await?;
    let (token_error, token_name) = match token_error {
        Some((message, typed)) => (Some(message), typed.to_owned()),
        None => (None, String::new()),
    };
    Ok(render(&ProfilePage { layout, user, roles, errors, tokens, new_token, token_error, token_name }))
}

pub async fn profile(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
    profile_page(&state, layout, user, FieldErrors::new(), None, None).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// The account's current password: a stolen session alone cannot mint a lasting key.
    #[serde(default)]
    password: String,
}

/// Checks the signed-in user's current password for a sensitive action (new API key, new
/// password). The check is throttled like a login (a session must not become a way to guess
/// the password) and a failure is audited. `Ok(None)`: right; `Ok(Some(message))`: the
/// Vietnamese message to show next to the field.
async fn check_current_password(
    state: &AppState,
    user: &CurrentUser,
    client: &str,
    typed: &str,
    what: &'static str,
) -> AppResult<Option<&'static str>> {
    if !throttle::reserve(&state.pool, &user.username, client).await? {
        return Ok(Some(throttle::MESSAGE));
    }
    let stored = users::password_hash_by_id(&state.pool, user.id).await?;
    let valid = typed.len() <= 1024 && password::verify(typed.to_owned(), stored).await?;
    if valid {
        throttle::release(&state.pool, &user.username, client).await?;
        return Ok(None);
    }
    let entry =
        own_act(user, "password_check_failed", "user", user.id.to_string(), Some(serde_json::json!({ "for": what })));
    audit::record(&state.pool, &user.actor().with_client(client), entry).await?;
    Ok(Some("Mật khẩu hiện tại không đúng."))
}

/// Pages that show a secret (a new key, a new password) must not stay in any cache.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn create_token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let name = form.name.trim();
    let mut error = None;
    if name.is_empty() || name.chars().count() > 80 {
        error = Some("Đặt tên cho khóa (tối đa 80 ký tự), ví dụ “Phần mềm tổng hợp của Văn phòng”.".to_owned());
    } else if let Some(message) =
        check_current_password(&state, &user, &peer.ip().to_string(), &form.password, "api_token").await?
    {
        error = Some(format!("{message} Cần nhập đúng mật khẩu để tạo khóa."));
    }
    if error.is_some() {
        let error = error.map(|message| (message, form.name.as_str()));
        return Err(AppError::invalid_page(profile_page(&state, layout, user, FieldErrors::new(), None, error).await?));
    }
    let token = super::tokens::create(&state.pool, user.id, name).await?;
    let entry = own_act(&user, "create", "api_token", name.to_owned(), Some(serde_json::json!({"name": name})));
    audit::record(&state.pool, &user.actor(), entry).await?;
    // Shown once, on this page only, and never cached.
    Ok(no_store(profile_page(&state, layout, user, FieldErrors::new(), Some(token), None).await?))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<super::tokens::TokenId>,
) -> AppResult<Response> {
    if !super::tokens::revoke(&state.pool, user.id, id).await? {
        return Ok(Flash::error("Không có khóa này trong tài khoản của bạn.").redirect("/profile"));
    }
    let entry = own_act(&user, "revoke", "api_token", id.to_string(), None);
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    if let Some(message) =
        check_current_password(&state, &user, &peer.ip().to_string(), &form.current, "change_password").await?
    {
        errors.set("current", message);
    }
    if let Some(problem) = password::policy_error(&form.new) {
        errors.set("new", problem);
    } else if form.new == form.current {
        errors.set("new", "Mật khẩu mới phải khác mật khẩu hiện tại.");
    }
    if form.confirm != form.new {
        errors.set("confirm", "Hai lần nhập mật khẩu mới không khớp.");
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_page(profile_page(&state, layout, user, errors, None, None).await?));
    }
    let hash = password::hash(form.new).await?;
    let mut tx = state.pool.begin().await?;
    let revoked = users::set_password(&mut tx, user.id, &hash).await?;
    // Other sessions of this account end; this one stays. Its API keys end too.
    sqlx::query!("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", user.id as UserId, &user.token_hash)
        .execute(&mut *tx)
        .await?;
    let entry = own_act(
        &user,
        "change_password",
        "user",
        user.id.to_string(),
        Some(serde_json::json!({ "api_tokens_revoked": revoked })),
    );
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    let message = if revoked > 0 {
        format!("Đã đổi mật khẩu. {revoked} khóa API tạo trước đó đã bị thu hồi; tạo khóa mới nếu cần.")
    } else {
        "Đã đổi mật khẩu.".to_owned()
    };
    Ok(Flash::success(&message).redirect("/profile"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::queries::LineageLink;
    use crate::units::{Level, Unit, testing};

    fn unit(code: &str, name: &str) -> Unit {
        testing::unit(Level::Commune, code, name).valid_to(chrono::NaiveDate::from_ymd_opt(2025, 6, 30)).build()
    }

    fn link(code: &str, name: &str, kind: &str) -> LineageLink {
        LineageLink {
            unit: unit(code, name),
            merge_kind: kind.into(),
            note: String::new(),
            effective_on: chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default(),
        }
    }

    #[test]
    fn a_split_commune_lists_every_successor() {
        let gone = DissolvedUnit {
            unit: unit("30079", "Xã Gáo Giồng"),
            ended_on: chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default(),
            successors: vec![link("30025", "Xã Phú Cường", "mot_phan"), link("30088", "Xã Phong Mỹ", "mot_phan")],
        };
        assert_eq!(
            gone.message(),
            "Xã Gáo Giồng đã kết thúc hoạt động từ 01/07/2025; các đơn vị kế thừa: Xã Phú Cường (mã 30025, nhận một phần); \
             Xã Phong Mỹ (mã 30088, nhận một phần). Tài khoản của bạn vẫn gắn với đơn vị cũ: đề nghị quản trị viên \
             chuyển tài khoản sang đơn vị phù hợp."
        );
        let district = DissolvedUnit { successors: Vec::new(), ..gone };
        assert!(district.message().contains("(không có đơn vị kế thừa); đề nghị quản trị viên chuyển tài khoản"));
    }
}
