//! Review milestones (sơ kết, tổng kết): adding and deleting them on a directive's page, and
//! the page of milestones coming due for the user's unit.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::show::{Kept, show_page};
use super::{Editable, Errors, audit_and_commit, created, delete_child};
use crate::auth::CurrentUser;
use crate::directives::store::{self, DirectiveId};
use crate::error::AppResult;
use crate::units;
use crate::web::{AppState, Flash, Layout, render};

#[derive(Debug, Default, Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) due_on: String,
    #[serde(default)]
    pub(super) description: String,
}

pub(super) async fn add(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive }: Editable,
    Form(form): Form<MilestoneForm>,
) -> AppResult<Response> {
    let id = directive.id;
    let mut errors = Errors::new();
    let kind = form.kind.parse::<store::MilestoneKind>().ok();
    if kind.is_none() {
        errors.set("milestone.kind", "Chọn sơ kết hoặc tổng kết.".to_owned());
    }
    let due_on = units::parse_date(&form.due_on);
    if due_on.is_none() {
        errors.set("milestone.due_on", "Nhập ngày đến hạn theo dạng 31/12/2025 hoặc 2025-12-31.".to_owned());
    }
    let (Some(kind), Some(due_on), true) = (kind, due_on, errors.is_empty()) else {
        return show_page(&state, layout, &user, directive, Kept { milestone: form, errors, ..Kept::default() }).await;
    };
    let description = form.description.trim();
    let mut tx = state.pool.begin().await?;
    let milestone_id = store::insert_milestone(&mut tx, id, kind, due_on, description).await?;
    let after = serde_json::json!({
        "directive_id": id, "kind": kind, "due_on": due_on.to_string(), "description": description,
    });
    audit_and_commit(tx, &user, created(&directive, "milestone", milestone_id, Some(after))).await?;
    Ok(Flash::success("Đã thêm mốc sơ kết, tổng kết.").redirect(&format!("/directives/{id}#moc")))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Editable { user, directive }: Editable,
    Path((_, milestone)): Path<(DirectiveId, store::MilestoneId)>,
) -> AppResult<Response> {
    let id = directive.id;
    delete_child(&state, &user, &directive, store::Child::Milestone(milestone)).await?;
    Ok(Flash::success("Đã xóa mốc.").redirect(&format!("/directives/{id}#moc")))
}

// ---------------------------------------------------------------------------------------------
// Milestones due

/// How far ahead the page looks, and how far back overdue milestones are still shown.
pub const AHEAD_DAYS: i64 = 90;
pub const OVERDUE_DAYS: i64 = 365;

pub struct DueRow {
    pub due: store::DueMilestone,
    pub overdue: bool,
    pub when: String,
}

#[derive(Template)]
#[template(path = "directives/milestones.html")]
struct MilestonesPage {
    layout: Layout,
    scope: String,
    today: String,
    overdue: Vec<DueRow>,
    upcoming: Vec<DueRow>,
}

pub(super) async fn due(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let today = units::today();
    let from = today - chrono::Duration::days(OVERDUE_DAYS);
    let to = today + chrono::Duration::days(AHEAD_DAYS);
    let path = user.unit.as_ref().map(|u| u.path.as_str());
    let rows = store::milestones_due(&state.pool, path, from, to).await?;
    let (overdue, upcoming): (Vec<DueRow>, Vec<DueRow>) = rows
        .into_iter()
        .map(|due| {
            let days = (due.milestone.due_on - today).num_days();
            let when = match days {
                d if d < 0 => format!("Quá hạn {} ngày", -d),
                0 => "Hôm nay".to_owned(),
                d => format!("Còn {d} ngày"),
            };
            DueRow { overdue: days < 0, when, due }
        })
        .partition(|row| row.overdue);
    let page = MilestonesPage { layout, scope: user.unit_name(), today: crate::format::date(today), overdue, upcoming };
    Ok(render(&page))
}
