//! A directive's page: its text, the implements tree both ways, tasks with the units they
//! reach, targets, milestones and attachments, and (for its editors) the forms that add to
//! them. A refused form comes back on this page with its input and messages ([`Kept`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::milestones::MilestoneForm;
use super::targets::TargetForm;
use super::tasks::TaskForm;
use super::{Errors, directive_or_404};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action};
use crate::catalogue::lookup::{self, IndicatorChoice};
use crate::directives::Comparator;
use crate::directives::display::TargetStatus;
use crate::directives::store::{self, Directive, DirectiveId};
use crate::error::{AppError, AppResult};
use crate::units::{self, Level};
use crate::web::{AppState, Layout, filters, render};

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

/// What a failed sub-form on the page sends back: the input and its errors.
#[derive(Default)]
pub(super) struct Kept {
    pub(super) task: TaskForm,
    pub(super) target: TargetForm,
    pub(super) milestone: MilestoneForm,
    pub(super) errors: Errors,
    /// The refusal is a conflict with what is stored (409), not a problem of the input (422).
    pub(super) conflict: bool,
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
    indicators: Vec<IndicatorChoice>,
    comparators: [Comparator; 6],
    levels: [Level; 4],
    task_form: TaskForm,
    target_form: TargetForm,
    milestone_form: MilestoneForm,
    milestone_kinds: [(&'static str, &'static str); 2],
    errors: Errors,
}

impl ShowPage {
    fn has_errors(&self, prefix: &str) -> bool {
        self.errors.has_prefix(prefix)
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
        for &level in &task.assigned_levels {
            let (count, text, href) = match (&directive.unit_path, &directive.unit_name, &directive.unit_code) {
                // The issuing unit's own level (or above it): the unit itself.
                (Some(path), Some(name), Some(code)) if level.number() as usize <= path.split('.').count() => {
                    lines.push(AssignLine {
                        text: format!("{name} (đơn vị ban hành)"),
                        href: Some(format!("/units/{code}?date={date}")),
                    });
                    continue;
                }
                (Some(path), Some(name), Some(code)) => {
                    let count = store::count_level(&state.pool, Some(path), level, date).await?;
                    let plural = level.plural_on(date);
                    (count, format!("Các {plural} thuộc {name}"), Some(format!("/units/{code}?date={date}")))
                }
                _ => {
                    let count = store::count_level(&state.pool, None, level, today).await?;
                    let plural = level.plural_on(today);
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

/// The page of `directive`, with what a refused form sent back (422 when it has errors).
pub(super) async fn show_page(
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
    let indicators = if can_edit { lookup::indicator_choices(&state.pool).await? } else { Vec::new() };
    let invalid = !kept.errors.is_empty();
    let conflict = kept.conflict;
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
        comparators: Comparator::ALL,
        levels: Level::ALL,
        task_form: kept.task,
        target_form: kept.target,
        milestone_form: kept.milestone,
        milestone_kinds: store::MilestoneKind::CHOICES,
        errors: kept.errors,
    };
    if conflict {
        return Err(AppError::conflict_page(render(&page)));
    }
    crate::error::page_or_invalid(render(&page), invalid)
}

pub(super) async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<DirectiveId>,
) -> AppResult<Response> {
    let directive = directive_or_404(&state, id).await?;
    show_page(&state, layout, &user, directive, Kept::default()).await
}
