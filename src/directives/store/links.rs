//! The "implements" links between directives: the walks a page shows, the cycle check, saving.

use chrono::NaiveDate;
use sqlx::{FromRow, PgConnection, PgExecutor, PgPool};

use super::DirectiveId;

/// How many levels of "implements" a directive's page follows.
pub const TREE_MAX_DEPTH: i32 = 10;
/// How many directives one "implements" list on a page shows.
pub const TREE_MAX_ROWS: i64 = 200;

/// One directive in an "implements" walk, at its nearest depth, with the directive it was
/// reached through (`parent_*`: the directive itself at depth 1).
#[derive(Debug, Clone, FromRow)]
pub struct TreeRow {
    pub id: DirectiveId,
    pub number: String,
    pub title: String,
    pub issued_on: NaiveDate,
    pub status: super::DirectiveStatus,
    pub depth: i32,
    pub parent_id: DirectiveId,
    pub parent_number: String,
}

impl TreeRow {
    pub fn date(&self) -> String {
        crate::format::date(self.issued_on)
    }

    /// Indentation marks for the depth (1: direct link).
    pub fn indent(&self) -> String {
        "↳ ".repeat((self.depth.max(1) - 1) as usize)
    }
}

/// An "implements" walk as a page shows it: rows in tree order, and whether it was cut.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub rows: Vec<TreeRow>,
    /// More than [`TREE_MAX_ROWS`] directives were reached.
    pub too_many: bool,
    /// How many directives the walk reached within [`TREE_MAX_DEPTH`] levels.
    pub total: i64,
    /// Links go on past [`TREE_MAX_DEPTH`] levels.
    pub too_deep: bool,
}

impl Tree {
    /// No directive on this side.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Why the list is shorter than the graph, in Vietnamese; empty when it is whole.
    pub fn cut_note(&self) -> String {
        let mut parts = Vec::new();
        if self.too_many {
            parts.push(format!(
                "có {} văn bản, chỉ hiện {TREE_MAX_ROWS} văn bản ở các cấp gần nhất",
                crate::format::integer(self.total)
            ));
        }
        if self.too_deep {
            parts.push(format!("chỉ hiện đến {TREE_MAX_DEPTH} cấp"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("Danh sách quá dài nên đã được rút gọn: {}.", parts.join(", "))
        }
    }
}

#[derive(FromRow)]
struct WalkRow {
    #[sqlx(flatten)]
    row: TreeRow,
    too_deep: bool,
    total: i64,
}

/// What `id` implements, recursively (`up`), or what implements it (`!up`).
///
/// The walk is over directives, not paths: each directive is kept once, at its nearest depth
/// (`UNION` over `(id, depth)` ends on cycles and stays polynomial on dense layers), down to
/// [`TREE_MAX_DEPTH`] and at most [`TREE_MAX_ROWS`] rows. Each row names one directive it was
/// reached through, and the rows come back in tree order (depth first, older first).
pub async fn tree<'e>(executor: impl PgExecutor<'e>, id: DirectiveId, up: bool) -> sqlx::Result<Tree> {
    // Dynamic: the direction swaps the link's two columns throughout the statement.
    let (from, to) = if up { ("child_id", "parent_id") } else { ("parent_id", "child_id") };
    let sql = format!(
        "WITH RECURSIVE walk (id, depth) AS (
             SELECT l.{to}, 1 FROM directive_links l WHERE l.{from} = $1
             UNION
             SELECT l.{to}, w.depth + 1 FROM walk w JOIN directive_links l ON l.{from} = w.id
             WHERE w.depth <= $2 AND l.{to} <> $1
         ),
         nodes AS (SELECT id, min(depth) AS depth FROM walk WHERE id <> $1 GROUP BY id),
         kept AS (SELECT id, depth FROM nodes WHERE depth <= $2 ORDER BY depth, id LIMIT $3 + 1)
         SELECT d.id, d.number, d.title, d.issued_on, d.status, k.depth, p.id AS parent_id,
                p.number AS parent_number,
                EXISTS (SELECT 1 FROM nodes WHERE depth > $2) AS too_deep,
                (SELECT count(*) FROM nodes WHERE depth <= $2) AS total
         FROM kept k JOIN directives d ON d.id = k.id
         CROSS JOIN LATERAL (
             SELECT pd.id, pd.number FROM directive_links l JOIN directives pd ON pd.id = l.{from}
             WHERE l.{to} = k.id
               AND CASE WHEN k.depth = 1 THEN l.{from} = $1
                        ELSE l.{from} IN (SELECT n.id FROM nodes n WHERE n.depth = k.depth - 1) END
             ORDER BY pd.issued_on, pd.id LIMIT 1
         ) p
         ORDER BY k.depth, k.id"
    );
    let found: Vec<WalkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(TREE_MAX_DEPTH)
        .bind(TREE_MAX_ROWS)
        .fetch_all(executor)
        .await?;
    let too_deep = found.first().is_some_and(|r| r.too_deep);
    let total = found.first().map_or(0, |r| r.total);
    let mut rows: Vec<TreeRow> = found.into_iter().map(|r| r.row).collect();
    let too_many = rows.len() as i64 > TREE_MAX_ROWS;
    rows.truncate(TREE_MAX_ROWS as usize);
    Ok(Tree { rows: tree_order(id, rows), too_many, total, too_deep })
}

/// Puts each row right after the one it was reached through (depth first), siblings by date.
fn tree_order(root: DirectiveId, rows: Vec<TreeRow>) -> Vec<TreeRow> {
    let mut children: std::collections::HashMap<DirectiveId, Vec<TreeRow>> = std::collections::HashMap::new();
    for row in rows {
        children.entry(row.parent_id).or_default().push(row);
    }
    for list in children.values_mut() {
        // Reversed, so that popping from the stack yields the oldest first.
        list.sort_by_key(|r| std::cmp::Reverse((r.issued_on, r.id)));
    }
    let mut ordered = Vec::new();
    let mut stack = children.remove(&root).unwrap_or_default();
    while let Some(row) = stack.pop() {
        if let Some(below) = children.remove(&row.id) {
            stack.extend(below);
        }
        ordered.push(row);
    }
    // Rows whose link was cut by the row cap: still listed, at the end.
    let mut rest: Vec<TreeRow> = children.into_values().flatten().collect();
    rest.sort_by_key(|r| (r.depth, r.id));
    ordered.extend(rest);
    ordered
}

/// The numbers of the directives `id` implements directly, oldest first.
pub async fn implements_direct<'e>(executor: impl PgExecutor<'e>, id: DirectiveId) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT d.number FROM directive_links l JOIN directives d ON d.id = l.parent_id
         WHERE l.child_id = $1 ORDER BY d.issued_on, d.id",
        id as DirectiveId,
    )
    .fetch_all(executor)
    .await
}

/// Which of `candidates` implement `id`, directly or not: linking `id` to them would close a
/// cycle. The closure is a set of directives (`UNION` over ids), so it ends and stays linear.
pub async fn implementing_among(
    pool: &PgPool,
    id: DirectiveId,
    candidates: &[DirectiveId],
) -> sqlx::Result<Vec<DirectiveId>> {
    sqlx::query_scalar!(
        r#"WITH RECURSIVE below (id) AS (
             SELECT child_id FROM directive_links WHERE parent_id = $1
             UNION
             SELECT l.child_id FROM below b JOIN directive_links l ON l.parent_id = b.id
         )
         SELECT id AS "id!: DirectiveId" FROM below WHERE id = ANY($2)"#,
        id as DirectiveId,
        candidates as &[DirectiveId],
    )
    .fetch_all(pool)
    .await
}

/// Records that `child` implements `parent` (again: nothing changes).
pub async fn link(conn: &mut PgConnection, child: DirectiveId, parent: DirectiveId) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO directive_links (child_id, parent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        child as DirectiveId,
        parent as DirectiveId
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Makes `parents` the directives `id` implements directly, in place of the ones before.
pub async fn save_links(conn: &mut PgConnection, id: DirectiveId, parents: &[DirectiveId]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM directive_links WHERE child_id = $1", id as DirectiveId).execute(&mut *conn).await?;
    for parent in parents {
        link(conn, id, *parent).await?;
    }
    Ok(())
}
