//! The report form: what it shows (figures by section with last period's beside them, rules,
//! the narrative, task progress, the history of moves) and `GET /reports/{unit}/{period}`.

use std::collections::{BTreeMap, HashSet};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::auth::CurrentUser;
use crate::auth::authz::Action;
use crate::catalogue::ValueType;
use crate::directives::TaskId;
use crate::error::AppResult;
use crate::format;
use crate::reports::entry::{self, Checked, Input};
use crate::reports::store::{self, Event, Narrative, TaskState};
use crate::reports::workflow::Status;
use crate::reports::{Period, Quarter, ReportAddress, permissions};
use crate::units::Unit;
use crate::web::{AppState, Layout, filters, render};

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
pub(super) struct Extras {
    pub(super) notice: Option<String>,
    /// What changed since the person opened the report.
    pub(super) conflict: Vec<String>,
    /// The version the person opened, kept in the form so that sending it again stays refused.
    pub(super) opened: Option<i32>,
    pub(super) keep_mine: Option<KeepMine>,
    /// The reviewer's typed remarks, kept when a review action is refused.
    pub(super) review_remarks: String,
    pub(super) review_field_remarks: BTreeMap<String, String>,
    /// Every transition in the timeline, not only the latest [`RECENT_EVENTS`].
    pub(super) whole_history: bool,
}

/// How many transitions the form's timeline shows unless the whole history is asked for
/// (`?lich_su=tat_ca`).
pub const RECENT_EVENTS: i64 = 20;

/// The form page's query: `lich_su=tat_ca` shows the whole timeline.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    lich_su: String,
}

pub struct SectionView {
    pub code: String,
    pub name: String,
    pub rows: Vec<RowView>,
}

pub struct TaskView {
    pub task_id: TaskId,
    pub directive_number: String,
    pub number: String,
    pub body: String,
    pub deadline: Option<NaiveDate>,
    pub status: TaskState,
    pub note: String,
}

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
    events_shown: i64,
    /// Earlier transitions left out of `events`.
    events_hidden: i64,
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
pub(super) struct FormState {
    pub(super) inputs: BTreeMap<String, String>,
    pub(super) checked: Checked,
    pub(super) narrative: Narrative,
    pub(super) tasks: BTreeMap<TaskId, (Option<TaskState>, String)>,
    pub(super) notes: BTreeMap<String, String>,
}

pub(super) fn value_text(value: Decimal, element_type: ValueType) -> String {
    match element_type {
        ValueType::Boolean => if value.is_zero() { "Không" } else { "Có" }.to_owned(),
        _ => format::format_number(value, 6),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn form_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    unit: Unit,
    quarter: Quarter,
    report: Option<&store::Report>,
    form: FormState,
    extras: Extras,
) -> AppResult<Response> {
    let catalogue = crate::reports::catalogue(state).await?;
    let perms = permissions(user, &unit);
    let period = Period::from(quarter);
    let previous_quarter = quarter.previous();
    let previous_period = Period::from(previous_quarter);
    let previous = match store::find(&state.pool, unit.id, previous_quarter).await? {
        Some(report) => store::values(&state.pool, report.id).await?,
        None => BTreeMap::new(),
    };
    let status = report.map(|r| r.status).unwrap_or(Status::Draft);
    let limit = if extras.whole_history { i64::MAX } else { RECENT_EVENTS };
    let (events, events_total) = match report {
        Some(r) => store::recent_events(&state.pool, r.id, limit).await?,
        None => (Vec::new(), 0),
    };
    // A returned report's latest transition is its return: its remarks, general and per field,
    // stand on the form whether it is drawn from what is stored or from what was just typed.
    let returned = events.iter().rev().find(|e| e.to_status == Status::Returned).filter(|_| status == Status::Returned);
    let remarks = returned.map(|e| e.remarks.clone()).unwrap_or_default();
    let field_remarks = returned.map(|e| e.field_remarks.0.clone()).unwrap_or_default();
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
            previous: previous.get(&field.key).map(|v| value_text(*v, field.element.value_type)).unwrap_or_default(),
            error: form.checked.errors.get(&field.key).map(str::to_owned),
            rules,
            remark: field_remarks.get(&field.key).cloned(),
            is_boolean: field.element.value_type == ValueType::Boolean,
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
                status: status.unwrap_or(TaskState::NotStarted),
                note,
            }
        })
        .collect();
    let calendar = crate::reports::calendar(&state.pool).await?;
    let page = FormPage {
        layout,
        storage_key: format!("danvan-report-{}-{}", unit.id, period.code()),
        previous_period,
        status,
        version: extras.opened.unwrap_or_else(|| report.map(|r| r.version).unwrap_or(0)),
        review_version: report.map(|r| r.version).unwrap_or(0),
        due: calendar.due(quarter),
        saved_at: report
            .map(|r| r.updated_at.with_timezone(&crate::format::VIETNAM).format("%H:%M ngày %d/%m/%Y").to_string())
            .unwrap_or_default(),
        sections,
        narrative: form.narrative,
        tasks,
        task_states: TaskState::CHOICES,
        events_shown: events.len() as i64,
        events_hidden: events_total - events.len() as i64,
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
pub(super) async fn kept_values(
    state: &AppState,
    fields: &[entry::Field<'_>],
    report_id: store::ReportId,
) -> AppResult<Vec<KeptView>> {
    let shown: HashSet<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    let stored = store::values(&state.pool, report_id).await?;
    let others: Vec<(&String, &Decimal)> = stored.iter().filter(|(key, _)| !shown.contains(key.as_str())).collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let names = crate::catalogue::lookup::names(&state.pool).await?;
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
pub(super) async fn stored_state(
    state: &AppState,
    unit: &Unit,
    report: Option<&store::Report>,
) -> AppResult<FormState> {
    let catalogue = crate::reports::catalogue(state).await?;
    let Some(report) = report else {
        return Ok(FormState {
            inputs: BTreeMap::new(),
            checked: Checked::default(),
            narrative: Narrative::default(),
            tasks: BTreeMap::new(),
            notes: BTreeMap::new(),
        });
    };
    let values = store::values(&state.pool, report.id).await?;
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for field in entry::fields(&catalogue, unit.level) {
        if let Some(value) = values.get(&field.key) {
            inputs.insert(field.key.clone(), value_text(*value, field.element.value_type));
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
        .map(|t| (t.task_id, (Some(t.status), t.note)))
        .collect();
    Ok(FormState { inputs, checked, narrative: report.narrative(), tasks, notes })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    address: ReportAddress,
    Query(query): Query<FormQuery>,
) -> AppResult<Response> {
    let unit = address.locate_for(&state.pool, &user, Action::ViewData).await?;
    let quarter = address.quarter;
    let report = store::find(&state.pool, unit.id, quarter).await?;
    let form = stored_state(&state, &unit, report.as_ref()).await?;
    let extras = Extras { whole_history: query.lich_su == "tat_ca", ..Extras::default() };
    form_page(&state, layout, &user, unit, quarter, report.as_ref(), form, extras).await
}
