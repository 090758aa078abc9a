//! The shape of the tree as figures are summed over it: a unit's level, the `ltree` paths of
//! the units directly below, the names of units by id. Light reads (ids and paths, not whole
//! [`Unit`](super::Unit) rows) for the dashboards' aggregation, which walks the tree by path.
//! Other concepts use these functions, never the `units` table.

use sqlx::PgPool;

use super::{Level, UnitId};

/// The level of the unit `id` (`None`: no such unit).
pub async fn level_of(pool: &PgPool, id: UnitId) -> sqlx::Result<Option<Level>> {
    sqlx::query_scalar!(r#"SELECT level AS "level: Level" FROM units WHERE id = $1"#, id as UnitId)
        .fetch_optional(pool)
        .await
}

/// Every province, of every date (before and after the 2025 reform), as `(id, path)`.
pub async fn province_paths(pool: &PgPool) -> sqlx::Result<Vec<(UnitId, String)>> {
    let rows = sqlx::query!(r#"SELECT id, path::text AS "path!" FROM units WHERE level = 1"#).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|row| (UnitId(row.id), row.path)).collect())
}

/// The units directly below `parent_id` at `deepest` or above, as `(id, path)`, in no
/// particular order.
pub async fn child_paths_down_to(
    pool: &PgPool,
    parent_id: UnitId,
    deepest: Level,
) -> sqlx::Result<Vec<(UnitId, String)>> {
    let rows = sqlx::query!(
        r#"SELECT id, path::text AS "path!" FROM units WHERE parent_id = $1 AND level <= $2"#,
        parent_id as UnitId,
        deepest.number(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| (UnitId(row.id), row.path)).collect())
}

/// The units directly below `parent_id` deeper than `level`, as paths in path order.
pub async fn child_paths_below(pool: &PgPool, parent_id: UnitId, level: Level) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT path::text AS "path!" FROM units WHERE parent_id = $1 AND level > $2 ORDER BY path"#,
        parent_id as UnitId,
        level.number(),
    )
    .fetch_all(pool)
    .await
}

/// A unit's name and code, with its path.
#[derive(Debug, Clone)]
pub struct UnitName {
    pub path: String,
    pub name: String,
    pub code: String,
}

/// The names and codes of the units `ids` (unknown ids are left out), in no particular order.
pub async fn names(pool: &PgPool, ids: &[UnitId]) -> sqlx::Result<Vec<UnitName>> {
    sqlx::query_as!(
        UnitName,
        r#"SELECT path::text AS "path!", name, code FROM units WHERE id = ANY($1)"#,
        ids as &[UnitId]
    )
    .fetch_all(pool)
    .await
}
