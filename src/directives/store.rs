//! SQL over directives and what hangs from them: the pages use these functions, not the tables.

use chrono::NaiveDate;
use sqlx::{FromRow, PgExecutor, PgPool};

use super::number::{issuer_name, kind_name};

const COLUMNS: &str = "d.id, d.number, d.kind, d.issuer, d.issuing_body, d.issuing_unit_id, d.issued_on, d.title,
     d.body, d.status, d.replaced_by_id, r.number AS replaced_by_number, d.number_is_assumed, d.version,
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
    pub fn audit_json(&self, links: &[TreeRow]) -> serde_json::Value {
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
            "implements": links.iter().filter(|l| l.depth == 1).map(|l| l.number.clone()).collect::<Vec<_>>(),
            "version": self.version,
        })
    }
}

pub async fn by_id<'e>(executor: impl PgExecutor<'e>, id: i32) -> sqlx::Result<Option<Directive>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1");
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

/// Accent-insensitive search over number, title, issuing body and text, newest first.
pub async fn search(pool: &PgPool, filter: &SearchFilter<'_>, limit: i64) -> sqlx::Result<Vec<Directive>> {
    let folded = crate::text::fold(filter.query);
    let pattern = format!("%{}%", crate::text::like_escape(&folded));
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE ($1 = '%%' OR d.search_key LIKE $1)
           AND ($2 = '' OR d.kind = $2)
           AND ($3 = '' OR d.issuer = $3)
           AND ($4::int IS NULL OR extract(year FROM d.issued_on)::int = $4)
           AND ($5 = '' OR d.status = $5)
         ORDER BY d.issued_on DESC, d.id DESC LIMIT $6"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(pattern)
        .bind(filter.kind)
        .bind(filter.issuer)
        .bind(filter.year)
        .bind(filter.status)
        .bind(limit)
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

#[derive(Debug, Clone, FromRow)]
pub struct TreeRow {
    pub id: i32,
    pub number: String,
    pub title: String,
    pub issued_on: NaiveDate,
    pub status: String,
    pub depth: i32,
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

/// What `id` implements, recursively (`up`), or what implements it (`!up`), nearest first.
pub async fn tree<'e>(executor: impl PgExecutor<'e>, id: i32, up: bool) -> sqlx::Result<Vec<TreeRow>> {
    let (from, to) = if up { ("child_id", "parent_id") } else { ("parent_id", "child_id") };
    let sql = format!(
        "WITH RECURSIVE walk (id, depth, trail, sort) AS (
             SELECT l.{to}, 1, ARRAY[$1, l.{to}], ARRAY[l.{to}] FROM directive_links l WHERE l.{from} = $1
             UNION ALL
             SELECT l.{to}, w.depth + 1, w.trail || l.{to}, w.sort || l.{to}
             FROM walk w JOIN directive_links l ON l.{from} = w.id
             WHERE NOT l.{to} = ANY(w.trail) AND w.depth < 20
         )
         SELECT d.id, d.number, d.title, d.issued_on, d.status, w.depth
         FROM walk w JOIN directives d ON d.id = w.id
         ORDER BY w.sort"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(executor).await
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
    pub value: f64,
    pub value_max: Option<f64>,
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
    pub fn status(&self, actual: Option<f64>) -> super::display::TargetStatus {
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
        let kb = (self.size_bytes as f64 / 1024.0).ceil();
        if kb >= 1024.0 {
            format!("{} MB", crate::format::decimal(kb / 1024.0, 1))
        } else {
            format!("{} KB", crate::format::integer(kb as i64))
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
