//! SQL over directives and what hangs from them: the pages and the demo loader use these
//! functions, not the tables. One file per entity; everything is re-exported here, so callers
//! write `store::by_id`, `store::insert_task`.

mod attachment;
mod directive;
mod links;
mod milestone;
mod target;
mod task;

pub use attachment::*;
pub use directive::*;
pub use links::*;
pub use milestone::*;
pub use target::*;
pub use task::*;

use sqlx::PgConnection;

/// A row that hangs from one directive and is deleted on its own, with its id: the table and
/// the id travel together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Task(TaskId),
    Target(TargetId),
    Milestone(MilestoneId),
}

impl Child {
    fn table(self) -> &'static str {
        match self {
            Child::Task(_) => "directive_tasks",
            Child::Target(_) => "targets",
            Child::Milestone(_) => "milestones",
        }
    }

    /// The entity name the audit log records.
    pub fn entity(self) -> &'static str {
        match self {
            Child::Task(_) => "directive_task",
            Child::Target(_) => "target",
            Child::Milestone(_) => "milestone",
        }
    }

    /// The row's id in its table.
    pub fn id(self) -> i32 {
        match self {
            Child::Task(id) => id.0,
            Child::Target(id) => id.0,
            Child::Milestone(id) => id.0,
        }
    }
}

/// Deletes row `child` of `directive_id` and returns it as JSON (for the audit log); `None`
/// when the directive has no such row.
pub async fn delete_child(
    tx: &mut PgConnection,
    child: Child,
    directive_id: DirectiveId,
) -> sqlx::Result<Option<serde_json::Value>> {
    let id = child.id();
    // Dynamic: the table is the child's (three tables of one shape).
    let table = child.table();
    let select = format!("SELECT to_jsonb(x) FROM {table} x WHERE id = $1 AND directive_id = $2");
    let before: Option<serde_json::Value> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(select)).bind(id).bind(directive_id).fetch_optional(&mut *tx).await?;
    if before.is_some() {
        let delete = format!("DELETE FROM {table} WHERE id = $1 AND directive_id = $2");
        sqlx::query(sqlx::AssertSqlSafe(delete)).bind(id).bind(directive_id).execute(&mut *tx).await?;
    }
    Ok(before)
}
