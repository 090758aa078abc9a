//! A directive's tasks (nhiệm vụ) and the units they name.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::DirectiveId;
use crate::units::{Level, UnitId};
use crate::vocabulary::id;

id! {
    /// A task's id (`directive_tasks.id`), never mistaken for a directive's, a report's or a
    /// unit's. Written as its number in the report form's field names (`task.7.status`).
    pub struct TaskId;
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: TaskId,
    pub number: String,
    pub body: String,
    pub assigned_levels: Vec<Level>,
    pub deadline: Option<NaiveDate>,
}

pub async fn tasks(pool: &PgPool, directive_id: DirectiveId) -> sqlx::Result<Vec<Task>> {
    sqlx::query_as!(
        Task,
        r#"SELECT id AS "id: TaskId", number, body, assigned_levels AS "assigned_levels: Vec<Level>", deadline
         FROM directive_tasks
         WHERE directive_id = $1 ORDER BY sort_order, id"#,
        directive_id as DirectiveId,
    )
    .fetch_all(pool)
    .await
}

/// The units named in the tasks of a directive.
pub async fn task_units(pool: &PgPool, directive_id: DirectiveId) -> sqlx::Result<Vec<(TaskId, crate::units::Unit)>> {
    let rows = sqlx::query!(
        r#"SELECT tu.task_id AS "task_id: TaskId", u.id, u.code, u.name, u.short_name, u.kind,
                u.level AS "level: Level", u.parent_id, u.path::text AS "path!", u.valid_from, u.valid_to
         FROM directive_task_units tu JOIN directive_tasks t ON t.id = tu.task_id JOIN units u ON u.id = tu.unit_id
         WHERE t.directive_id = $1 ORDER BY u.name COLLATE vietnamese"#,
        directive_id as DirectiveId,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.task_id, crate::units::queries::unit_of!(r))).collect())
}

/// How many units of `level` lie under `root` (None: the whole country) on `date`.
pub async fn count_level(pool: &PgPool, root_path: Option<&str>, level: Level, date: NaiveDate) -> sqlx::Result<i64> {
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM units
         WHERE level = $1 AND ($2::ltree IS NULL OR path <@ $2::ltree)
           AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $3)"#,
        level.number(),
        root_path as _,
        date,
    )
    .fetch_one(pool)
    .await
}

/// A task as saved.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub directive_id: DirectiveId,
    pub number: &'a str,
    pub body: &'a str,
    pub assigned_levels: &'a [Level],
    pub deadline: Option<NaiveDate>,
    /// Where it sorts among the directive's tasks; `None`: after the last one.
    pub sort_order: Option<i32>,
    /// Units assigned by name.
    pub unit_ids: &'a [UnitId],
}

/// Saves a task with the units it names and returns its id.
pub async fn insert_task(conn: &mut PgConnection, task: &NewTask<'_>) -> sqlx::Result<TaskId> {
    let task_id = sqlx::query_scalar!(
        r#"INSERT INTO directive_tasks (directive_id, number, body, assigned_levels, deadline, sort_order)
         VALUES ($1, $2, $3, $4, $5,
                 coalesce($6, (SELECT coalesce(max(sort_order), 0) + 1 FROM directive_tasks WHERE directive_id = $1)))
         RETURNING id AS "id: TaskId""#,
        task.directive_id as DirectiveId,
        task.number,
        task.body,
        task.assigned_levels as _,
        task.deadline,
        task.sort_order,
    )
    .fetch_one(&mut *conn)
    .await?;
    for unit_id in task.unit_ids {
        sqlx::query!(
            "INSERT INTO directive_task_units (task_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            task_id as TaskId,
            unit_id as &UnitId,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(task_id)
}
