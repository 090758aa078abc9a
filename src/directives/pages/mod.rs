//! Pages of directives, one file per purpose: [`search`] (the list), [`show`] (one directive:
//! implements tree, tasks, targets, milestones, attachments), [`edit`] (create and edit a
//! directive), and the forms on a directive's page: [`attachments`], [`tasks`], [`targets`],
//! [`milestones`] (with the milestones due). The SQL is in [`super::store`].
//!
//! Everyone signed in reads. Changes are for administrators whose subtree holds the issuing
//! unit and for the issuing office's data-entry staff (`Action::EditDirective`); each is
//! audited with before/after.

pub mod attachments;
pub mod edit;
pub mod milestones;
pub mod search;
pub mod show;
pub mod targets;
pub mod tasks;

use axum::extract::{DefaultBodyLimit, FromRequestParts, RawPathParams};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;

use super::store::{self, Directive, DirectiveId};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action};
use crate::error::{AppError, AppResult};
use crate::units::{self, Unit};
use crate::web::AppState;
use crate::web::routes::{Access, RouteSpec};

pub use attachments::UPLOAD_BODY_LIMIT;

pub fn routes() -> Vec<RouteSpec> {
    use Access::SignedIn;
    vec![
        RouteSpec::new(Method::GET, "/directives", "/directives?q=x", SignedIn, get(search::index)),
        RouteSpec::new(Method::POST, "/directives", "/directives", SignedIn, post(edit::create)),
        RouteSpec::new(Method::GET, "/directives/new", "/directives/new", SignedIn, get(edit::new_form)),
        RouteSpec::new(Method::GET, "/directives/{id}", "/directives/{some_directive}", SignedIn, get(show::show)),
        RouteSpec::new(Method::POST, "/directives/{id}", "/directives/{some_directive}", SignedIn, post(edit::update)),
        RouteSpec::new(
            Method::GET,
            "/directives/{id}/edit",
            "/directives/{some_directive}/edit",
            SignedIn,
            get(edit::edit_form),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/attachments",
            "/directives/{some_directive}/attachments",
            SignedIn,
            post(attachments::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        ),
        RouteSpec::new(
            Method::GET,
            "/directives/{id}/attachments/{attachment}",
            "/directives/{some_directive}/attachments/{some_attachment}",
            SignedIn,
            get(attachments::download),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/attachments/{attachment}/delete",
            "/directives/{some_directive}/attachments/{some_attachment}/delete",
            SignedIn,
            post(attachments::delete),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/tasks",
            "/directives/{some_directive}/tasks",
            SignedIn,
            post(tasks::add),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/tasks/{task}/delete",
            "/directives/{some_directive}/tasks/1/delete",
            SignedIn,
            post(tasks::delete),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/targets",
            "/directives/{some_directive}/targets",
            SignedIn,
            post(targets::add),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/targets/{target}/delete",
            "/directives/{some_directive}/targets/1/delete",
            SignedIn,
            post(targets::delete),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/milestones",
            "/directives/{some_directive}/milestones",
            SignedIn,
            post(milestones::add),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/milestones/{milestone}/delete",
            "/directives/{some_directive}/milestones/1/delete",
            SignedIn,
            post(milestones::delete),
        ),
        RouteSpec::new(Method::GET, "/milestones", "/milestones", SignedIn, get(milestones::due)),
    ]
}

/// Messages next to the fields, by field key (`task.number`, `title`, …).
type Errors = crate::error::FieldErrors;

/// The message under a date left unreadable in a directive's forms.
const DATE_MESSAGE: &str = "Ngày không hợp lệ: nhập theo dạng 31/12/2025.";

/// An optional date field (a task's or a target's deadline).
fn optional_date(text: &str, errors: &mut Errors, key: &'static str) -> Option<NaiveDate> {
    errors.optional(key, text, DATE_MESSAGE, units::parse_date)
}

async fn directive_or_404(state: &AppState, id: DirectiveId) -> AppResult<Directive> {
    store::by_id(&state.pool, id).await?.ok_or(AppError::NotFound)
}

/// The directive of the route's `{id}` and the signed-in user who may change it
/// (`Action::EditDirective`): every handler that changes a directive or what hangs on it takes
/// one, so none can forget the check. Read before any form or file: an id that is no directive's
/// (malformed or unknown) is a 404, a directive outside the user's reach a 403, and someone not
/// signed in goes to the sign-in page, without the body being looked at.
pub(super) struct Editable {
    pub user: CurrentUser,
    pub directive: Directive,
}

impl FromRequestParts<AppState> for Editable {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let id = crate::units::address::segment(&params, &["id"])
            .and_then(|id| id.parse().ok())
            .map(DirectiveId)
            .ok_or_else(|| AppError::NotFound.into_response())?;
        let directive = directive_or_404(state, id).await.map_err(IntoResponse::into_response)?;
        authz::authorize(&user, Action::EditDirective, directive.place()).map_err(IntoResponse::into_response)?;
        Ok(Editable { user, directive })
    }
}

/// Whether `unit` is the issuing unit or lies under it (any unit, for central documents).
fn inside_issuer(directive: &Directive, unit: &Unit) -> bool {
    match &directive.unit_path {
        Some(root) => unit.path == *root || unit.path.starts_with(&format!("{root}.")),
        None => true,
    }
}

/// The audit entry for a row added to `directive` (a task, target, milestone, file).
fn created(
    directive: &Directive,
    entity: &'static str,
    id: impl std::fmt::Display,
    after: Option<serde_json::Value>,
) -> Entry<'static> {
    let entity_id = id.to_string();
    Entry { action: "create", entity, entity_id, unit_id: directive.issuing_unit_id, before: None, after }
}

/// The audit entry for a row removed from `directive`.
fn deleted(
    directive: &Directive,
    entity: &'static str,
    id: impl std::fmt::Display,
    before: serde_json::Value,
) -> Entry<'static> {
    let entity_id = id.to_string();
    Entry { action: "delete", entity, entity_id, unit_id: directive.issuing_unit_id, before: Some(before), after: None }
}

/// Records the change in the audit log, in the same transaction, and commits.
async fn audit_and_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    user: &CurrentUser,
    entry: Entry<'_>,
) -> AppResult<()> {
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a task, target or milestone of `directive` and records it (404: no such row).
async fn delete_child(
    state: &AppState,
    user: &CurrentUser,
    directive: &Directive,
    child: store::Child,
) -> AppResult<()> {
    let mut tx = state.pool.begin().await?;
    let before = store::delete_child(&mut tx, child, directive.id).await?.ok_or(AppError::NotFound)?;
    audit_and_commit(tx, user, deleted(directive, child.entity(), child.id(), before)).await
}
