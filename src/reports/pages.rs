//! The report pages: the form and what its save/submit and the reviewer's actions draw, the
//! reviewer's overview and the list of a unit's reports. What a save or a move does is
//! [`super::workflow`]'s; these handlers read the request, call it and draw the outcome.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::changes::{describe_changes, describe_overwrites};
use super::entry::{self, Checked, Input};
use super::store::{self, Draft, Event, Narrative, SaveError};
use super::workflow::{self, Author, DraftSave, Move, Origin, Remarks, Status};
use super::{Period, locate, permissions};
use crate::auth::CurrentUser;
use crate::catalogue::ValueType;
use crate::error::{AppError, AppResult};
use crate::format;
use crate::units::{self, Unit};
use crate::web::{AppState, Flash, Layout, filters, render};

pub struct RuleView {
    pub code: String,
    pub message: String,
    pub is_error: bool,
    pub note: String,
    /// Warnings take their note here (shown once, with the first field of the rule).
    pub wants_note: bool,
}

pub struct RowView {
    pub key: String,
    pub label: String,
    pub unit_of_measure: String,
    pub input: String,
    pub previous: String,
    pub error: Option<String>,
    pub rules: Vec<RuleView>,
    pub remark: Option<String>,
    pub is_boolean: bool,
    pub description: String,
    /// The reviewer's remark on this field, kept when a review action is refused.
    pub review_remark: String,
}

impl RowView {
    /// The id of the field's control: `f-KEY`.
    pub fn input_id(&self) -> String {
        format!("f-{}", self.key)
    }

    /// The name the form posts the field under: `v.KEY`.
    pub fn input_name(&self) -> String {
        format!("v.{}", self.key)
    }

    /// The id of the message next to the field: `e-KEY`.
    pub fn error_id(&self) -> String {
        format!("e-{}", self.key)
    }
}

/// A stored figure the form no longer shows (element or organisation retired, levels or
/// breakdown changed): it stays stored and is listed read-only under the form.
pub struct KeptView {
    pub label: String,
    pub value: String,
}

/// The explicit "keep mine" choice on a refused stale save.
pub struct KeepMine {
    /// The version now stored: ticking the box saves against it, and only it.
    pub current: i32,
    /// How many figures or sections of the other person's save it would replace.
    pub count: usize,
    /// Those figures and sections, in words.
    pub summary: String,
}

/// What a page drawn after a refusal carries besides the form.
#[derive(Default)]
struct Extras {
    notice: Option<String>,
    /// What changed since the person opened the report.
    conflict: Vec<String>,
    /// The version the person opened, kept in the form so that sending it again stays refused.
    opened: Option<i32>,
    keep_mine: Option<KeepMine>,
    /// The reviewer's typed remarks, kept when a review action is refused.
    review_remarks: String,
    review_field_remarks: BTreeMap<String, String>,
}

pub struct SectionView {
    pub code: String,
    pub name: String,
    pub rows: Vec<RowView>,
}

pub struct TaskView {
    pub task_id: i32,
    pub directive_number: String,
    pub number: String,
    pub body: String,
    pub deadline: Option<NaiveDate>,
    pub status: String,
    pub note: String,
}

pub const TASK_STATES: [(&str, &str); 3] =
    [("chua_trien_khai", "Chưa triển khai"), ("dang_thuc_hien", "Đang thực hiện"), ("hoan_thanh", "Hoàn thành")];

#[derive(Template)]
#[template(path = "reports/form.html")]
struct FormPage {
    layout: Layout,
    unit: Unit,
    period: Period,
    previous_period: Period,
    status: Status,
    version: i32,
    /// The version the page shows, carried by review actions.
    review_version: i32,
    due: NaiveDate,
    saved_at: String,
    sections: Vec<SectionView>,
    narrative: Narrative,
    tasks: Vec<TaskView>,
    task_states: [(&'static str, &'static str); 3],
    events: Vec<Event>,
    can_edit: bool,
    can_review: bool,
    errors: usize,
    warnings: usize,
    unnoted: usize,
    notice: Option<String>,
    conflict: Vec<String>,
    keep_mine: Option<KeepMine>,
    remarks: String,
    review_remarks: String,
    kept: Vec<KeptView>,
    storage_key: String,
    /// The form holds the stored report (not typing sent back after a refusal), so a local
    /// copy identical to it may be dropped.
    shows_stored: bool,
}

/// Everything needed to draw the form, from stored data or from what was just typed.
struct FormState {
    inputs: BTreeMap<String, String>,
    checked: Checked,
    narrative: Narrative,
    tasks: BTreeMap<i32, (String, String)>,
    notes: BTreeMap<String, String>,
    remarks: BTreeMap<String, String>,
}

fn value_text(value: Decimal, element_type: ValueType) -> String {
    match element_type {
        ValueType::Boolean => if value.is_zero() { "Không" } else { "Có" }.to_owned(),
        _ => format::format_number(value, 6),
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    unit: Unit,
    period: Period,
    report: Option<&store::Report>,
    form: FormState,
    extras: Extras,
) -> AppResult<Response> {
    let catalogue = super::catalogue(state).await?;
    let perms = permissions(user, &unit);
    let (year, quarter) = period.last_quarter();
    let previous_period = period.previous();
    let (py, pq) = previous_period.last_quarter();
    let previous = match store::find(&state.pool, unit.id, py, pq).await? {
        Some(report) => store::values(&state.pool, report.id).await?,
        None => BTreeMap::new(),
    };
    let fields = entry::fields(&catalogue, unit.level);
    let mut placed: HashSet<String> = HashSet::new();
    let mut seen_elements: HashSet<String> = HashSet::new();
    let mut sections: Vec<SectionView> = catalogue
        .sections
        .iter()
        .map(|s| SectionView { code: s.code.clone(), name: s.name.clone(), rows: Vec::new() })
        .collect();
    for field in &fields {
        let first_of_element = seen_elements.insert(field.element.code.clone());
        let rules = if first_of_element {
            form.checked
                .rules_for(&field.element.code)
                .into_iter()
                .map(|rule| {
                    let wants_note = !rule.is_error && placed.insert(rule.code.clone());
                    RuleView {
                        code: rule.code.clone(),
                        message: rule.message.clone(),
                        is_error: rule.is_error,
                        note: form.notes.get(&rule.code).cloned().unwrap_or_default(),
                        wants_note,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let row = RowView {
            key: field.key.clone(),
            label: field.label(),
            unit_of_measure: field.element.unit_of_measure.clone(),
            input: form.inputs.get(&field.key).cloned().unwrap_or_default(),
            previous: previous.get(&field.key).map(|v| value_text(*v, field.element.kind())).unwrap_or_default(),
            error: form.checked.errors.get(&field.key).map(str::to_owned),
            rules,
            remark: form.remarks.get(&field.key).cloned(),
            is_boolean: field.element.kind() == ValueType::Boolean,
            description: field.element.description.clone(),
            review_remark: extras.review_field_remarks.get(&field.key).cloned().unwrap_or_default(),
        };
        if let Some(section) = sections.iter_mut().find(|s| s.code == field.element.section_code) {
            section.rows.push(row);
        }
    }
    sections.retain(|s| !s.rows.is_empty());
    let kept = match report {
        Some(r) => kept_values(state, &fields, r.id).await?,
        None => Vec::new(),
    };
    let assigned = crate::directives::tasks_for_unit(&state.pool, unit.id, period.end_date()).await?;
    let tasks = assigned
        .into_iter()
        .map(|task| {
            let (status, note) = form.tasks.get(&task.task_id).cloned().unwrap_or_default();
            TaskView {
                task_id: task.task_id,
                directive_number: task.directive_number,
                number: task.number,
                body: task.body,
                deadline: task.deadline,
                status: if status.is_empty() { "chua_trien_khai".to_owned() } else { status },
                note,
            }
        })
        .collect();
    let status = report.map(|r| r.status()).unwrap_or(Status::Draft);
    let events = match report {
        Some(r) => store::events(&state.pool, r.id).await?,
        None => Vec::new(),
    };
    let calendar = super::calendar(&state.pool).await?;
    let remarks = events
        .iter()
        .rev()
        .find(|e| e.to_status == "tra_lai")
        .map(|e| e.remarks.clone())
        .filter(|_| status == Status::Returned)
        .unwrap_or_default();
    let page = FormPage {
        layout,
        storage_key: format!("danvan-report-{}-{}", unit.id, period.code()),
        previous_period,
        status,
        version: extras.opened.unwrap_or_else(|| report.map(|r| r.version).unwrap_or(0)),
        review_version: report.map(|r| r.version).unwrap_or(0),
        due: calendar.due(year, quarter),
        saved_at: report
            .map(|r| r.updated_at.with_timezone(&crate::format::VIETNAM).format("%H:%M ngày %d/%m/%Y").to_string())
            .unwrap_or_default(),
        sections,
        narrative: form.narrative,
        tasks,
        task_states: TASK_STATES,
        events,
        can_edit: perms.enter && status.editable(),
        can_review: perms.review,
        errors: form.checked.blocking(),
        warnings: form.checked.warnings(),
        unnoted: form.checked.unnoted_warnings(),
        shows_stored: extras.notice.is_none(),
        notice: extras.notice,
        conflict: extras.conflict,
        keep_mine: extras.keep_mine,
        remarks,
        review_remarks: extras.review_remarks,
        kept,
        unit,
        period,
    };
    Ok(render(&page))
}

/// Stored figures that are not fields of the form today, named from the whole catalogue
/// (retired elements and organisations included).
async fn kept_values(state: &AppState, fields: &[entry::Field<'_>], report_id: i32) -> AppResult<Vec<KeptView>> {
    let shown: HashSet<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    let stored = store::values(&state.pool, report_id).await?;
    let others: Vec<(&String, &Decimal)> = stored.iter().filter(|(key, _)| !shown.contains(key.as_str())).collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let names = store::names(&state.pool).await?;
    Ok(others
        .into_iter()
        .map(|(key, value)| {
            let (code, org) = entry::split_key(key);
            let element = names.elements.get(code).cloned().unwrap_or_else(|| code.to_owned());
            let label = if org.is_empty() {
                element
            } else {
                format!("{element} — {}", names.organisations.get(org).cloned().unwrap_or_else(|| org.to_owned()))
            };
            KeptView { label: format!("{label} ({key})"), value: format::format_number(*value, 6) }
        })
        .collect())
}

/// The form as stored: typed text where it was kept, else the stored values.
async fn stored_state(state: &AppState, unit: &Unit, report: Option<&store::Report>) -> AppResult<FormState> {
    let catalogue = super::catalogue(state).await?;
    let Some(report) = report else {
        return Ok(FormState {
            inputs: BTreeMap::new(),
            checked: Checked::default(),
            narrative: Narrative::default(),
            tasks: BTreeMap::new(),
            notes: BTreeMap::new(),
            remarks: BTreeMap::new(),
        });
    };
    let values = store::values(&state.pool, report.id).await?;
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for field in entry::fields(&catalogue, unit.level) {
        if let Some(value) = values.get(&field.key) {
            inputs.insert(field.key.clone(), value_text(*value, field.element.kind()));
        }
    }
    // What was typed and could not be read stays as typed.
    for (key, raw) in &report.raw_inputs.0 {
        if !values.contains_key(key) {
            inputs.insert(key.clone(), raw.clone());
        }
    }
    let typed: BTreeMap<String, Input> = inputs.iter().map(|(k, v)| (k.clone(), Input::Text(v.clone()))).collect();
    let notes = report.rule_notes.0.clone();
    let checked = entry::check(&catalogue, unit.level, &typed, &notes);
    let tasks = store::task_progress(&state.pool, report.id)
        .await?
        .into_iter()
        .map(|t| (t.task_id, (t.status, t.note)))
        .collect();
    let events = store::events(&state.pool, report.id).await?;
    let remarks = events
        .iter()
        .rev()
        .find(|e| e.to_status == "tra_lai")
        .filter(|_| report.status() == Status::Returned)
        .map(|e| e.field_remarks.0.clone())
        .unwrap_or_default();
    Ok(FormState { inputs, checked, narrative: report.narrative(), tasks, notes, remarks })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((code, period)): Path<(String, String)>,
) -> AppResult<Response> {
    let (unit, period, (year, quarter)) = locate(&state.pool, &code, &period).await?;
    if !permissions(&user, &unit).view {
        return Err(AppError::Forbidden);
    }
    let report = store::find(&state.pool, unit.id, year, quarter).await?;
    let form = stored_state(&state, &unit, report.as_ref()).await?;
    form_page(&state, layout, &user, unit, period, report.as_ref(), form, Extras::default()).await
}

/// Reads the posted form: figures (`v.KEY`), narrative, task progress (`task.ID.status`,
/// `task.ID.note`), notes on warnings (`note.RULE`).
/// The posted report form, split by kind of field.
struct Posted {
    inputs: BTreeMap<String, String>,
    narrative: Narrative,
    tasks: BTreeMap<i32, (String, String)>,
    notes: BTreeMap<String, String>,
}

fn read_form(fields: &[(String, String)]) -> Posted {
    let mut inputs = BTreeMap::new();
    let mut narrative = Narrative::default();
    let mut tasks: BTreeMap<i32, (String, String)> = BTreeMap::new();
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
                && let Ok(id) = id.parse::<i32>()
            {
                let entry = tasks.entry(id).or_default();
                match part {
                    "status" if super::pages::TASK_STATES.iter().any(|(s, _)| s == value) => entry.0 = value.clone(),
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

fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub async fn save(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((code, period_text)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (unit, period, (year, quarter)) = locate(&state.pool, &code, &period_text).await?;
    if !permissions(&user, &unit).enter {
        return Err(AppError::Forbidden);
    }
    let catalogue = super::catalogue(&state).await?;
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
    let assigned: HashSet<i32> = crate::directives::tasks_for_unit(&state.pool, unit.id, period.end_date())
        .await?
        .into_iter()
        .map(|t| t.task_id)
        .collect();
    let tasks: BTreeMap<i32, (String, String)> = tasks.into_iter().filter(|(id, _)| assigned.contains(id)).collect();
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
        tasks: Some(
            tasks.iter().filter(|(_, (s, _))| !s.is_empty()).map(|(id, (s, n))| (*id, s.clone(), n.clone())).collect(),
        ),
        replace_all: false,
    };
    let typed_state = |checked: Checked| FormState {
        inputs: typed.clone(),
        checked,
        narrative: narrative.clone(),
        tasks: tasks.clone(),
        notes: notes.clone(),
        remarks: BTreeMap::new(),
    };
    let expected = overwrite.unwrap_or(version);
    let mut tx = state.pool.begin().await?;
    let save = DraftSave {
        unit: &unit,
        quarter: (year, quarter),
        expected_version: expected,
        draft: &draft,
        origin: Origin::Form { opened: version, overwrote: overwrite },
    };
    let saved = workflow::save_draft(&mut tx, save, &Author::user(&user)).await;
    let report = match saved {
        Ok(saved) => saved.report,
        Err(SaveError::Stale { current }) => {
            tx.rollback().await?;
            let current_report = store::find(&state.pool, unit.id, year, quarter).await?;
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
            let keep_mine = current_report.as_ref().filter(|r| r.status().editable()).map(|r| KeepMine {
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
                form_page(&state, layout, &user, unit, period, current_report.as_ref(), typed_state(checked), extras)
                    .await?;
            return Err(AppError::conflict_page(page));
        }
        Err(SaveError::Locked(status)) => {
            tx.rollback().await?;
            let current = store::find(&state.pool, unit.id, year, quarter).await?;
            let notice = format!("Báo cáo đang ở trạng thái “{}”: không sửa được.", status.label());
            let extras = Extras { notice: Some(notice), ..Extras::default() };
            let page =
                form_page(&state, layout, &user, unit, period, current.as_ref(), typed_state(checked), extras).await?;
            return Err(AppError::conflict_page(page));
        }
        Err(SaveError::Database(error)) => return Err(error.into()),
    };
    // The save refuses a report that is not editable, so a report just saved may be submitted.
    if submit
        && checked.submittable()
        && let Some(submission) = Move::Submit.check(report.status())
    {
        let no_remarks = Remarks::default();
        let change = workflow::make_move(&mut tx, (&unit, period), &report, submission, &no_remarks, &user).await?;
        tx.commit().await?;
        state.aggregates.apply(&change);
        let message = format!("Đã gửi báo cáo {} của {}.", period.label(), unit.name);
        return Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, period.code())));
    }
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
        let page = form_page(&state, layout, &user, unit, period, Some(&report), typed_state(checked), extras).await?;
        return Err(AppError::invalid_page(page));
    }
    let message =
        format!("Đã lưu nháp lúc {}.", report.updated_at.with_timezone(&crate::format::VIETNAM).format("%H:%M"));
    Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, period.code())))
}

/// Duyệt / trả lại / mở lại. The form carries the version the reviewer saw: a report that
/// changed since is not acted on (409, with what changed and the remarks as typed).
pub async fn review(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((code, period_text)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (unit, period, (year, quarter)) = locate(&state.pool, &code, &period_text).await?;
    if !permissions(&user, &unit).review {
        return Err(AppError::Forbidden);
    }
    let Ok(seen) = field_value(&fields, "version").parse::<i32>() else {
        return Err(AppError::BadRequest(
            "Thiếu phiên bản báo cáo bạn đã xem; tải lại trang rồi thao tác lại.".to_owned(),
        ));
    };
    let action = field_value(&fields, "action").to_owned();
    let remarks = Remarks {
        general: field_value(&fields, "remarks").trim().to_owned(),
        fields: fields
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("r.")?;
                (!value.trim().is_empty()).then(|| (key.to_owned(), value.trim().to_owned()))
            })
            .collect(),
    };
    let mut tx = state.pool.begin().await?;
    let Some(report) = store::find_for_update(&mut tx, unit.id, year, quarter).await? else {
        return Err(AppError::BadRequest("Đơn vị chưa có báo cáo kỳ này.".to_owned()));
    };
    let kept_typing = |notice: String, conflict: Vec<String>| Extras {
        notice: Some(notice),
        conflict,
        review_remarks: remarks.general.clone(),
        review_field_remarks: remarks.fields.clone(),
        ..Extras::default()
    };
    if report.version != seen {
        tx.rollback().await?;
        let catalogue = super::catalogue(&state).await?;
        let opened = store::snapshot(&state.pool, report.id, seen).await?.unwrap_or_default();
        let now = store::snapshot(&state.pool, report.id, report.version).await?.unwrap_or_default();
        let changes = describe_changes(&catalogue, &opened, &now);
        let notice = "Chưa thực hiện: báo cáo đã thay đổi từ khi bạn mở. Xem các thay đổi và báo cáo hiện tại \
                      bên dưới rồi thao tác lại; ý kiến bạn đã gõ vẫn còn."
            .to_owned();
        let form = stored_state(&state, &unit, Some(&report)).await?;
        let extras = kept_typing(notice, changes);
        let page = form_page(&state, layout, &user, unit, period, Some(&report), form, extras).await?;
        return Err(AppError::conflict_page(page));
    }
    let transition = match workflow::check_review(&action, report.status(), &remarks) {
        Ok(legal) => legal,
        Err(problem) => {
            tx.rollback().await?;
            let form = stored_state(&state, &unit, Some(&report)).await?;
            let extras = kept_typing(problem.to_owned(), Vec::new());
            let page = form_page(&state, layout, &user, unit, period, Some(&report), form, extras).await?;
            return Err(AppError::invalid_page(page));
        }
    };
    let change = workflow::make_move(&mut tx, (&unit, period), &report, transition, &remarks, &user).await?;
    tx.commit().await?;
    state.aggregates.apply(&change);
    let to = transition.to().label().to_lowercase();
    let message = format!("Báo cáo {} của {}: {to}.", period.label(), unit.name);
    Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, period.code())))
}

#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    period: String,
}

pub struct OverviewRow {
    pub unit: Unit,
    pub href: String,
    pub status: Option<Status>,
    pub timing: String,
    pub late: bool,
    /// Accepted once and reopened for correction: "đang sửa", not "late" nor "not sent".
    pub correcting: bool,
}

/// The units of one state on the reviewer's overview. A province of today reviews 100+
/// communes: the ones waiting for review come first and open, the accepted ones folded, so the
/// page stays readable on a phone.
pub struct OverviewGroup {
    pub title: &'static str,
    pub open: bool,
    pub rows: Vec<OverviewRow>,
}

#[derive(Template)]
#[template(path = "reports/overview.html")]
struct OverviewPage {
    layout: Layout,
    period: Period,
    periods: Vec<Period>,
    due: NaiveDate,
    groups: Vec<OverviewGroup>,
    total: usize,
    submitted: usize,
    parent_name: String,
}

/// A group of the overview: its title, which states belong to it, whether it opens.
type GroupSpec = (&'static str, fn(Option<Status>) -> bool, bool);

/// Groups the rows by what the reviewer has to do, in that order (see [`OverviewGroup`]).
fn overview_groups(rows: Vec<OverviewRow>) -> Vec<OverviewGroup> {
    let order: [GroupSpec; 4] = [
        ("Chờ duyệt", |s| s == Some(Status::Submitted), true),
        ("Đã trả lại, chờ gửi lại", |s| s == Some(Status::Returned), true),
        ("Chưa gửi", |s| matches!(s, None | Some(Status::Draft)), true),
        ("Đã duyệt", |s| s == Some(Status::Accepted), false),
    ];
    let mut rows: Vec<Option<OverviewRow>> = rows.into_iter().map(Some).collect();
    let total = rows.len();
    let mut groups = Vec::new();
    for (title, belongs, open) in order {
        let members: Vec<OverviewRow> = rows
            .iter_mut()
            .filter(|r| r.as_ref().is_some_and(|r| belongs(r.status)))
            .filter_map(Option::take)
            .collect();
        if !members.is_empty() {
            // A short list stays open whatever its state.
            groups.push(OverviewGroup { title, open: open || total <= 20, rows: members });
        }
    }
    let rest: Vec<OverviewRow> = rows.into_iter().flatten().collect();
    if !rest.is_empty() {
        groups.push(OverviewGroup { title: "Khác", open: true, rows: rest });
    }
    groups
}

fn recent_quarters(count: usize) -> Vec<Period> {
    let mut period = Period::containing(units::today());
    let mut periods = Vec::with_capacity(count);
    for _ in 0..count {
        periods.push(period);
        period = period.previous();
    }
    periods
}

pub async fn overview(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(query): Query<OverviewQuery>,
) -> AppResult<Response> {
    if !user.has(crate::auth::Role::Reviewer) {
        return Err(AppError::Forbidden);
    }
    let period = match query.period.parse::<Period>() {
        Ok(period @ Period::Quarter { .. }) => period,
        _ => Period::containing(units::today()).previous(),
    };
    let (year, quarter) = period.last_quarter();
    let children: Vec<Unit> = match &user.unit {
        Some(own) => units::queries::children(&state.pool, own.id).await?,
        None => units::queries::provinces_on(&state.pool, period.end_date()).await?,
    };
    let children: Vec<Unit> = children.into_iter().filter(|u| u.is_valid_on(period.end_date())).collect();
    let ids: Vec<i32> = children.iter().map(|u| u.id).collect();
    let rows = store::overview(&state.pool, &ids, year, quarter).await?;
    let due = super::calendar(&state.pool).await?.due(year, quarter);
    let today = units::today();
    let mut submitted = 0;
    let rows = children
        .into_iter()
        .map(|unit| {
            let row = rows.iter().find(|r| r.unit_id == unit.id);
            let status = row.and_then(|r| r.status.as_deref()).map(Status::parse);
            let first = row.and_then(|r| r.first_submitted_at);
            if matches!(status, Some(Status::Submitted | Status::Accepted | Status::Returned)) {
                submitted += 1;
            }
            let correcting = row.is_some_and(|r| r.is_being_corrected());
            let (timing, late) = match first {
                Some(at) if correcting => match store::days_late(at, due) {
                    0 => ("Đang sửa sau khi duyệt (lần đầu gửi đúng hạn)".to_owned(), false),
                    days => (format!("Đang sửa sau khi duyệt (lần đầu gửi muộn {days} ngày)"), false),
                },
                Some(at) => match store::days_late(at, due) {
                    0 => ("Gửi đúng hạn".to_owned(), false),
                    days => (format!("Gửi muộn {days} ngày"), true),
                },
                None if today > due => (format!("Chưa gửi — quá hạn {} ngày", (today - due).num_days()), true),
                None => ("Chưa gửi — chưa đến hạn".to_owned(), false),
            };
            OverviewRow {
                href: format!("/reports/{}/{}", unit.code, period.code()),
                unit,
                status,
                timing,
                late,
                correcting,
            }
        })
        .collect();
    // The period shown is always in the list, however old.
    let mut periods = recent_quarters(24);
    if !periods.contains(&period) {
        periods.push(period);
    }
    let rows: Vec<OverviewRow> = rows;
    let total = rows.len();
    Ok(render(&OverviewPage {
        layout,
        period,
        periods,
        due,
        groups: overview_groups(rows),
        total,
        submitted,
        parent_name: user.unit_name(),
    }))
}

pub struct IndexRow {
    pub period: Period,
    pub href: String,
    pub status: Option<Status>,
    pub due: NaiveDate,
}

#[derive(Template)]
#[template(path = "reports/index.html")]
struct IndexPage {
    layout: Layout,
    unit_name: String,
    rows: Vec<IndexRow>,
    is_reviewer: bool,
}

pub async fn index(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let calendar = super::calendar(&state.pool).await?;
    let mut rows = Vec::new();
    if let Some(own) = &user.unit {
        let unit = units::queries::by_id(&state.pool, own.id).await?.ok_or(AppError::NotFound)?;
        // A unit that ended with the 2025 reform lists the quarters it existed in.
        let last_day = unit.valid_to.unwrap_or_else(units::today).min(units::today());
        let mut period = Period::containing(last_day);
        for _ in 0..12 {
            let (year, quarter) = period.last_quarter();
            let report = store::find(&state.pool, unit.id, year, quarter).await?;
            rows.push(IndexRow {
                href: format!("/reports/{}/{}", unit.code, period.code()),
                status: report.map(|r| r.status()),
                due: calendar.due(year, quarter),
                period,
            });
            period = period.previous();
        }
    }
    Ok(render(&IndexPage {
        layout,
        unit_name: user.unit_name(),
        rows,
        is_reviewer: user.has(crate::auth::Role::Reviewer),
    }))
}
