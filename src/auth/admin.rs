//! Administrators' pages: list, create and edit accounts, reset passwords. An administrator
//! manages the accounts of their own subtree only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum_extra::extract::Form;
use chrono::NaiveDate;
use serde::Deserialize;

use super::authz::{self, Action, Place};
use super::{CurrentUser, Role, UserId, password, sessions, users};
use crate::audit::{self, Entry};
use crate::error::{AppError, AppResult, FieldErrors, ResultExt};
use crate::units::{self, Unit};
use crate::web::{AppState, Flash, Layout, filters, render};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    active: String,
}

#[derive(Template)]
#[template(path = "auth/users.html")]
struct ListPage {
    layout: Layout,
    filters: ListQuery,
    roles: [Role; 4],
    users: Vec<users::User>,
}

pub async fn list(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Query(filters): Query<ListQuery>,
) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    let active = match filters.active.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let role = Role::parse(&filters.role).map(Role::as_str).unwrap_or("");
    let filter = users::ListFilter {
        within_path: admin.unit.as_ref().map(|u| u.path.as_str()),
        unit_text: &filters.unit,
        role,
        active,
    };
    let users = users::list(&state.pool, &filter).await?;
    Ok(render(&ListPage { layout, filters, roles: Role::ALL, users }))
}

/// What the user typed, kept as typed so the form comes back intact after an error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    version: i32,
}

impl UserForm {
    fn has_role(&self, role: &Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }
}

#[derive(Template)]
#[template(path = "auth/user_form.html")]
struct FormPage {
    layout: Layout,
    editing: Option<users::User>,
    form: UserForm,
    roles: [Role; 4],
    errors: FieldErrors,
    /// The edited account's live API keys, which the administrator may revoke.
    tokens: Vec<super::tokens::Token>,
    /// When the edited account's unit no longer exists: what became of it, and how to move it.
    unit_notice: Option<String>,
}

async fn form_page(
    pool: &sqlx::PgPool,
    layout: Layout,
    editing: Option<users::User>,
    form: UserForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let invalid = !errors.is_empty();
    let tokens = match &editing {
        Some(user) => super::tokens::list(pool, user.id).await?,
        None => Vec::new(),
    };
    let unit_notice = match editing.as_ref().and_then(|u| u.unit_id) {
        Some(unit_id) => super::login::dissolved_unit(pool, unit_id).await?.map(|gone| {
            let codes: Vec<&str> = gone.successors.iter().map(|l| l.unit.code.as_str()).collect();
            let how = if codes.is_empty() {
                "Để chuyển tài khoản: nhập mã đơn vị mới và để trống ô “Tra mã theo ngày” (tra theo hôm nay).".to_owned()
            } else {
                format!(
                    "Để chuyển tài khoản: nhập mã đơn vị mới (ví dụ {}) và chọn ngày tra mã từ {} trở đi, hoặc để trống ô đó nếu mã khác mã hiện tại.",
                    codes.join(", "),
                    crate::format::date(gone.ended_on)
                )
            };
            format!("Đơn vị của tài khoản này không còn: {}. {how}", gone.what_happened())
        }),
        None => None,
    };
    let page = render(&FormPage { layout, editing, form, roles: Role::ALL, errors, tokens, unit_notice });
    if invalid { Err(AppError::invalid_page(page)) } else { Ok(page) }
}

pub async fn new_form(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    let form = UserForm {
        unit_code: admin.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
        as_of: units::today().to_string(),
        active: Some("1".into()),
        ..UserForm::default()
    };
    form_page(&state.pool, layout, None, form, FieldErrors::new()).await
}

struct Checked {
    unit: Option<Unit>,
    roles: Vec<String>,
}

/// Validates the fields shared by create and edit; every problem is reported next to its field.
async fn check_common(
    state: &AppState,
    admin: &CurrentUser,
    form: &UserForm,
    errors: &mut FieldErrors,
) -> AppResult<Option<Checked>> {
    if form.full_name.trim().is_empty() {
        errors.set("full_name", "Nhập họ và tên.".to_owned());
    }
    let mut unit = None;
    let found =
        units::resolve_typed(&state.pool, &form.unit_code, &form.as_of, units::today(), "31/12/2020", errors).await;
    if let Some(found) = found {
        if authz::can(admin, Action::ManageUsers, found.as_ref().map(Place::from)) {
            unit = Some(found);
        } else {
            errors.set("unit_code", "Đơn vị này nằm ngoài phạm vi bạn quản trị.".to_owned());
        }
    }
    let roles: Vec<String> = Role::ALL.iter().filter(|r| form.has_role(r)).map(|r| r.as_str().to_owned()).collect();
    if roles.is_empty() {
        errors.set("roles", "Chọn ít nhất một vai trò.".to_owned());
    }
    Ok(unit.filter(|_| errors.is_empty()).map(|unit| Checked { unit, roles }))
}

/// The message when the username is in use (the `users_username` index refused it).
const USERNAME_TAKEN: &str = "Tên đăng nhập này đã có người dùng.";

fn valid_username(username: &str) -> bool {
    let mut chars = username.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && (2..=64).contains(&username.len())
        && username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    let mut errors = FieldErrors::new();
    let username = form.username.trim().to_lowercase();
    if !valid_username(&username) {
        errors.set(
            "username",
            "Tên đăng nhập gồm 2–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.".to_owned(),
        );
    }
    if let Some(problem) = password::policy_error(&form.password) {
        errors.set("password", problem.to_owned());
    }
    let checked = check_common(&state, &admin, &form, &mut errors).await?;
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        let form = UserForm { password: String::new(), ..form };
        return form_page(&state.pool, layout, None, form, errors).await;
    };
    let hash = password::hash(form.password.clone()).await?;
    let mut tx = state.pool.begin().await?;
    let new_user = users::NewUser {
        username: &username,
        full_name: form.full_name.trim(),
        unit_id: checked.unit.as_ref().map(|u| u.id),
        roles: &checked.roles,
        password_hash: &hash,
    };
    // Two administrators may create the same name at once: the unique index decides.
    let mut errors = FieldErrors::new();
    let Some(id) = users::insert(&mut *tx, &new_user).await.on_constraint_field(
        "users_username",
        &mut errors,
        "username",
        USERNAME_TAKEN,
    )?
    else {
        tx.rollback().await?;
        let form = UserForm { password: String::new(), ..form };
        return form_page(&state.pool, layout, None, form, errors).await;
    };
    let created = users::by_id(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let entry = Entry {
        action: "create",
        entity: "user",
        entity_id: id.to_string(),
        unit_id: created.unit_id,
        before: None,
        after: serde_json::to_value(&created).ok(),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success(&format!("Đã tạo tài khoản {username}.")).redirect(&format!("/admin/users/{id}")))
}

/// The account, if it lies in the administrator's subtree; otherwise it does not exist for them.
async fn managed_user(state: &AppState, admin: &CurrentUser, id: UserId) -> AppResult<users::User> {
    let user = users::by_id(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    authz::authorize_or_hide(admin, Action::ManageUsers, user.place())?;
    Ok(user)
}

pub async fn edit_form(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(id): Path<UserId>,
) -> AppResult<Response> {
    let user = managed_user(&state, &admin, id).await?;
    edit_form_with(&state.pool, layout, user, FieldErrors::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(id): Path<UserId>,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let user = managed_user(&state, &admin, id).await?;
    let mut errors = FieldErrors::new();
    // An empty "as of" keeps the unit the account already has, whatever today's tree says.
    let unchanged_unit = form.as_of.trim().is_empty()
        && form.unit_code.trim() == user.unit_code.clone().unwrap_or_else(|| units::NATIONAL_CODE.to_owned());
    let form_for_check = if unchanged_unit {
        let as_of = user_unit_date(&state, &user).await?;
        UserForm { as_of: as_of.map(|d| d.to_string()).unwrap_or_default(), ..form.clone() }
    } else {
        form.clone()
    };
    let checked = check_common(&state, &admin, &form_for_check, &mut errors).await?;
    if user.version != form.version {
        errors.set(
            "version",
            "Tài khoản vừa được người khác sửa. Trang dưới đây là bản mới nhất; hãy kiểm tra rồi lưu lại.".to_owned(),
        );
    }
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        if errors.has("version") {
            return edit_form_with(&state.pool, layout, user, errors).await;
        }
        return form_page(&state.pool, layout, Some(user), form, errors).await;
    };
    let active = form.active.is_some();
    let mut tx = state.pool.begin().await?;
    let loses_admin =
        user.active && user.has_role("quan_tri") && (!active || !checked.roles.iter().any(|r| r == "quan_tri"));
    if loses_admin && users::other_active_admins(&mut tx, id).await? == 0 {
        errors.set(
            "roles",
            "Đây là quản trị viên cuối cùng đang hoạt động: không thể bỏ quyền quản trị hoặc vô hiệu hóa.".to_owned(),
        );
        return form_page(&state.pool, layout, Some(user), form, errors).await;
    }
    let changes = users::Changes {
        full_name: form.full_name.trim(),
        unit_id: checked.unit.as_ref().map(|u| u.id),
        roles: &checked.roles,
        active,
    };
    if !users::update(&mut *tx, id, form.version, &changes).await? {
        errors.set("version", "Tài khoản vừa được người khác sửa. Hãy tải lại trang và kiểm tra.".to_owned());
        return form_page(&state.pool, layout, Some(user), form, errors).await;
    }
    if !active {
        // A deactivated account keeps nothing that opens the app: no session, no API key (a
        // key must not come back to life if the account is later reactivated for someone else).
        sqlx::query!("DELETE FROM sessions WHERE user_id = $1", id as UserId).execute(&mut *tx).await?;
        super::tokens::revoke_all(&mut tx, id).await?;
    }
    let after = users::by_id(&mut *tx, id).await?;
    let entry = Entry {
        action: if user.active && !active { "deactivate" } else { "update" },
        entity: "user",
        entity_id: id.to_string(),
        unit_id: after.as_ref().and_then(|u| u.unit_id).or(user.unit_id),
        before: serde_json::to_value(&user).ok(),
        after: after.as_ref().and_then(|u| serde_json::to_value(u).ok()),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("/admin/users/{id}")))
}

/// A date on which the account's current unit is in force.
async fn user_unit_date(state: &AppState, user: &users::User) -> AppResult<Option<NaiveDate>> {
    let Some(unit_id) = user.unit_id else {
        return Ok(None);
    };
    let unit = units::queries::by_id(&state.pool, unit_id).await?;
    Ok(unit.map(|u| u.a_valid_date(units::today())))
}

/// The edit form filled with the account as stored.
async fn edit_form_with(
    pool: &sqlx::PgPool,
    layout: Layout,
    user: users::User,
    errors: FieldErrors,
) -> AppResult<Response> {
    let form = UserForm {
        username: user.username.clone(),
        full_name: user.full_name.clone(),
        unit_code: user.unit_code.clone().unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
        as_of: String::new(),
        roles: user.roles.clone(),
        active: user.active.then(|| "1".to_owned()),
        password: String::new(),
        version: user.version,
    };
    form_page(pool, layout, Some(user), form, errors).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    mut layout: Layout,
    admin: CurrentUser,
    Path(id): Path<UserId>,
) -> AppResult<Response> {
    let user = managed_user(&state, &admin, id).await?;
    let new_password = password::generate();
    let hash = password::hash(new_password.clone()).await?;
    let mut tx = state.pool.begin().await?;
    let revoked = users::set_password(&mut tx, id, &hash).await?;
    let entry = Entry {
        action: "reset_password",
        entity: "user",
        entity_id: id.to_string(),
        unit_id: user.unit_id,
        before: None,
        after: Some(serde_json::json!({ "api_tokens_revoked": revoked })),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    sessions::delete_for_user(&state.pool, id).await?;
    let message = format!(
        "Mật khẩu mới của {}: {new_password} — hãy chuyển cho người dùng; họ nên đổi ngay sau khi đăng nhập.",
        user.username
    );
    // Shown once on this page, never stored in a cookie or a log.
    layout.flash = Some(Flash::info(&message));
    let user = users::by_id(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    // The page carries a password in clear: never cached.
    Ok(super::login::no_store(edit_form_with(&state.pool, layout, user, FieldErrors::new()).await?))
}

/// POST /admin/users/{id}/tokens/{token}/revoke: an administrator ends an API key of an
/// account in their subtree.
pub async fn revoke_token(
    State(state): State<AppState>,
    admin: CurrentUser,
    Path((id, token)): Path<(UserId, super::tokens::TokenId)>,
) -> AppResult<Response> {
    let user = managed_user(&state, &admin, id).await?;
    let mut tx = state.pool.begin().await?;
    let Some(name) = super::tokens::revoke_for_admin(&mut tx, id, token).await? else {
        return Ok(Flash::error("Tài khoản này không có khóa đó (hoặc khóa đã bị thu hồi).")
            .redirect(&format!("/admin/users/{id}")));
    };
    let entry = Entry {
        action: "revoke",
        entity: "api_token",
        entity_id: token.to_string(),
        unit_id: user.unit_id,
        before: Some(serde_json::json!({ "name": name, "owner": user.username })),
        after: None,
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success(&format!("Đã thu hồi khóa “{name}” của {}.", user.username))
        .redirect(&format!("/admin/users/{id}")))
}
