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

/// A row that hangs from one directive and is deleted on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Task,
    Target,
    Milestone,
}

impl Child {
    fn table(self) -> &'static str {
        match self {
            Child::Task => "directive_tasks",
            Child::Target => "targets",
            Child::Milestone => "milestones",
        }
    }

    /// The entity name the audit log records.
    pub fn entity(self) -> &'static str {
        match self {
            Child::Task => "directive_task",
            Child::Target => "target",
            Child::Milestone => "milestone",
        }
    }
}

/// Deletes row `id` of `directive_id` and returns it as JSON (for the audit log); `None` when
/// the directive has no such row.
pub async fn delete_child(
    tx: &mut PgConnection,
    child: Child,
    directive_id: DirectiveId,
    id: i32,
) -> sqlx::Result<Option<serde_json::Value>> {
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
