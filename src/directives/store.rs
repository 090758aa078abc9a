//! SQL over directives and what hangs from them: the pages use these functions, not the tables.

use chrono::NaiveDate;
use sqlx::{FromRow, PgExecutor, PgPool};

use super::number::{NumberQuery, issuer_name, kind_name};

/// Every column but the text, which only a directive's own page and form need.
const HEAD_COLUMNS: &str = "d.id, d.number, d.kind, d.issuer, d.issuing_body, d.issuing_unit_id, d.issued_on, d.title,
     d.status, d.replaced_by_id, r.number AS replaced_by_number, d.number_is_assumed, d.version,
     u.code AS unit_code, u.name AS unit_name, u.path::text AS unit_path, u.parent_id AS unit_parent_id,
     u.valid_from AS unit_valid_from, u.valid_to AS unit_valid_to";
const FROM: &str = "directives d LEFT JOIN directives r ON r.id = d.replaced_by_id
     LEFT JOIN units u ON u.id = d.issuing_unit_id";

#[derive(Debug, Clone, FromRow)]
pub struct Directive {
    pub id: i32,
    pub number: String,
    pub kind: String,
    pub issuer: String,
    pub issuing_body: String,
    pub issuing_unit_id: Option<i32>,
    pub issued_on: NaiveDate,
    pub title: String,
    pub body: String,
    pub status: String,
    pub replaced_by_id: Option<i32>,
    pub replaced_by_number: Option<String>,
    pub number_is_assumed: bool,
    pub version: i32,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub unit_path: Option<String>,
    pub unit_parent_id: Option<i32>,
    pub unit_valid_from: Option<NaiveDate>,
    pub unit_valid_to: Option<NaiveDate>,
}

pub const STATUSES: [(&str, &str); 3] =
    [("hieu_luc", "Còn hiệu lực"), ("het_hieu_luc", "Hết hiệu lực"), ("duoc_thay_the", "Được thay thế")];

pub fn status_label(status: &str) -> &'static str {
    STATUSES.iter().find(|(s, _)| *s == status).map(|(_, l)| *l).unwrap_or("")
}

impl Directive {
    pub fn kind_name(&self) -> &'static str {
        kind_name(&self.kind)
    }

    pub fn issuer_name(&self) -> &'static str {
        issuer_name(&self.issuer)
    }

    pub fn date(&self) -> String {
        crate::format::date(self.issued_on)
    }

    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }

    /// Where authorization places the document: its issuing unit, or the centre (None).
    pub fn place(&self) -> Option<crate::auth::authz::Place<'_>> {
        match (self.issuing_unit_id, self.unit_path.as_deref()) {
            (Some(id), Some(path)) => Some(crate::auth::authz::Place { id, parent_id: self.unit_parent_id, path }),
            _ => None,
        }
    }

    /// A date on which the issuing unit exists (its code is resolved on it).
    pub fn unit_date(&self) -> NaiveDate {
        let on = self.issued_on;
        match (self.unit_valid_from, self.unit_valid_to) {
            (Some(from), _) if on < from => from,
            (_, Some(to)) if on > to => to,
            _ => on,
        }
    }

    pub fn unit_label(&self) -> String {
        match (&self.unit_name, &self.unit_code) {
            (Some(name), Some(code)) => format!("{name} ({code})"),
            _ => "Trung ương".to_owned(),
        }
    }

    /// Before/after for the audit log.
    pub fn audit_json(&self, implements: &[String]) -> serde_json::Value {
        serde_json::json!({
            "number": self.number,
            "kind": self.kind,
            "issuer": self.issuer,
            "issuing_body": self.issuing_body,
            "issuing_unit_id": self.issuing_unit_id,
            "issued_on": self.issued_on.to_string(),
            "title": self.title,
            "body_chars": self.body.chars().count(),
            "status": self.status,
            "replaced_by": self.replaced_by_number,
            "implements": implements,
            "version": self.version,
        })
    }
}

pub async fn by_id<'e>(executor: impl PgExecutor<'e>, id: i32) -> sqlx::Result<Option<Directive>> {
    let sql = format!("SELECT {HEAD_COLUMNS}, d.body FROM {FROM} WHERE d.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(executor).await
}

#[derive(Debug, Default)]
pub struct SearchFilter<'a> {
    pub query: &'a str,
    pub kind: &'a str,
    pub issuer: &'a str,
    pub year: Option<i32>,
    pub status: &'a str,
}

/// How many characters of the text a search result carries from its start (the snippet when
/// nothing is searched or the match is elsewhere).
pub const SNIPPET_HEAD_CHARS: i32 = 400;
/// How many characters of the text a search result carries around its match.
pub const SNIPPET_WINDOW_CHARS: i32 = 2000;

/// A search result: the directive without its text, and two bounded pieces of the text for
/// the snippet.
#[derive(Debug, Clone, FromRow)]
pub struct Found {
    #[sqlx(flatten)]
    pub directive: Directive,
    /// The first [`SNIPPET_HEAD_CHARS`] characters of the text, one more when it goes on.
    pub body_head: String,
    /// Where `body_window` starts in the text (in characters), when the match lies past the head.
    pub window_start: Option<i32>,
    /// About [`SNIPPET_WINDOW_CHARS`] characters of the text around where the match should be.
    pub body_window: String,
    /// Whether the text goes on after `body_window`.
    pub window_cut: bool,
}

/// Accent-insensitive search over number, title, issuing body and text, newest first. A query
/// that reads as a directive number ("qd 09", "09/QĐ-TU", see [`NumberQuery`]) also finds the
/// documents with that number, listed first.
///
/// The text is never selected whole: the database finds the match in the folded search key,
/// maps its position proportionally onto the text and returns a window around it, so the
/// snippet costs the same for a 1 MB text as for a short one.
pub async fn search(pool: &PgPool, filter: &SearchFilter<'_>, limit: i64) -> sqlx::Result<Vec<Found>> {
    let folded = crate::text::fold(filter.query);
    // LIKE for the filter (the trigram index serves it), `strpos` for the match's position.
    let pattern = format!("%{}%", crate::text::like_escape(&folded));
    let number = NumberQuery::parse(filter.query);
    // The serial as stored numbers write it (`09-QĐ/TU`: digits before the dash).
    let number_match = "($10::int IS NOT NULL AND substring(d.number FROM '^[0-9]+')::int = $10
                         AND ($11 = '' OR d.kind = $11) AND ($12 = '' OR d.issuer = $12))";
    let sql = format!(
        "WITH page AS (
             SELECT d.id, {number_match} AS by_number FROM directives d
             WHERE ($9 = '%%' OR d.search_key LIKE $9 OR {number_match})
               AND ($2 = '' OR d.kind = $2)
               AND ($3 = '' OR d.issuer = $3)
               AND ($4::int IS NULL OR extract(year FROM d.issued_on)::int = $4)
               AND ($5 = '' OR d.status = $5)
             ORDER BY by_number DESC, d.issued_on DESC, d.id DESC LIMIT $6
         )
         SELECT {HEAD_COLUMNS}, ''::text AS body, left(d.body, $7 + 1) AS body_head,
                w.start AS window_start, coalesce(substring(d.body FROM w.start + 1 FOR $8), '') AS body_window,
                coalesce(w.start + $8 < w.body_len, false) AS window_cut
         FROM {FROM} JOIN page ON page.id = d.id
         CROSS JOIN LATERAL (
             SELECT CASE WHEN m.pos > 0 AND m.body_len > $7
                         THEN greatest(0, least(m.body_len - $8,
                                  floor((m.pos - 1)::float8 * m.body_len / greatest(m.key_len, 1))::int - $8 / 2))
                    END AS start,
                    m.body_len
             FROM (SELECT CASE WHEN $1 = '' THEN 0 ELSE strpos(d.search_key, $1) END AS pos,
                          char_length(d.body) AS body_len, char_length(d.search_key) AS key_len) m
         ) w
         ORDER BY page.by_number DESC, d.issued_on DESC, d.id DESC"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folded)
        .bind(filter.kind)
        .bind(filter.issuer)
        .bind(filter.year)
        .bind(filter.status)
        .bind(limit)
        .bind(SNIPPET_HEAD_CHARS)
        .bind(SNIPPET_WINDOW_CHARS)
        .bind(pattern)
        .bind(number.map(|n| n.serial as i32))
        .bind(number.and_then(|n| n.kind).unwrap_or(""))
        .bind(number.and_then(|n| n.issuer).unwrap_or(""))
        .fetch_all(pool)
        .await
}

/// The latest document carrying `number` issued on or before `before` (numbers repeat across
/// decades); any with that number if none is that old.
pub async fn find_by_number<'e>(
    executor: impl PgExecutor<'e>,
    number: &str,
    before: NaiveDate,
) -> sqlx::Result<Option<(i32, NaiveDate)>> {
    sqlx::query_as(
        "SELECT id, issued_on FROM directives WHERE number = $1
         ORDER BY (issued_on <= $2) DESC, issued_on DESC LIMIT 1",
    )
    .bind(number)
    .bind(before)
    .fetch_optional(executor)
    .await
}

/// How many levels of "implements" a directive's page follows.
pub const TREE_MAX_DEPTH: i32 = 10;
/// How many directives one "implements" list on a page shows.
pub const TREE_MAX_ROWS: i64 = 200;

/// One directive in an "implements" walk, at its nearest depth, with the directive it was
/// reached through (`parent_*`: the directive itself at depth 1).
#[derive(Debug, Clone, FromRow)]
pub struct TreeRow {
    pub id: i32,
    pub number: String,
    pub title: String,
    pub issued_on: NaiveDate,
    pub status: String,
    pub depth: i32,
    pub parent_id: i32,
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
pub async fn tree<'e>(executor: impl PgExecutor<'e>, id: i32, up: bool) -> sqlx::Result<Tree> {
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
fn tree_order(root: i32, rows: Vec<TreeRow>) -> Vec<TreeRow> {
    let mut children: std::collections::HashMap<i32, Vec<TreeRow>> = std::collections::HashMap::new();
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
pub async fn implements_direct<'e>(executor: impl PgExecutor<'e>, id: i32) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT d.number FROM directive_links l JOIN directives d ON d.id = l.parent_id
         WHERE l.child_id = $1 ORDER BY d.issued_on, d.id",
    )
    .bind(id)
    .fetch_all(executor)
    .await
}

/// Which of `candidates` implement `id`, directly or not: linking `id` to them would close a
/// cycle. The closure is a set of directives (`UNION` over ids), so it ends and stays linear.
pub async fn implementing_among(pool: &PgPool, id: i32, candidates: &[i32]) -> sqlx::Result<Vec<i32>> {
    sqlx::query_scalar(
        "WITH RECURSIVE below (id) AS (
             SELECT child_id FROM directive_links WHERE parent_id = $1
             UNION
             SELECT l.child_id FROM below b JOIN directive_links l ON l.parent_id = b.id
         )
         SELECT id FROM below WHERE id = ANY($2)",
    )
    .bind(id)
    .bind(candidates)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Task {
    pub id: i32,
    pub number: String,
    pub body: String,
    pub assigned_levels: Vec<i16>,
    pub deadline: Option<NaiveDate>,
}

pub async fn tasks(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<Task>> {
    sqlx::query_as(
        "SELECT id, number, body, assigned_levels, deadline FROM directive_tasks
         WHERE directive_id = $1 ORDER BY sort_order, id",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await
}

/// The units named in the tasks of a directive.
pub async fn task_units(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<(i32, crate::units::Unit)>> {
    #[derive(FromRow)]
    struct Row {
        task_id: i32,
        #[sqlx(flatten)]
        unit: crate::units::Unit,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT tu.task_id, u.id, u.code, u.name, u.short_name, u.kind, u.level, u.parent_id, u.path::text AS path,
                u.valid_from, u.valid_to
         FROM directive_task_units tu JOIN directive_tasks t ON t.id = tu.task_id JOIN units u ON u.id = tu.unit_id
         WHERE t.directive_id = $1 ORDER BY u.name COLLATE vietnamese",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.task_id, r.unit)).collect())
}

/// How many units of `level` lie under `root` (None: the whole country) on `date`.
pub async fn count_level(pool: &PgPool, root_path: Option<&str>, level: i16, date: NaiveDate) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM units
         WHERE level = $1 AND ($2::ltree IS NULL OR path <@ $2::ltree)
           AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $3)",
    )
    .bind(level)
    .bind(root_path)
    .bind(date)
    .fetch_one(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Target {
    pub id: i32,
    pub indicator_code: String,
    pub indicator_name: Option<String>,
    pub indicator_unit: Option<String>,
    pub comparator: String,
    pub value: rust_decimal::Decimal,
    pub value_max: Option<rust_decimal::Decimal>,
    pub year: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub scope_level: Option<i16>,
    pub scope_unit_id: Option<i32>,
    pub scope_unit_name: Option<String>,
    pub per_unit: bool,
    pub description: String,
}

impl Target {
    pub fn wording(&self) -> String {
        let unit = self.indicator_unit.as_deref().unwrap_or("");
        super::display::target_wording(&self.comparator, self.value, self.value_max, unit)
    }

    pub fn indicator_label(&self) -> String {
        self.indicator_name.clone().unwrap_or_else(|| self.indicator_code.clone())
    }

    /// "Cấp xã thuộc Huyện Đức Trọng, mỗi đơn vị".
    pub fn scope_text(&self, issuing_unit: &str) -> String {
        let place = self.scope_unit_name.clone().unwrap_or_else(|| issuing_unit.to_owned());
        let mut text = match self.scope_level {
            Some(level) => format!("{} thuộc {place}", super::display::level_label(level)),
            None => format!("Toàn {place}"),
        };
        if self.per_unit {
            text.push_str(", mỗi đơn vị");
        }
        text
    }

    pub fn when_text(&self) -> String {
        match (self.year, self.deadline) {
            (_, Some(deadline)) => format!("Đến {}", crate::format::date(deadline)),
            (Some(year), None) => format!("Năm {year}"),
            (None, None) => "Hằng năm".to_owned(),
        }
    }

    /// The status until reports supply figures: "Chưa có số liệu".
    pub fn status(&self, actual: Option<rust_decimal::Decimal>) -> super::display::TargetStatus {
        super::display::TargetStatus::evaluate(&self.comparator, self.value, self.value_max, actual)
    }
}

pub async fn targets(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<Target>> {
    sqlx::query_as(
        "SELECT t.id, t.indicator_code, i.name AS indicator_name, CASE WHEN i.factor = 100 THEN '%' ELSE i.unit END AS indicator_unit, t.comparator, t.value,
                t.value_max, t.year, t.deadline, t.scope_level, t.scope_unit_id, u.name AS scope_unit_name,
                t.per_unit, t.description
         FROM targets t LEFT JOIN indicators i ON i.code = t.indicator_code LEFT JOIN units u ON u.id = t.scope_unit_id
         WHERE t.directive_id = $1 ORDER BY t.indicator_code, t.scope_level NULLS FIRST, t.id",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct IndicatorChoice {
    pub code: String,
    pub name: String,
}

pub async fn indicator_choices(pool: &PgPool) -> sqlx::Result<Vec<IndicatorChoice>> {
    sqlx::query_as("SELECT code, name FROM indicators ORDER BY sort_order, code").fetch_all(pool).await
}

#[derive(Debug, Clone, FromRow)]
pub struct Milestone {
    pub id: i32,
    pub directive_id: i32,
    pub kind: String,
    pub due_on: NaiveDate,
    pub description: String,
}

impl Milestone {
    pub fn kind_label(&self) -> &'static str {
        milestone_kind_label(&self.kind)
    }

    pub fn date(&self) -> String {
        crate::format::date(self.due_on)
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.due_on < today
    }
}

pub fn milestone_kind_label(kind: &str) -> &'static str {
    if kind == "tong_ket" { "Tổng kết" } else { "Sơ kết" }
}

pub async fn milestones(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<Milestone>> {
    sqlx::query_as(
        "SELECT id, directive_id, kind, due_on, description FROM milestones WHERE directive_id = $1 ORDER BY due_on, id",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct DueMilestone {
    #[sqlx(flatten)]
    pub milestone: Milestone,
    pub number: String,
    pub title: String,
    pub issuing_body: String,
}

/// Milestones due between `from` and `to` of the directives that concern a user whose unit has
/// ltree path `path` (None: national): those issued by a unit of the subtree, by one of its
/// ancestors, or by the centre.
pub async fn milestones_due(
    pool: &PgPool,
    path: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<DueMilestone>> {
    sqlx::query_as(
        "SELECT m.id, m.directive_id, m.kind, m.due_on, m.description, d.number, d.title, d.issuing_body
         FROM milestones m JOIN directives d ON d.id = m.directive_id
         LEFT JOIN units u ON u.id = d.issuing_unit_id
         WHERE m.due_on BETWEEN $2 AND $3
           AND ($1::ltree IS NULL OR d.issuing_unit_id IS NULL OR u.path <@ $1::ltree OR u.path @> $1::ltree)
         ORDER BY m.due_on, d.number",
    )
    .bind(path)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Attachment {
    pub id: i32,
    pub directive_id: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl Attachment {
    pub fn kind_label(&self) -> &'static str {
        if self.content_type == super::display::PDF { "PDF" } else { "DOCX" }
    }

    pub fn size_text(&self) -> String {
        let kb = (self.size_bytes.max(0) + 1023) / 1024;
        if kb >= 1024 {
            format!(
                "{} MB",
                crate::format::decimal(rust_decimal::Decimal::from(kb) / rust_decimal::Decimal::from(1024), 1)
            )
        } else {
            format!("{} KB", crate::format::integer(kb))
        }
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "directive_id": self.directive_id,
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
        })
    }
}

pub async fn attachments(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<Attachment>> {
    sqlx::query_as(
        "SELECT id, directive_id, file_name, content_type, size_bytes, sha256 FROM attachments
         WHERE directive_id = $1 ORDER BY uploaded_at, id",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await
}
