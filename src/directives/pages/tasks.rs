//! The task (nhiệm vụ) forms on a directive's page: adding one (assigned by level or to named
//! units), deleting one that no unit has reported progress on.

use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::show::{Kept, show_page};
use super::{Editable, Errors, audit_and_commit, created, delete_child, inside_issuer, optional_date};
use crate::directives::store::{self, DirectiveId};
use crate::error::{AppError, AppResult};
use crate::units::UnitId;
use crate::units::{self, Level, Unit};
use crate::web::{AppState, Flash, Layout};

#[derive(Debug, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    pub(super) number: String,
    #[serde(default)]
    pub(super) body: String,
    #[serde(default)]
    pub(super) levels: Vec<String>,
    #[serde(default)]
    pub(super) unit_codes: String,
    #[serde(default)]
    pub(super) deadline: String,
}

impl TaskForm {
    pub(super) fn has_level(&self, level: &Level) -> bool {
        self.levels.iter().any(|l| l.parse::<Level>().ok() == Some(*level))
    }
}

pub(super) async fn add(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive }: Editable,
    Form(form): Form<TaskForm>,
) -> AppResult<Response> {
    let id = directive.id;
    let mut errors = Errors::new();
    if form.number.trim().is_empty() {
        errors.set("task.number", "Nhập số thứ tự của nhiệm vụ, ví dụ 1 hoặc 3.2.".to_owned());
    }
    if form.body.trim().is_empty() {
        errors.set("task.body", "Nhập nội dung nhiệm vụ.".to_owned());
    }
    let levels: Vec<Level> = Level::ALL.into_iter().filter(|l| form.has_level(l)).collect();
    let deadline = optional_date(&form.deadline, &mut errors, "task.deadline");
    let date = directive.unit_date();
    let mut named: Vec<Unit> = Vec::new();
    let mut problems = Vec::new();
    for code in form.unit_codes.split([',', ';', ' ']).map(str::trim).filter(|c| !c.is_empty()) {
        match units::resolve_for_person(&state.pool, code, date).await {
            Ok(Some(unit)) => {
                if inside_issuer(&directive, &unit) {
                    named.push(unit);
                } else {
                    problems.push(format!("{} không thuộc đơn vị ban hành", unit.name));
                }
            }
            Ok(None) => problems.push("TW không phải một đơn vị cụ thể".to_owned()),
            Err(message) => problems.push(message),
        }
    }
    if !problems.is_empty() {
        errors.set("task.unit_codes", problems.join(" "));
    } else if levels.is_empty() && named.is_empty() {
        errors.set("task.unit_codes", "Chọn ít nhất một cấp hoặc nhập mã các đơn vị được giao.".to_owned());
    }
    if !errors.is_empty() {
        return show_page(&state, layout, &user, directive, Kept { task: form, errors, ..Kept::default() }).await;
    }
    let unit_ids: Vec<UnitId> = named.iter().map(|u| u.id).collect();
    let new = store::NewTask {
        directive_id: id,
        number: form.number.trim(),
        body: form.body.trim(),
        assigned_levels: &levels,
        deadline,
        sort_order: None,
        unit_ids: &unit_ids,
    };
    let mut tx = state.pool.begin().await?;
    let task_id = store::insert_task(&mut tx, &new).await?;
    let after = serde_json::json!({
        "directive_id": id, "number": new.number, "body": new.body, "assigned_levels": levels,
        "assigned_units": named.iter().map(|u| u.code.clone()).collect::<Vec<_>>(),
        "deadline": deadline.map(|d| d.to_string()),
    });
    audit_and_commit(tx, &user, created(&directive, "directive_task", task_id, Some(after))).await?;
    Ok(Flash::success("Đã thêm nhiệm vụ.").redirect(&format!("/directives/{id}#nhiem-vu")))
}

/// Why a task with reported progress stays: the reports are history.
fn task_has_progress(units: i64) -> String {
    format!(
        "Nhiệm vụ đã có báo cáo tiến độ của {} đơn vị, không xoá được: báo cáo tiến độ là lịch sử và phải giữ nguyên. \
         Nếu nhiệm vụ không còn áp dụng, hãy ghi rõ trong nội dung văn bản.",
        crate::format::integer(units)
    )
}

pub(super) async fn delete(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive }: Editable,
    Path((_, task)): Path<(DirectiveId, store::TaskId)>,
) -> AppResult<Response> {
    let id = directive.id;
    let reporting = crate::reports::store::units_reporting_on(&state.pool, task).await?;
    let refused = if reporting > 0 {
        Some(reporting)
    } else {
        match delete_child(&state, &user, &directive, store::Child::Task(task)).await {
            Ok(()) => None,
            // Progress reported between the count and the delete: the same refusal.
            Err(AppError::Database(sqlx::Error::Database(e))) if e.is_foreign_key_violation() => Some(1),
            Err(e) => return Err(e),
        }
    };
    if let Some(units) = refused {
        let mut errors = Errors::new();
        errors.set("task.delete", task_has_progress(units));
        return show_page(&state, layout, &user, directive, Kept { errors, conflict: true, ..Kept::default() }).await;
    }
    Ok(Flash::success("Đã xóa nhiệm vụ.").redirect(&format!("/directives/{id}#nhiem-vu")))
}
