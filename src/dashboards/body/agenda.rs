//! The dashboard's agenda: the tasks assigned to the unit that are past their deadline, and the
//! reviews (sơ kết, tổng kết) of the directives that concern it, due within 90 days or overdue
//! within a year. Cached per unit and day.

use std::sync::Arc;

use chrono::{Days, NaiveDate};

use crate::dashboards::cache::View;
use crate::dashboards::scope::Scope;
use crate::directives::store;

/// How many milestones the agenda lists, soonest first.
const MILESTONES: usize = 20;

/// A task assigned to the unit and past its deadline.
#[derive(Clone)]
pub struct OverdueTask {
    pub directive_number: String,
    pub task_number: String,
    pub deadline: NaiveDate,
}

/// A review (sơ kết) or final review (tổng kết) of a directive due within 90 days or overdue
/// within a year.
#[derive(Clone)]
pub struct AgendaMilestone {
    pub directive_number: String,
    pub kind: &'static str,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

#[derive(Clone)]
pub struct Agenda {
    pub overdue_tasks: Vec<OverdueTask>,
    pub milestones: Vec<AgendaMilestone>,
}

impl Agenda {
    pub fn is_empty(&self) -> bool {
        self.overdue_tasks.is_empty() && self.milestones.is_empty()
    }
}

/// The agenda of the dashboard's unit (the country: the milestones of every directive) on `today`.
pub async fn agenda(view: &View<'_>, scope: &Scope, today: NaiveDate) -> sqlx::Result<Arc<Agenda>> {
    let pool = view.pool();
    view.metadata("agenda", format!("{}|{today}", scope.metadata_key()), || async {
        let tasks = async {
            match &scope.unit {
                Some(unit) => crate::directives::tasks_for_unit(pool, unit.id, today).await,
                None => Ok(Vec::new()),
            }
        };
        let (from, to) = (today - Days::new(365), today + Days::new(90));
        // Two statements, read at once.
        let (tasks, due) = tokio::try_join!(tasks, store::milestones_due(pool, scope.path(), from, to))?;
        let overdue_tasks = tasks
            .into_iter()
            .filter_map(|task| {
                let deadline = task.deadline.filter(|d| *d < today)?;
                Some(OverdueTask { directive_number: task.directive_number, task_number: task.number, deadline })
            })
            .collect();
        let milestones: Vec<AgendaMilestone> = due
            .into_iter()
            .take(MILESTONES)
            .map(|due| AgendaMilestone {
                kind: due.milestone.kind.label(),
                due_on: due.milestone.due_on,
                overdue: due.milestone.is_overdue(today),
                directive_number: due.number,
            })
            .collect();
        Ok(Agenda { overdue_tasks, milestones })
    })
    .await
}
