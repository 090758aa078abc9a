//! Pages of directives: search, a directive's page (implements tree, tasks, targets,
//! milestones, attachments), the forms that change them, and the milestones due.
//!
//! Everyone signed in reads. Changes are for administrators whose subtree holds the issuing
//! unit and for the issuing office's data-entry staff (`Action::EditDirective`); each is
//! audited with before/after.

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::display::{self, TargetStatus};
use super::number::{ISSUERS, KINDS};
use super::store::{self, Directive, STATUSES};
use super::{DirectiveNumber, search_key};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::units::{self, Unit};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, Layout, render};

/// The largest upload request (a 10 MB file and the form around it); see `lib.rs`.
pub const UPLOAD_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Vec<RouteSpec> {
    use Access::SignedIn;
    vec![
        RouteSpec::new(Method::GET, "/directives", "/directives?q=x", SignedIn, get(index)),
        RouteSpec::new(Method::POST, "/directives", "/directives", SignedIn, post(create)),
        RouteSpec::new(Method::GET, "/directives/new", "/directives/new", SignedIn, get(new_form)),
        RouteSpec::new(Method::GET, "/directives/{id}", "/directives/{some_directive}", SignedIn, get(show)),
        RouteSpec::new(Method::POST, "/directives/{id}", "/directives/{some_directive}", SignedIn, post(update)),
        RouteSpec::new(
            Method::GET,
            "/directives/{id}/edit",
            "/directives/{some_directive}/edit",
            SignedIn,
            get(edit_form),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/attachments",
            "/directives/{some_directive}/attachments",
            SignedIn,
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        ),
        RouteSpec::new(
            Method::GET,
            "/directives/{id}/attachments/{attachment}",
            "/directives/{some_directive}/attachments/{some_attachment}",
            SignedIn,
            get(download),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/attachments/{attachment}/delete",
            "/directives/{some_directive}/attachments/{some_attachment}/delete",
            SignedIn,
            post(delete_attachment),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/tasks",
            "/directives/{some_directive}/tasks",
            SignedIn,
            post(add_task),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/tasks/{task}/delete",
            "/directives/{some_directive}/tasks/1/delete",
            SignedIn,
            post(delete_task),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/targets",
            "/directives/{some_directive}/targets",
            SignedIn,
            post(add_target),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/targets/{target}/delete",
            "/directives/{some_directive}/targets/1/delete",
            SignedIn,
            post(delete_target),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/milestones",
            "/directives/{some_directive}/milestones",
            SignedIn,
            post(add_milestone),
        ),
        RouteSpec::new(
            Method::POST,
            "/directives/{id}/milestones/{milestone}/delete",
            "/directives/{some_directive}/milestones/1/delete",
            SignedIn,
            post(delete_milestone),
        ),
        RouteSpec::new(Method::GET, "/milestones", "/milestones", SignedIn, get(milestones_page)),
    ]
}

type Errors = HashMap<&'static str, String>;

fn with_conflict(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::CONFLICT;
    response
}

fn with_status(mut response: Response, invalid: bool) -> Response {
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// Numbers typed the Vietnamese way: `95`, `51,95`, `1.000`, read exactly.
fn parse_number(text: &str) -> Option<rust_decimal::Decimal> {
    let text = text.trim().replace(' ', "");
    if text.is_empty() {
        return None;
    }
    let normalised = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else if text.matches('.').count() == 1 && text.split('.').nth(1).is_some_and(|d| d.len() != 3) {
        text
    } else {
        text.replace('.', "")
    };
    rust_decimal::Decimal::from_str_exact(&normalised).ok()
}

fn optional_date(text: &str, errors: &mut Errors, key: &'static str) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        return None;
    }
    let date = units::parse_date(text);
    if date.is_none() {
        errors.insert(key, "Ngày không hợp lệ: nhập theo dạng 31/12/2025.".to_owned());
    }
    date
}

async fn directive_or_404(state: &AppState, id: i32) -> AppResult<Directive> {
    store::by_id(&state.pool, id).await?.ok_or(AppError::NotFound)
}

/// The directive, if the user may change it (403 otherwise).
async fn editable(state: &AppState, user: &CurrentUser, id: i32) -> AppResult<Directive> {
    let directive = directive_or_404(state, id).await?;
    authz::authorize(user, Action::EditDirective, directive.place())?;
    Ok(directive)
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    status: String,
}

pub struct ResultRow {
    pub directive: Directive,
    pub snippet: display::Snippet,
}

/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// How many results a search shows.
pub const MAX_RESULTS: i64 = 200;
/// Characters of context on each side of the match in a snippet.
const SNIPPET_WIDTH: usize = 90;

#[derive(Template)]
#[template(path = "directives/index.html")]
struct IndexPage {
    layout: Layout,
    query: SearchQuery,
    can_create: bool,
    kinds: [(&'static str, &'static str); 10],
    issuers: [(&'static str, &'static str); 4],
    statuses: [(&'static str, &'static str); 3],
    year_error: Option<String>,
    query_error: Option<String>,
    results: Vec<ResultRow>,
}

async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> AppResult<Response> {
    let (year, year_error) = match query.year.trim() {
        "" => (None, None),
        text => match text.parse::<i32>().ok().filter(|y| (1930..=2100).contains(y)) {
            Some(year) => (Some(year), None),
            None => (None, Some("Năm không hợp lệ: nhập 4 chữ số, ví dụ 2021.".to_owned())),
        },
    };
    let text = query.q.trim();
    let query_error = (text.chars().count() > MAX_QUERY_CHARS)
        .then(|| format!("Từ khóa dài quá {MAX_QUERY_CHARS} ký tự: hãy rút gọn còn vài từ đặc trưng rồi tìm lại."));
    let filter = store::SearchFilter {
        query: text,
        kind: KINDS.iter().find(|(k, _)| *k == query.kind).map(|(k, _)| *k).unwrap_or(""),
        issuer: ISSUERS.iter().find(|(k, _)| *k == query.issuer).map(|(k, _)| *k).unwrap_or(""),
        year,
        status: STATUSES.iter().find(|(k, _)| *k == query.status).map(|(k, _)| *k).unwrap_or(""),
    };
    let results = if query_error.is_some() {
        Vec::new()
    } else {
        let found = store::search(&state.pool, &filter, MAX_RESULTS).await?;
        let needle = text.to_owned();
        // Bounded (a window per result), but still CPU: off the async threads.
        tokio::task::spawn_blocking(move || {
            found
                .into_iter()
                .map(|f| ResultRow {
                    snippet: display::result_snippet(&f, &needle, SNIPPET_WIDTH),
                    directive: f.directive,
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    };
    let invalid = year_error.is_some() || query_error.is_some();
    // Only data entry and administrators can ever be an issuing office's editors.
    let can_create = user.has(crate::auth::Role::DataEntry) || user.is_admin();
    let page = IndexPage {
        layout,
        query,
        can_create,
        kinds: KINDS,
        issuers: ISSUERS,
        statuses: STATUSES,
        year_error,
        query_error,
        results,
    };
    Ok(with_status(render(&page), invalid))
}

// ---------------------------------------------------------------------------------------------
// A directive's page

pub struct AssignLine {
    pub text: String,
    pub href: Option<String>,
}

pub struct TaskView {
    pub task: store::Task,
    pub lines: Vec<AssignLine>,
}

impl TaskView {
    /// The task's text, one paragraph per line ("- …" items in the documents).
    pub fn body_lines(&self) -> Vec<&str> {
        self.task.body.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
    }

    pub fn deadline(&self) -> String {
        self.task.deadline.map(crate::format::date).unwrap_or_default()
    }
}

pub struct TargetView {
    pub target: store::Target,
    pub scope: String,
    pub status: TargetStatus,
}

pub struct MilestoneView {
    pub milestone: store::Milestone,
    pub overdue: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    levels: Vec<String>,
    #[serde(default)]
    unit_codes: String,
    #[serde(default)]
    deadline: String,
}

impl TaskForm {
    fn has_level(&self, level: &i16) -> bool {
        self.levels.iter().any(|l| l.trim() == level.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    comparator: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    value_max: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    scope_level: String,
    #[serde(default)]
    scope_unit: String,
    #[serde(default)]
    per_unit: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    description: String,
}

/// What a failed sub-form on the page sends back: the input and its errors.
#[derive(Default)]
struct Kept {
    task: TaskForm,
    target: TargetForm,
    milestone: MilestoneForm,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "directives/show.html")]
struct ShowPage {
    layout: Layout,
    directive: Directive,
    can_edit: bool,
    implements: store::Tree,
    implemented_by: store::Tree,
    tasks: Vec<TaskView>,
    targets: Vec<TargetView>,
    milestones: Vec<MilestoneView>,
    attachments: Vec<store::Attachment>,
    indicators: Vec<store::IndicatorChoice>,
    comparators: [(&'static str, &'static str); 6],
    levels: [i16; 4],
    task_form: TaskForm,
    target_form: TargetForm,
    milestone_form: MilestoneForm,
    errors: Errors,
}

impl ShowPage {
    fn level_label(&self, level: &i16) -> &'static str {
        display::level_label(*level)
    }

    fn has_errors(&self, prefix: &str) -> bool {
        self.errors.keys().any(|k| k.starts_with(prefix))
    }

    fn body_paragraphs(&self) -> Vec<&str> {
        self.directive.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect()
    }
}

async fn task_views(state: &AppState, directive: &Directive) -> AppResult<Vec<TaskView>> {
    let tasks = store::tasks(&state.pool, directive.id).await?;
    let named = store::task_units(&state.pool, directive.id).await?;
    let date = directive.unit_date();
    let today = units::today();
    let mut views = Vec::with_capacity(tasks.len());
    for task in tasks {
        let mut lines = Vec::new();
        for level in &task.assigned_levels {
            let plural = display::level_plural(*level);
            let (count, text, href) = match (&directive.unit_path, &directive.unit_name, &directive.unit_code) {
                // The issuing unit's own level (or above it): the unit itself.
                (Some(path), Some(name), Some(code)) if *level as usize <= path.split('.').count() => {
                    lines.push(AssignLine {
                        text: format!("{name} (đơn vị ban hành)"),
                        href: Some(format!("/units/{code}?date={date}")),
                    });
                    continue;
                }
                (Some(path), Some(name), Some(code)) => {
                    let count = store::count_level(&state.pool, Some(path), *level, date).await?;
                    (count, format!("Các {plural} thuộc {name}"), Some(format!("/units/{code}?date={date}")))
                }
                _ => {
                    let count = store::count_level(&state.pool, None, *level, today).await?;
                    (count, format!("Các {plural} trong cả nước"), Some("/units".to_owned()))
                }
            };
            let text = if count > 0 {
                format!("{text}: {} đơn vị", crate::format::integer(count))
            } else {
                format!("{text} (danh mục chưa có đơn vị cấp này)")
            };
            lines.push(AssignLine { text, href });
        }
        for (_, unit) in named.iter().filter(|(task_id, _)| *task_id == task.id) {
            lines.push(AssignLine { text: unit.name.clone(), href: Some(unit.link(date)) });
        }
        views.push(TaskView { task, lines });
    }
    Ok(views)
}

async fn show_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    directive: Directive,
    kept: Kept,
) -> AppResult<Response> {
    let can_edit = authz::can(user, Action::EditDirective, directive.place());
    let implements = store::tree(&state.pool, directive.id, true).await?;
    let implemented_by = store::tree(&state.pool, directive.id, false).await?;
    let tasks = task_views(state, &directive).await?;
    let issuing = directive.unit_name.clone().unwrap_or_else(|| "cả nước".to_owned());
    let targets = store::targets(&state.pool, directive.id)
        .await?
        .into_iter()
        .map(|target| TargetView {
            scope: target.scope_text(&issuing),
            // No report figures exist yet: the status waits for them.
            status: target.status(None),
            target,
        })
        .collect();
    let today = units::today();
    let milestones = store::milestones(&state.pool, directive.id)
        .await?
        .into_iter()
        .map(|milestone| MilestoneView { overdue: milestone.is_overdue(today), milestone })
        .collect();
    let attachments = store::attachments(&state.pool, directive.id).await?;
    let indicators = if can_edit { store::indicator_choices(&state.pool).await? } else { Vec::new() };
    let invalid = !kept.errors.is_empty();
    let page = ShowPage {
        layout,
        directive,
        can_edit,
        implements,
        implemented_by,
        tasks,
        targets,
        milestones,
        attachments,
        indicators,
        comparators: display::COMPARATORS,
        levels: [1, 2, 3, 4],
        task_form: kept.task,
        target_form: kept.target,
        milestone_form: kept.milestone,
        errors: kept.errors,
    };
    Ok(with_status(render(&page), invalid))
}

async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    let directive = directive_or_404(&state, id).await?;
    show_page(&state, layout, &user, directive, Kept::default()).await
}

// ---------------------------------------------------------------------------------------------
// Create and edit

/// What the user typed, kept as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DirectiveForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    issuing_body: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    replaced_by: String,
    #[serde(default)]
    implements: String,
    #[serde(default)]
    version: i32,
}

impl DirectiveForm {
    /// The form as stored: look-alike letters fixed everywhere (a number typed `09-QÐ/TU` is
    /// 09-QĐ/TU), the text's Word control characters made breaks, the one-line fields on one line.
    fn cleaned(mut self) -> Self {
        for field in [&mut self.number, &mut self.issuing_body, &mut self.unit_code, &mut self.title] {
            *field = crate::text::one_line(field);
        }
        self.replaced_by = crate::text::fix_lookalikes(&self.replaced_by);
        self.implements = crate::text::from_word(&self.implements);
        self.body = crate::text::from_word(&self.body);
        self
    }
}

impl DirectiveForm {
    fn from_directive(d: &Directive, implements: &[String]) -> Self {
        DirectiveForm {
            number: d.number.clone(),
            issuing_body: d.issuing_body.clone(),
            unit_code: d.unit_code.clone().unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
            as_of: d.unit_date().to_string(),
            issued_on: d.issued_on.to_string(),
            title: d.title.clone(),
            body: d.body.clone(),
            status: d.status.clone(),
            replaced_by: d.replaced_by_number.clone().unwrap_or_default(),
            implements: implements.join(", "),
            version: d.version,
        }
    }

    /// The kind named by the number, when it parses.
    fn kind_label(&self) -> String {
        self.number.parse::<DirectiveNumber>().map(|n| super::number::kind_name(n.kind).to_owned()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "directives/form.html")]
struct FormPage {
    layout: Layout,
    editing: Option<Directive>,
    form: DirectiveForm,
    statuses: [(&'static str, &'static str); 3],
    errors: Errors,
}

impl FormPage {
    /// A length limit as the help text writes it: 1.000, 200.000.
    fn limit(&self, max: usize) -> String {
        crate::format::integer(max as i64)
    }
}

fn form_page(layout: Layout, editing: Option<Directive>, form: DirectiveForm, errors: Errors) -> Response {
    let invalid = !errors.is_empty();
    with_status(render(&FormPage { layout, editing, form, statuses: STATUSES, errors }), invalid)
}

async fn new_form(layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let form = DirectiveForm {
        unit_code: user.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
        status: "hieu_luc".to_owned(),
        ..DirectiveForm::default()
    };
    Ok(form_page(layout, None, form, Errors::new()))
}

/// The longest title (trích yếu) accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// The longest issuing body accepted, in characters.
pub const MAX_ISSUING_BODY_CHARS: usize = 300;
/// The longest full text accepted, in characters (about 50 pages; a resolution runs 10–40 000).
/// The form's 1 MiB body limit counts percent-encoded bytes, up to 9 for one Vietnamese letter:
/// 100 000 characters fit even then, so a text over this cap comes back with the message and
/// the input instead of being cut off by the body limit.
pub const MAX_BODY_CHARS: usize = 100_000;
/// How many directives one directive may implement directly.
pub const MAX_IMPLEMENTS: usize = 20;
/// The longest "implements" field accepted (20 numbers with room to spare), in characters.
const MAX_IMPLEMENTS_CHARS: usize = 1_000;
/// A number longer than this that does not parse is refused without quoting it back.
const MAX_NUMBER_CHARS: usize = 40;

/// The message when `text` is longer than `max` characters.
fn too_long(text: &str, max: usize, what: &str) -> Option<String> {
    let count = text.trim().chars().count();
    (count > max).then(|| {
        format!(
            "{what} dài {} ký tự, quá giới hạn {} ký tự: hãy rút gọn.",
            crate::format::integer(count as i64),
            crate::format::integer(max as i64)
        )
    })
}

struct Checked {
    number: DirectiveNumber,
    unit: Option<Unit>,
    issued_on: NaiveDate,
    replaced_by: Option<i32>,
    implements: Vec<i32>,
}

fn level_of_issuer(issuer: &str) -> Option<i16> {
    match issuer {
        "TU" => Some(1),
        "HU" => Some(2),
        "ĐU" => Some(3),
        _ => None,
    }
}

/// Validates the whole form; every problem is reported next to its field.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    form: &DirectiveForm,
    editing: Option<i32>,
    errors: &mut Errors,
) -> AppResult<Option<Checked>> {
    let number = match form.number.parse::<DirectiveNumber>() {
        // A pasted paragraph is not echoed back in the message.
        Err(_) if form.number.chars().count() > MAX_NUMBER_CHARS => {
            errors.insert("number", "Số/ký hiệu quá dài: nhập dạng 25-NQ/TW, 09-QĐ/TU.".to_owned());
            None
        }
        Ok(number) => Some(number),
        Err(message) => {
            errors.insert("number", message);
            None
        }
    };
    if form.issuing_body.trim().is_empty() {
        errors.insert("issuing_body", "Nhập cơ quan ban hành, ví dụ Ban Thường vụ Tỉnh ủy Kiên Giang.".to_owned());
    }
    let issued_on = units::parse_date(&form.issued_on);
    if issued_on.is_none() {
        errors.insert("issued_on", "Ngày ban hành không hợp lệ: nhập theo dạng 15/12/2020 hoặc 2020-12-15.".to_owned());
    }
    let as_of = match form.as_of.trim() {
        "" => Some(issued_on.unwrap_or_else(units::today)),
        text => units::parse_date(text),
    };
    let mut unit = None;
    let mut unit_ok = false;
    match as_of {
        None => {
            errors.insert("as_of", "Ngày không hợp lệ: nhập theo dạng 31/12/2020.".to_owned());
        }
        Some(date) => match units::resolve_for_person(&state.pool, &form.unit_code, date).await {
            Err(message) => {
                errors.insert("unit_code", message);
            }
            Ok(found) => {
                let expected = number.as_ref().map(|n| level_of_issuer(n.issuer));
                let level = found.as_ref().map(|u| u.level);
                match expected {
                    Some(expected) if expected != level => {
                        let what = match expected {
                            None => "văn bản Trung ương (…/TW): mã đơn vị là TW".to_owned(),
                            Some(l) => format!(
                                "ký hiệu {} cần đơn vị {}",
                                number.as_ref().map(|n| n.issuer).unwrap_or(""),
                                display::level_label(l).to_lowercase()
                            ),
                        };
                        errors.insert("unit_code", format!("Đơn vị không khớp cơ quan ban hành: {what}."));
                    }
                    _ => {
                        if authz::can(user, Action::EditDirective, found.as_ref().map(Place::from)) {
                            unit_ok = true;
                            unit = found;
                        } else {
                            errors.insert(
                                "unit_code",
                                "Bạn không được nhập văn bản của đơn vị này (chỉ văn phòng đơn vị ban hành hoặc quản trị cấp trên)."
                                    .to_owned(),
                            );
                        }
                    }
                }
            }
        },
    }
    if form.title.trim().is_empty() {
        errors.insert("title", "Nhập trích yếu (tên) của văn bản.".to_owned());
    } else if let Some(message) = too_long(&form.title, MAX_TITLE_CHARS, "Trích yếu") {
        errors.insert("title", message);
    }
    if let Some(message) = too_long(&form.issuing_body, MAX_ISSUING_BODY_CHARS, "Tên cơ quan ban hành") {
        errors.insert("issuing_body", message);
    }
    if let Some(message) = too_long(&form.body, MAX_BODY_CHARS, "Toàn văn") {
        errors.insert("body", message);
    }
    if !STATUSES.iter().any(|(s, _)| *s == form.status) {
        errors.insert("status", "Chọn trạng thái.".to_owned());
    }
    let on = issued_on.unwrap_or_else(units::today);
    let mut replaced_by = None;
    let replaced_text = form.replaced_by.trim();
    if form.status == "duoc_thay_the" && replaced_text.is_empty() {
        errors.insert(
            "replaced_by",
            "Văn bản được thay thế: nhập số/ký hiệu văn bản thay thế, ví dụ 120-KL/TW.".to_owned(),
        );
    } else if form.status != "duoc_thay_the" && !replaced_text.is_empty() {
        errors.insert(
            "replaced_by",
            "Chỉ ghi khi trạng thái là “Được thay thế”; hãy xóa ô này hoặc đổi trạng thái.".to_owned(),
        );
    } else if !replaced_text.is_empty() {
        match replaced_text.parse::<DirectiveNumber>() {
            Err(message) => {
                errors.insert("replaced_by", message);
            }
            Ok(n) => match store::find_by_number(&state.pool, &n.to_string(), NaiveDate::MAX).await? {
                Some((id, _)) if Some(id) != editing => replaced_by = Some(id),
                Some(_) => {
                    errors.insert("replaced_by", "Văn bản không thể thay thế chính nó.".to_owned());
                }
                None => {
                    errors.insert(
                        "replaced_by",
                        format!("Chưa có văn bản {n} trong hệ thống: hãy nhập văn bản đó trước."),
                    );
                }
            },
        }
    }
    let mut implements: Vec<(i32, String)> = Vec::new();
    let mut problems = Vec::new();
    let pieces: Vec<&str> = form.implements.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()).collect();
    if form.implements.chars().count() > MAX_IMPLEMENTS_CHARS {
        problems.push(format!(
            "ô này dài quá {} ký tự; hãy chỉ ghi số/ký hiệu của tối đa {MAX_IMPLEMENTS} văn bản trực tiếp cấp trên",
            crate::format::integer(MAX_IMPLEMENTS_CHARS as i64)
        ));
    } else if pieces.len() > MAX_IMPLEMENTS {
        // Refused before any lookup: the count alone decides.
        problems.push(format!(
            "một văn bản cụ thể hóa tối đa {MAX_IMPLEMENTS} văn bản (đang ghi {}); hãy chỉ ghi các văn bản trực tiếp cấp trên",
            pieces.len()
        ));
    } else {
        for piece in pieces {
            match piece.parse::<DirectiveNumber>() {
                Err(_) => problems.push(format!("“{piece}” không phải số/ký hiệu")),
                Ok(n) => match store::find_by_number(&state.pool, &n.to_string(), on).await? {
                    None => problems.push(format!("chưa có văn bản {n}")),
                    Some((id, _)) if Some(id) == editing => {
                        problems.push(format!("{n} là chính văn bản này (vòng lặp)"))
                    }
                    Some((id, _)) => {
                        if !implements.iter().any(|(i, _)| *i == id) {
                            implements.push((id, n.to_string()));
                        }
                    }
                },
            }
        }
    }
    if let Some(id) = editing
        && !implements.is_empty()
    {
        let ids: Vec<i32> = implements.iter().map(|(i, _)| *i).collect();
        let cyclic = store::implementing_among(&state.pool, id, &ids).await?;
        for (_, n) in implements.iter().filter(|(i, _)| cyclic.contains(i)) {
            problems.push(format!("{n} đang cụ thể hóa văn bản này (vòng lặp)"));
        }
    }
    let implements: Vec<i32> = implements.into_iter().map(|(i, _)| i).collect();
    if !problems.is_empty() {
        errors.insert(
            "implements",
            format!("{}. Ghi các số/ký hiệu cách nhau bởi dấu phẩy, ví dụ 25-NQ/TW, 09-QĐ/TU.", problems.join("; ")),
        );
    }
    if let (Some(n), Some(date)) = (&number, issued_on) {
        let taken: Option<i32> =
            sqlx::query_scalar("SELECT id FROM directives WHERE number = $1 AND issued_on = $2 AND id <> $3")
                .bind(n.to_string())
                .bind(date)
                .bind(editing.unwrap_or(0))
                .fetch_optional(&state.pool)
                .await?;
        if taken.is_some() {
            errors.insert("number", format!("Đã có văn bản {n} ban hành ngày {}.", crate::format::date(date)));
        }
    }
    match (number, issued_on, unit_ok && errors.is_empty()) {
        (Some(number), Some(issued_on), true) => Ok(Some(Checked { number, unit, issued_on, replaced_by, implements })),
        _ => Ok(None),
    }
}

async fn save_links(tx: &mut sqlx::PgConnection, id: i32, implements: &[i32]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM directive_links WHERE child_id = $1").bind(id).execute(&mut *tx).await?;
    for parent in implements {
        sqlx::query("INSERT INTO directive_links (child_id, parent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(parent)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<DirectiveForm>,
) -> AppResult<Response> {
    let form = form.cleaned();
    let mut errors = Errors::new();
    let Some(checked) = check(&state, &user, &form, None, &mut errors).await? else {
        return Ok(form_page(layout, None, form, errors));
    };
    let number = checked.number.to_string();
    let mut tx = state.pool.begin().await?;
    let id: i32 = sqlx::query_scalar(
        "INSERT INTO directives (number, kind, issuer, issuing_body, issuing_unit_id, issued_on, title, body, status,
                                 replaced_by_id, search_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&number)
    .bind(checked.number.kind)
    .bind(checked.number.issuer)
    .bind(form.issuing_body.trim())
    .bind(checked.unit.as_ref().map(|u| u.id))
    .bind(checked.issued_on)
    .bind(form.title.trim())
    .bind(form.body.trim())
    .bind(&form.status)
    .bind(checked.replaced_by)
    .bind(search_key(&number, form.title.trim(), form.body.trim(), form.issuing_body.trim()))
    .fetch_one(&mut *tx)
    .await?;
    save_links(&mut tx, id, &checked.implements).await?;
    let after = store::by_id(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let links = store::implements_direct(&mut *tx, id).await?;
    let entry = Entry {
        action: "create",
        entity: "directive",
        entity_id: id.to_string(),
        unit_id: after.issuing_unit_id,
        before: None,
        after: Some(after.audit_json(&links)),
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success(&format!("Đã lưu văn bản {number}.")).redirect(&format!("/directives/{id}")))
}

async fn edit_form(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let links = store::implements_direct(&state.pool, id).await?;
    let form = DirectiveForm::from_directive(&directive, &links);
    Ok(form_page(layout, Some(directive), form, Errors::new()))
}

const STALE: &str =
    "Văn bản vừa được người khác sửa. Biểu mẫu dưới đây là bản mới nhất; hãy kiểm tra rồi nhập lại thay đổi của bạn.";

async fn update(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<DirectiveForm>,
) -> AppResult<Response> {
    let form = form.cleaned();
    let before = editable(&state, &user, id).await?;
    let links_before = store::implements_direct(&state.pool, id).await?;
    if form.version != before.version {
        let mut errors = Errors::new();
        errors.insert("version", STALE.to_owned());
        let current = DirectiveForm::from_directive(&before, &links_before);
        return Ok(form_page(layout, Some(before), current, errors));
    }
    let mut errors = Errors::new();
    let Some(checked) = check(&state, &user, &form, Some(id), &mut errors).await? else {
        return Ok(form_page(layout, Some(before), form, errors));
    };
    let number = checked.number.to_string();
    let mut tx = state.pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE directives SET number = $3, kind = $4, issuer = $5, issuing_body = $6, issuing_unit_id = $7,
                issued_on = $8, title = $9, body = $10, status = $11, replaced_by_id = $12, search_key = $13,
                updated_at = now(), version = version + 1
         WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(form.version)
    .bind(&number)
    .bind(checked.number.kind)
    .bind(checked.number.issuer)
    .bind(form.issuing_body.trim())
    .bind(checked.unit.as_ref().map(|u| u.id))
    .bind(checked.issued_on)
    .bind(form.title.trim())
    .bind(form.body.trim())
    .bind(&form.status)
    .bind(checked.replaced_by)
    .bind(search_key(&number, form.title.trim(), form.body.trim(), form.issuing_body.trim()))
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        tx.rollback().await?;
        let current = directive_or_404(&state, id).await?;
        let links = store::implements_direct(&state.pool, id).await?;
        let mut errors = Errors::new();
        errors.insert("version", STALE.to_owned());
        let form = DirectiveForm::from_directive(&current, &links);
        return Ok(form_page(layout, Some(current), form, errors));
    }
    save_links(&mut tx, id, &checked.implements).await?;
    let after = store::by_id(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let links = store::implements_direct(&mut *tx, id).await?;
    let entry = Entry {
        action: "update",
        entity: "directive",
        entity_id: id.to_string(),
        unit_id: after.issuing_unit_id.or(before.issuing_unit_id),
        before: Some(before.audit_json(&links_before)),
        after: Some(after.audit_json(&links)),
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("/directives/{id}")))
}

// ---------------------------------------------------------------------------------------------
// Attachments

async fn upload(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    // Permission first: outside it, nothing about the upload is worth saying.
    let directive = editable(&state, &user, id).await?;
    let bad_upload = || AppError::BadRequest("Tệp tải lên bị gián đoạn hoặc không hợp lệ; hãy thử lại.".to_owned());
    let mut multipart = multipart.map_err(|_| bad_upload())?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // The whole request is over the body limit (`UPLOAD_BODY_LIMIT`): the file is too.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(_) => return Err(bad_upload()),
        };
        // Only the first file counts; other fields and files are read past, never kept.
        let keep = field.name() == Some("file") && file.is_none() && !too_large;
        let name = field.file_name().unwrap_or("").to_owned();
        let mut content = Vec::new();
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    too_large = true;
                    break;
                }
                Err(_) => return Err(bad_upload()),
            };
            if !keep || too_large {
                continue;
            }
            if content.len() + chunk.len() > display::MAX_ATTACHMENT_BYTES {
                // Nothing more is kept. The rest (at most `UPLOAD_BODY_LIMIT`, enforced by the
                // layer) is read and dropped: closing early resets the connection and the
                // browser would show that instead of the message.
                too_large = true;
                content = Vec::new();
                continue;
            }
            content.extend_from_slice(&chunk);
        }
        if too_large {
            file = None;
        } else if keep {
            file = Some((name, content));
        }
    }
    let mut errors = Errors::new();
    let checked = match file {
        _ if too_large => Err(display::too_large_message()),
        None => Err("Chọn một tệp PDF hoặc DOCX để tải lên.".to_owned()),
        Some((name, _)) if name.trim().is_empty() => Err("Chọn một tệp PDF hoặc DOCX để tải lên.".to_owned()),
        // Opening a ZIP and hashing 10 MB are CPU work: off the async threads.
        Some((name, content)) => tokio::task::spawn_blocking(move || {
            display::check_file(&name, &content).map(|content_type| {
                let sha256 = hex::encode(Sha256::digest(&content));
                (name, content, content_type, sha256)
            })
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?,
    };
    let (name, content, content_type, sha256) = match checked {
        Ok(checked) => checked,
        Err(message) => {
            errors.insert("file", message);
            return show_page(&state, layout, &user, directive, Kept { errors, ..Kept::default() }).await;
        }
    };
    let file_name = display::safe_file_name(&name);
    let mut tx = state.pool.begin().await?;
    let attachment: store::Attachment = sqlx::query_as(
        "INSERT INTO attachments (directive_id, file_name, content_type, size_bytes, sha256, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, directive_id, file_name, content_type, size_bytes, sha256",
    )
    .bind(id)
    .bind(&file_name)
    .bind(content_type)
    .bind(content.len() as i64)
    .bind(&sha256)
    .bind(&content)
    .bind(user.id)
    .fetch_one(&mut *tx)
    .await?;
    let entry = Entry {
        action: "create",
        entity: "attachment",
        entity_id: attachment.id.to_string(),
        unit_id: directive.issuing_unit_id,
        before: None,
        after: Some(attachment.audit_json()),
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success(&format!("Đã đính kèm {file_name}.")).redirect(&format!("/directives/{id}#tep")))
}

async fn download(State(state): State<AppState>, Path((id, attachment)): Path<(i32, i32)>) -> AppResult<Response> {
    let row: Option<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT file_name, content_type, content FROM attachments WHERE id = $1 AND directive_id = $2")
            .bind(attachment)
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    let (file_name, content_type, content) = row.ok_or(AppError::NotFound)?;
    let content_type = if content_type == display::DOCX { display::DOCX } else { display::PDF };
    let disposition = display::content_disposition(&file_name);
    let response = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(Body::from(content))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

async fn delete_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, attachment)): Path<(i32, i32)>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let mut tx = state.pool.begin().await?;
    let removed: Option<store::Attachment> = sqlx::query_as(
        "DELETE FROM attachments WHERE id = $1 AND directive_id = $2
         RETURNING id, directive_id, file_name, content_type, size_bytes, sha256",
    )
    .bind(attachment)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let removed = removed.ok_or(AppError::NotFound)?;
    let entry = Entry {
        action: "delete",
        entity: "attachment",
        entity_id: removed.id.to_string(),
        unit_id: directive.issuing_unit_id,
        before: Some(removed.audit_json()),
        after: None,
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success(&format!("Đã xóa tệp {}.", removed.file_name)).redirect(&format!("/directives/{id}#tep")))
}

// ---------------------------------------------------------------------------------------------
// Tasks, targets, milestones

async fn add_task(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<TaskForm>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let mut errors = Errors::new();
    if form.number.trim().is_empty() {
        errors.insert("task.number", "Nhập số thứ tự của nhiệm vụ, ví dụ 1 hoặc 3.2.".to_owned());
    }
    if form.body.trim().is_empty() {
        errors.insert("task.body", "Nhập nội dung nhiệm vụ.".to_owned());
    }
    let levels: Vec<i16> = [1i16, 2, 3, 4].into_iter().filter(|l| form.has_level(l)).collect();
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
        errors.insert("task.unit_codes", problems.join(" "));
    } else if levels.is_empty() && named.is_empty() {
        errors.insert("task.unit_codes", "Chọn ít nhất một cấp hoặc nhập mã các đơn vị được giao.".to_owned());
    }
    if !errors.is_empty() {
        return show_page(&state, layout, &user, directive, Kept { task: form, errors, ..Kept::default() }).await;
    }
    let mut tx = state.pool.begin().await?;
    let task_id: i32 = sqlx::query_scalar(
        "INSERT INTO directive_tasks (directive_id, number, body, assigned_levels, deadline, sort_order)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT coalesce(max(sort_order), 0) + 1 FROM directive_tasks WHERE directive_id = $1))
         RETURNING id",
    )
    .bind(id)
    .bind(form.number.trim())
    .bind(form.body.trim())
    .bind(&levels)
    .bind(deadline)
    .fetch_one(&mut *tx)
    .await?;
    for unit in &named {
        sqlx::query("INSERT INTO directive_task_units (task_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(task_id)
            .bind(unit.id)
            .execute(&mut *tx)
            .await?;
    }
    let after = serde_json::json!({
        "directive_id": id, "number": form.number.trim(), "body": form.body.trim(), "assigned_levels": levels,
        "assigned_units": named.iter().map(|u| u.code.clone()).collect::<Vec<_>>(),
        "deadline": deadline.map(|d| d.to_string()),
    });
    let entry = Entry {
        action: "create",
        entity: "directive_task",
        entity_id: task_id.to_string(),
        unit_id: directive.issuing_unit_id,
        before: None,
        after: Some(after),
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã thêm nhiệm vụ.").redirect(&format!("/directives/{id}#nhiem-vu")))
}

/// Whether `unit` is the issuing unit or lies under it (any unit, for central documents).
fn inside_issuer(directive: &Directive, unit: &Unit) -> bool {
    match &directive.unit_path {
        Some(root) => unit.path == *root || unit.path.starts_with(&format!("{root}.")),
        None => true,
    }
}

/// Deletes a row belonging to the directive and records it; `select` returns it as JSON.
async fn delete_child(
    state: &AppState,
    user: &CurrentUser,
    directive: &Directive,
    entity: &'static str,
    table: &'static str,
    child: i32,
) -> AppResult<()> {
    let mut tx = state.pool.begin().await?;
    let select = format!("SELECT to_jsonb(x) FROM {table} x WHERE id = $1 AND directive_id = $2");
    let before: Option<serde_json::Value> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(select)).bind(child).bind(directive.id).fetch_optional(&mut *tx).await?;
    let before = before.ok_or(AppError::NotFound)?;
    let delete = format!("DELETE FROM {table} WHERE id = $1 AND directive_id = $2");
    sqlx::query(sqlx::AssertSqlSafe(delete)).bind(child).bind(directive.id).execute(&mut *tx).await?;
    let entry = Entry {
        action: "delete",
        entity,
        entity_id: child.to_string(),
        unit_id: directive.issuing_unit_id,
        before: Some(before),
        after: None,
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Why a task with reported progress stays: the reports are history.
fn task_has_progress(units: i64) -> String {
    format!(
        "Nhiệm vụ đã có báo cáo tiến độ của {} đơn vị, không xoá được: báo cáo tiến độ là lịch sử và phải giữ nguyên. \
         Nếu nhiệm vụ không còn áp dụng, hãy ghi rõ trong nội dung văn bản.",
        crate::format::integer(units)
    )
}

async fn delete_task(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((id, task)): Path<(i32, i32)>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let reporting: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT r.unit_id) FROM report_task_progress p JOIN reports r ON r.id = p.report_id
         WHERE p.task_id = $1",
    )
    .bind(task)
    .fetch_one(&state.pool)
    .await?;
    let refused = if reporting > 0 {
        Some(reporting)
    } else {
        match delete_child(&state, &user, &directive, "directive_task", "directive_tasks", task).await {
            Ok(()) => None,
            // Progress reported between the count and the delete: the same refusal.
            Err(AppError::Database(sqlx::Error::Database(e))) if e.is_foreign_key_violation() => Some(1),
            Err(e) => return Err(e),
        }
    };
    if let Some(units) = refused {
        let mut errors = Errors::new();
        errors.insert("task.delete", task_has_progress(units));
        let response = show_page(&state, layout, &user, directive, Kept { errors, ..Kept::default() }).await?;
        return Ok(with_conflict(response));
    }
    Ok(Flash::success("Đã xóa nhiệm vụ.").redirect(&format!("/directives/{id}#nhiem-vu")))
}

async fn add_target(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<TargetForm>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let mut errors = Errors::new();
    let indicator: Option<String> = sqlx::query_scalar("SELECT code FROM indicators WHERE code = $1")
        .bind(form.indicator.trim())
        .fetch_optional(&state.pool)
        .await?;
    if indicator.is_none() {
        errors.insert("target.indicator", "Chọn chỉ số trong danh mục.".to_owned());
    }
    let comparator = display::COMPARATORS.iter().find(|(c, _)| *c == form.comparator).map(|(c, _)| *c);
    if comparator.is_none() {
        errors.insert("target.comparator", "Chọn phép so sánh.".to_owned());
    }
    let value = parse_number(&form.value);
    if value.is_none() {
        errors.insert("target.value", "Nhập một số, dùng dấu phẩy cho phần thập phân, ví dụ 95 hoặc 51,95.".to_owned());
    }
    let value_max = if comparator == Some("between") {
        let max = parse_number(&form.value_max);
        match (value, max) {
            (Some(low), Some(high)) if high >= low => Some(high),
            (_, Some(_)) => {
                errors.insert("target.value_max", "Giá trị “đến” phải không nhỏ hơn giá trị “từ”.".to_owned());
                None
            }
            (_, None) => {
                errors.insert("target.value_max", "Với “từ … đến …”, nhập cả giá trị “đến”, ví dụ 2.".to_owned());
                None
            }
        }
    } else {
        None
    };
    let year = match form.year.trim() {
        "" => None,
        text => {
            let year = text.parse::<i32>().ok().filter(|y| (1930..=2100).contains(y));
            if year.is_none() {
                errors.insert("target.year", "Năm gồm 4 chữ số, ví dụ 2025; bỏ trống nếu áp dụng hằng năm.".to_owned());
            }
            year
        }
    };
    let deadline = optional_date(&form.deadline, &mut errors, "target.deadline");
    let scope_level = match form.scope_level.trim() {
        "" => None,
        text => {
            let level = text.parse::<i16>().ok().filter(|l| (1..=4).contains(l));
            if level.is_none() {
                errors.insert("target.scope_level", "Chọn cấp áp dụng.".to_owned());
            }
            level
        }
    };
    let mut scope_unit = None;
    if !form.scope_unit.trim().is_empty() {
        match units::resolve_for_person(&state.pool, &form.scope_unit, directive.unit_date()).await {
            Ok(Some(unit)) if !inside_issuer(&directive, &unit) => {
                errors.insert(
                    "target.scope_unit",
                    format!(
                        "{} không thuộc {}: chỉ tiêu chỉ đặt cho đơn vị ban hành hoặc các đơn vị trực thuộc.",
                        unit.name,
                        directive.unit_label()
                    ),
                );
            }
            Ok(Some(unit)) => scope_unit = Some(unit),
            Ok(None) => {}
            Err(message) => {
                errors.insert("target.scope_unit", message);
            }
        }
    }
    let (Some(indicator), Some(comparator), Some(value), true) = (indicator, comparator, value, errors.is_empty())
    else {
        return show_page(&state, layout, &user, directive, Kept { target: form, errors, ..Kept::default() }).await;
    };
    let scope_unit_id = scope_unit.as_ref().map(|u| u.id).or(directive.issuing_unit_id);
    let mut tx = state.pool.begin().await?;
    let target_id: i32 = sqlx::query_scalar(
        "INSERT INTO targets (directive_id, indicator_code, comparator, value, value_max, year, deadline,
                              scope_level, scope_unit_id, per_unit, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(id)
    .bind(&indicator)
    .bind(comparator)
    .bind(value)
    .bind(value_max)
    .bind(year)
    .bind(deadline)
    .bind(scope_level)
    .bind(scope_unit_id)
    .bind(form.per_unit.is_some())
    .bind(form.description.trim())
    .fetch_one(&mut *tx)
    .await?;
    let after: Option<serde_json::Value> = sqlx::query_scalar("SELECT to_jsonb(t) FROM targets t WHERE id = $1")
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?;
    let entry = Entry {
        action: "create",
        entity: "target",
        entity_id: target_id.to_string(),
        unit_id: directive.issuing_unit_id,
        before: None,
        after,
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã thêm chỉ tiêu.").redirect(&format!("/directives/{id}#chi-tieu")))
}

async fn delete_target(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, target)): Path<(i32, i32)>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    delete_child(&state, &user, &directive, "target", "targets", target).await?;
    Ok(Flash::success("Đã xóa chỉ tiêu.").redirect(&format!("/directives/{id}#chi-tieu")))
}

async fn add_milestone(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i32>,
    Form(form): Form<MilestoneForm>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    let mut errors = Errors::new();
    let kind = ["so_ket", "tong_ket"].into_iter().find(|k| *k == form.kind);
    if kind.is_none() {
        errors.insert("milestone.kind", "Chọn sơ kết hoặc tổng kết.".to_owned());
    }
    let due_on = units::parse_date(&form.due_on);
    if due_on.is_none() {
        errors.insert("milestone.due_on", "Nhập ngày đến hạn theo dạng 31/12/2025 hoặc 2025-12-31.".to_owned());
    }
    let (Some(kind), Some(due_on), true) = (kind, due_on, errors.is_empty()) else {
        return show_page(&state, layout, &user, directive, Kept { milestone: form, errors, ..Kept::default() }).await;
    };
    let mut tx = state.pool.begin().await?;
    let milestone_id: i32 = sqlx::query_scalar(
        "INSERT INTO milestones (directive_id, kind, due_on, description) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(id)
    .bind(kind)
    .bind(due_on)
    .bind(form.description.trim())
    .fetch_one(&mut *tx)
    .await?;
    let after = serde_json::json!({
        "directive_id": id, "kind": kind, "due_on": due_on.to_string(), "description": form.description.trim(),
    });
    let entry = Entry {
        action: "create",
        entity: "milestone",
        entity_id: milestone_id.to_string(),
        unit_id: directive.issuing_unit_id,
        before: None,
        after: Some(after),
    };
    audit::record(&mut *tx, &user.actor(), entry).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã thêm mốc sơ kết, tổng kết.").redirect(&format!("/directives/{id}#moc")))
}

async fn delete_milestone(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, milestone)): Path<(i32, i32)>,
) -> AppResult<Response> {
    let directive = editable(&state, &user, id).await?;
    delete_child(&state, &user, &directive, "milestone", "milestones", milestone).await?;
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

async fn milestones_page(State(state): State<AppState>, layout: Layout, user: CurrentUser) -> AppResult<Response> {
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
