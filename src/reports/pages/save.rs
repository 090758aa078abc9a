//! `POST /reports/{unit}/{period}`: reading the posted form, saving the draft (lưu nháp) and
//! submitting it (gửi), or drawing the form again with what was typed and why it was refused.

use std::collections::{BTreeMap, HashSet};

use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::field_value;
use super::form::{Extras, FormState, KeepMine, form_page};
use crate::auth::CurrentUser;
use crate::auth::authz::Action;
use crate::directives::TaskId;
use crate::error::{AppError, AppResult};
use crate::reports::ReportAddress;
use crate::reports::changes::{describe_changes, describe_overwrites};
use crate::reports::entry::{self, Checked, Input};
use crate::reports::store::{self, Draft, Narrative, SaveError, TaskState};
use crate::reports::workflow::{self, DraftSave, Origin};
use crate::web::{AppState, Flash, Layout};

/// The posted report form, split by kind of field.
struct Posted {
    inputs: BTreeMap<String, String>,
    narrative: Narrative,
    tasks: BTreeMap<TaskId, (Option<TaskState>, String)>,
    notes: BTreeMap<String, String>,
}

/// Reads the posted form: figures (`v.KEY`), narrative, task progress (`task.ID.status`,
/// `task.ID.note`), notes on warnings (`note.RULE`).
fn read_form(fields: &[(String, String)]) -> Posted {
    let mut inputs = BTreeMap::new();
    let mut narrative = Narrative::default();
    let mut tasks: BTreeMap<TaskId, (Option<TaskState>, String)> = BTreeMap::new();
    let mut notes = BTreeMap::new();
    for (name, value) in fields {
        if let Some(key) = name.strip_prefix("v.") {
            inputs.insert(key.to_owned(), value.clone());
        } else if let Some(rule) = name.strip_prefix("note.") {
            if !value.trim().is_empty() {
                notes.insert(rule.to_owned(), value.trim().to_owned());
            }
        } else if let Some(rest) = name.strip_prefix("task.") {
            if let Some((id, part)) = rest.split_once('.')
                && let Ok(id) = id.parse::<i32>().map(TaskId)
            {
                let entry = tasks.entry(id).or_default();
                match part {
                    "status" => entry.0 = value.parse().ok(),
                    "note" => entry.1 = value.trim().to_owned(),
                    _ => {}
                }
            }
        } else {
            narrative.set(name, value.clone());
        }
    }
    Posted { inputs, narrative, tasks, notes }
}

/// Lưu nháp / gửi: saves the draft through the workflow, then submits it when asked and the
/// rules allow; a stale or locked report is answered with the form as typed (409).
pub async fn save(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    address: ReportAddress,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let unit = address.locate_for(&state.pool, &user, Action::EnterReport).await?;
    let quarter = address.quarter;
    let catalogue = crate::reports::catalogue(&state).await?;
    // The version the person opened; `overwrite`, ticked on a conflict page, names the
    // version whose changes they chose to replace.
    let version: i32 = field_value(&fields, "version").parse().unwrap_or(-1);
    let overwrite: Option<i32> = field_value(&fields, "overwrite").parse().ok();
    let submit = field_value(&fields, "action") == "submit";
    let Posted { inputs: typed, narrative, tasks, notes } = read_form(&fields);
    // Only the fields the form showed (and the unit's level still has) are replaced; every
    // other stored figure stays, whatever the catalogue says today.
    let level_fields: HashSet<String> = entry::fields(&catalogue, unit.level).into_iter().map(|f| f.key).collect();
    let shown: BTreeMap<&String, &String> = typed.iter().filter(|(key, _)| level_fields.contains(*key)).collect();
    let inputs: BTreeMap<String, Input> = shown
        .iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(k, v)| ((*k).clone(), Input::Text((*v).clone())))
        .collect();
    let checked = entry::check(&catalogue, unit.level, &inputs, &notes);
    // Progress only on tasks assigned to this unit; anything else is not this report's.
    let assigned: HashSet<TaskId> = crate::directives::tasks_for_unit(&state.pool, unit.id, quarter.last_day())
        .await?
        .into_iter()
        .map(|t| t.task_id)
        .collect();
    let tasks: BTreeMap<TaskId, (Option<TaskState>, String)> =
        tasks.into_iter().filter(|(id, _)| assigned.contains(id)).collect();
    let draft = Draft {
        values: checked.values.clone(),
        cleared: shown.iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| (*k).clone()).collect(),
        raw_inputs: shown
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| ((*k).clone(), (*v).clone()))
            .collect(),
        narrative: Some(narrative.clone()),
        rule_notes: Some(notes.clone()),
        tasks: Some(tasks.iter().filter_map(|(id, (s, n))| Some((*id, (*s)?, n.clone()))).collect()),
    };
    let typed_state = |checked: Checked| FormState {
        inputs: typed.clone(),
        checked,
        narrative: narrative.clone(),
        tasks: tasks.clone(),
        notes: notes.clone(),
    };
    let expected = overwrite.unwrap_or(version);
    let mut tx = state.pool.begin().await?;
    let save = DraftSave {
        unit: &unit,
        quarter,
        expected_version: expected,
        draft: &draft,
        origin: Origin::Form { opened: version, overwrote: overwrite },
    };
    // Sent only when asked and the figures pass their rules; saved as a draft either way.
    let send = submit && checked.submittable();
    let saved = workflow::save_and_submit(&mut tx, save, &user, send).await;
    let report = match saved {
        Ok((_, Some(change))) => {
            tx.commit().await?;
            state.aggregates.apply(&change);
            let message = format!("Đã gửi báo cáo {} của {}.", quarter.label(), unit.name);
            return Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, quarter.code())));
        }
        Ok((saved, None)) => saved.report,
        Err(SaveError::Stale { current }) => {
            tx.rollback().await?;
            let current_report = store::find(&state.pool, unit.id, quarter).await?;
            let (changes, replaced) = match &current_report {
                Some(r) => {
                    let opened = store::snapshot(&state.pool, r.id, version).await?.unwrap_or_default();
                    let now = store::snapshot(&state.pool, r.id, current).await?.unwrap_or_default();
                    (
                        describe_changes(&catalogue, &opened, &now),
                        describe_overwrites(&catalogue, &opened, &now, &draft),
                    )
                }
                None => (Vec::new(), Vec::new()),
            };
            let keep_mine = current_report.as_ref().filter(|r| r.status.editable()).map(|r| KeepMine {
                current: r.version,
                count: replaced.len(),
                summary: replaced.join("; "),
            });
            let choice = if keep_mine.is_some() {
                "Bấm “Lưu nháp” lần nữa cũng không ghi đè: muốn giữ bản của bạn thì đánh dấu “Giữ của tôi”; \
                 nếu không, tải lại trang để lấy bản mới rồi nhập lại phần của bạn."
            } else {
                "Báo cáo không còn sửa được ở trạng thái hiện tại; hãy chép lại phần của bạn nếu cần."
            };
            let notice = format!(
                "Chưa lưu: báo cáo vừa được người khác lưu sau khi bạn mở. Những gì bạn gõ vẫn còn bên dưới. {choice}"
            );
            let extras = Extras {
                notice: Some(notice),
                conflict: changes,
                opened: Some(version.max(0)),
                keep_mine,
                ..Extras::default()
            };
            let page =
                form_page(&state, layout, &user, unit, quarter, current_report.as_ref(), typed_state(checked), extras)
                    .await?;
            return Err(AppError::conflict_page(page));
        }
        Err(SaveError::Locked(status)) => {
            tx.rollback().await?;
            let current = store::find(&state.pool, unit.id, quarter).await?;
            let notice = format!("Báo cáo đang ở trạng thái “{}”: không sửa được.", status.label());
            let extras = Extras { notice: Some(notice), ..Extras::default() };
            let page =
                form_page(&state, layout, &user, unit, quarter, current.as_ref(), typed_state(checked), extras).await?;
            return Err(AppError::conflict_page(page));
        }
        Err(SaveError::Database(error)) => return Err(error.into()),
    };
    tx.commit().await?;
    if checked.blocking() > 0 || (submit && !checked.submittable()) {
        let notice = if submit {
            format!(
                "Đã lưu nháp nhưng chưa gửi được: còn {} lỗi và {} cảnh báo chưa có ghi chú. Sửa các ô được đánh dấu rồi gửi lại.",
                checked.blocking(),
                checked.unnoted_warnings()
            )
        } else {
            format!("Đã lưu nháp, giữ nguyên những gì bạn gõ. Còn {} lỗi cần sửa trước khi gửi.", checked.blocking())
        };
        let extras = Extras { notice: Some(notice), ..Extras::default() };
        let page = form_page(&state, layout, &user, unit, quarter, Some(&report), typed_state(checked), extras).await?;
        return Err(AppError::invalid_page(page));
    }
    let message =
        format!("Đã lưu nháp lúc {}.", report.updated_at.with_timezone(&crate::format::VIETNAM).format("%H:%M"));
    Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, quarter.code())))
}
