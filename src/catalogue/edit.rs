//! The one create/edit flow of the catalogue. Each of the five entities (organisations, report
//! sections, data elements, indicators, validation rules) says what is particular to it by
//! implementing [`Entity`]; the pages and the flow are written once, here:
//!
//! 1. parse the form (kept as typed) and check it, every message next to its field;
//! 2. on an error, show the form again with the input kept: 422, or 409 when someone else saved
//!    the row first (every update is guarded by the row's version);
//! 3. otherwise store the row, audit it (before and after), commit and redirect with a message.

use std::future::Future;

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::Form;
use serde::de::DeserializeOwned;
use sqlx::{PgConnection, PgExecutor, PgPool};

use super::code::CatalogueCode;
use super::forms::FieldErrors;
use super::store::{self, Row};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action};
use crate::error::{AppError, AppResult};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, Layout, render};

/// Where an entity's pages live.
pub struct Paths {
    /// The list (GET); a new row is posted here.
    pub list: &'static str,
    /// The empty form.
    pub new: &'static str,
    /// One row by its code: its form (GET) and its update (POST).
    pub one: &'static str,
    /// `one` with a sample code, for the tests that walk every route.
    pub sample: &'static str,
}

/// The [`Paths`] of an entity listed at `/admin/catalogue/<name>`, with a sample code.
macro_rules! paths {
    ($name:literal, $sample:literal) => {
        $crate::catalogue::edit::Paths {
            list: concat!("/admin/catalogue/", $name),
            new: concat!("/admin/catalogue/", $name, "/new"),
            one: concat!("/admin/catalogue/", $name, "/{code}"),
            sample: concat!("/admin/catalogue/", $name, "/", $sample),
        }
    };
}
pub(super) use paths;

/// What is particular to one entity of the catalogue; the flow itself is in this module, the
/// row's reads and writes in [`store::Row`].
pub trait Entity: 'static {
    /// The row as stored, shown and audited.
    type Record: Row;
    /// The form as posted, kept as typed so that a refused save shows it again.
    type Form: DeserializeOwned + Send;
    /// What checking the form and showing it need besides the row: the sections an element
    /// may belong to, the element codes an expression may name.
    type Context: Send;
    type ListPage: Template;
    type FormPage: Template;

    const PATHS: Paths;
    /// What a row is called in messages: "Đã thêm tổ chức HND."
    const NOUN: &'static str;

    /// The message after a change is saved; `before` as it was, `after` as checked.
    fn saved_message(_before: &Self::Record, _after: &Self::Record) -> &'static str {
        "Đã lưu thay đổi."
    }

    /// The form of a new row, with its defaults.
    fn blank_form() -> Self::Form;
    fn to_form(record: &Self::Record) -> Self::Form;
    /// The form's code and version: a refused update shows the row's own code (it never
    /// changes) and, after a stale edit, the version now stored, so that saving again
    /// overwrites knowingly.
    fn identity(form: &mut Self::Form) -> (&mut String, &mut i32);
    /// The row the form describes, every problem added to `errors`; `code` is the row's own
    /// when editing, `None` when the form creates one (its code is then checked).
    fn check(form: &Self::Form, code: Option<&str>, context: &Self::Context, errors: &mut FieldErrors) -> Self::Record;

    fn form_page(
        layout: Layout,
        editing: Option<Self::Record>,
        form: Self::Form,
        errors: FieldErrors,
        context: Self::Context,
    ) -> Self::FormPage;
    fn list_page(pool: &PgPool, layout: Layout) -> impl Future<Output = sqlx::Result<Self::ListPage>> + Send;
    fn context<'c>(db: impl PgExecutor<'c>) -> impl Future<Output = sqlx::Result<Self::Context>> + Send;
}

/// The five routes of an entity: list, empty form, create, form of one row, update.
pub fn routes<E: Entity>() -> [RouteSpec; 5] {
    let Paths { list, new, one, sample } = E::PATHS;
    [
        RouteSpec::new(Method::GET, list, list, Access::Admin, get(list_page::<E>)),
        RouteSpec::new(Method::GET, new, new, Access::Admin, get(new_page::<E>)),
        RouteSpec::new(Method::POST, list, list, Access::Admin, post(create::<E>)),
        RouteSpec::new(Method::GET, one, sample, Access::Admin, get(edit_page::<E>)),
        RouteSpec::new(Method::POST, one, sample, Access::Admin, post(update::<E>)),
    ]
}

/// The catalogue belongs to the country and the provinces: only their administrators edit it.
pub fn guard(admin: &CurrentUser) -> AppResult<()> {
    authz::authorize(admin, Action::EditCatalogue, admin.own_place())
}

const CODE_TAKEN: &str = "Mã này đã có trong danh mục: chọn mã khác.";

fn stale_message(current_version: i32) -> String {
    format!(
        "Mục này vừa được người khác lưu trong lúc bạn sửa (nay là phiên bản {current_version}); thay đổi của bạn \
         chưa được lưu. Nội dung bạn gõ vẫn còn bên dưới: hãy mở lại trang trong thẻ khác để xem bản mới nhất, \
         rồi bấm Lưu lần nữa nếu vẫn muốn ghi đè."
    )
}

/// The form again, with 409 when the row changed under the user, 422 for any other error.
fn refused<E: Entity>(
    layout: Layout,
    editing: Option<E::Record>,
    form: E::Form,
    errors: FieldErrors,
    context: E::Context,
) -> AppError {
    let stale = errors.has("version");
    let page = render(&E::form_page(layout, editing, form, errors, context));
    if stale { AppError::conflict_page(page) } else { AppError::invalid_page(page) }
}

/// The audit entry of a save: `before` is `None` for a new row.
async fn record_change<R: Row>(
    tx: &mut PgConnection,
    admin: &CurrentUser,
    code: &str,
    before: Option<&R>,
    after: Option<&R>,
) -> sqlx::Result<()> {
    let entry = Entry {
        action: if before.is_some() { "update" } else { "create" },
        entity: R::ENTITY,
        entity_id: code.to_owned(),
        unit_id: admin.unit.as_ref().map(|u| u.id),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: after.and_then(|a| serde_json::to_value(a).ok()),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await
}

async fn list_page<E: Entity>(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
) -> AppResult<Response> {
    guard(&admin)?;
    Ok(render(&E::list_page(&state.pool, layout).await?))
}

async fn new_page<E: Entity>(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let context = E::context(&state.pool).await?;
    Ok(render(&E::form_page(layout, None, E::blank_form(), FieldErrors::default(), context)))
}

async fn create<E: Entity>(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<E::Form>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let context = E::context(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = E::check(&form, None, &context, &mut errors);
    if errors.is_empty() && !store::insert(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        return Err(refused::<E>(layout, None, form, errors, context));
    }
    let code = record.code();
    let after: Option<E::Record> = store::fetch(&mut *tx, code).await?;
    record_change(&mut tx, &admin, code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm {} {code}.", E::NOUN));
    Ok(flash.redirect(&format!("{}/{code}", E::PATHS.list)))
}

async fn edit_page<E: Entity>(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    code: CatalogueCode,
) -> AppResult<Response> {
    guard(&admin)?;
    let record: E::Record = store::fetch(&state.pool, code.as_str()).await?.ok_or(AppError::NotFound)?;
    let context = E::context(&state.pool).await?;
    let form = E::to_form(&record);
    Ok(render(&E::form_page(layout, Some(record), form, FieldErrors::default(), context)))
}

async fn update<E: Entity>(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    code: CatalogueCode,
    Form(mut form): Form<E::Form>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before: E::Record = store::fetch(&mut *tx, code.as_str()).await?.ok_or(AppError::NotFound)?;
    let context = E::context(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = E::check(&form, Some(before.code()), &context, &mut errors);
    if errors.is_empty() && !store::update(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version()));
        *E::identity(&mut form).1 = before.version();
    }
    if !errors.is_empty() {
        before.code().clone_into(E::identity(&mut form).0);
        return Err(refused::<E>(layout, Some(before), form, errors, context));
    }
    let after: Option<E::Record> = store::fetch(&mut *tx, code.as_str()).await?;
    record_change(&mut tx, &admin, code.as_str(), Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    Ok(Flash::success(E::saved_message(&before, &record)).redirect(&format!("{}/{code}", E::PATHS.list)))
}
