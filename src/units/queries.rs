//! SQL over `units` and `unit_lineage`. Other concepts use these functions, never the tables.

use chrono::NaiveDate;
use sqlx::{FromRow, PgPool};

use super::Level;
use crate::text::{fold, like_escape};

crate::vocabulary::id! {
    /// `units.id`: one unit of one period (a unit the 2025 reform ended and the unit of the same
    /// code after it are two rows). Addresses name units by [`super::code::UnitCode`] instead.
    pub struct UnitId;
}

#[derive(Debug, Clone, FromRow)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub level: Level,
    pub parent_id: Option<UnitId>,
    pub path: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| to >= date)
    }

    /// A date on which the unit is in force, for links that must resolve its code back to it.
    pub fn a_valid_date(&self, preferred: NaiveDate) -> NaiveDate {
        if self.is_valid_on(preferred) {
            preferred
        } else if let Some(to) = self.valid_to.filter(|to| *to < preferred) {
            to
        } else {
            self.valid_from.unwrap_or(preferred)
        }
    }

    /// "01/07/2025 – nay", "đến 30/06/2025" (in force before the first official list we hold).
    pub fn validity_text(&self) -> String {
        let to = self.valid_to.map(crate::format::date).unwrap_or_else(|| "nay".to_owned());
        match self.valid_from {
            Some(from) => format!("{} – {to}", crate::format::date(from)),
            None if self.valid_to.is_some() => format!("đến {to}"),
            None => "đến nay".to_owned(),
        }
    }

    /// The name with its validity where it has ended or began with the 2025 reform, so that
    /// the old and the new An Giang are told apart: "Tỉnh An Giang (đến 30/06/2025)".
    pub fn dated_name(&self) -> String {
        if self.valid_from.is_some() || self.valid_to.is_some() {
            format!("{} ({})", self.name, self.validity_text())
        } else {
            self.name.clone()
        }
    }

    pub fn link(&self, preferred: NaiveDate) -> String {
        format!("/units/{}?date={}", self.code, self.a_valid_date(preferred))
    }
}

/// `sqlx::query_as!(Unit, …)` over `units`, the columns of [`Unit`] followed by `$rest` (the
/// macros take string literals, joined with `+`, never constants). The statements below repeat
/// two conditions: "in force on $1", `(valid_from IS NULL OR valid_from <= $1) AND (valid_to IS
/// NULL OR valid_to >= $1)`, and the order of names, `short_name COLLATE vietnamese, name
/// COLLATE vietnamese, code`.
macro_rules! select_units {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Unit,
            r#"SELECT id, code, name, short_name, kind, level AS "level: Level", parent_id AS "parent_id: UnitId",
                      path::text AS "path!", valid_from, valid_to "#
                + $rest
            $(, $arg)*
        )
    };
}

/// A [`Unit`] from a record of `sqlx::query!` whose columns are those of [`Unit`] (for the
/// statements, here and in other concepts, that join units to their own rows).
macro_rules! unit_of {
    ($row:ident) => {
        $crate::units::Unit {
            id: $crate::units::UnitId($row.id),
            code: $row.code,
            name: $row.name,
            short_name: $row.short_name,
            kind: $row.kind,
            level: $row.level,
            parent_id: $row.parent_id.map($crate::units::UnitId),
            path: $row.path,
            valid_from: $row.valid_from,
            valid_to: $row.valid_to,
        }
    };
}
pub(crate) use unit_of;

/// How long a unit code is at each level: `91` province, `905` district, `30883` commune.
/// Codes are text, matched exactly as written: `0091` and `091` are no code of `00091` or `91`.
pub const CODE_LENGTHS: [usize; 3] = [2, 3, 5];

/// The codes a mistyped code may have meant, closest length first: `4` → `04`, `004`,
/// `00004`; `0091` → `00091`, `091`, `91`. Only for suggestions, never to resolve a code.
fn likely_codes(code: &str) -> Vec<String> {
    let code = code.trim();
    if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Vec::new();
    }
    let digits = code.trim_start_matches('0');
    let mut widths = CODE_LENGTHS;
    // Closest length first; between two as close, the longer (a dropped zero is likelier).
    widths.sort_by_key(|w| (w.abs_diff(code.len()), std::cmp::Reverse(*w)));
    widths
        .iter()
        .filter(|w| digits.len() <= **w && !digits.is_empty())
        .map(|w| format!("{digits:0>w$}"))
        .filter(|candidate| candidate != code)
        .collect()
}

/// The unit a code that names none most likely meant (`4` → `04` Tỉnh Cao Bằng): of the codes
/// of [`likely_codes`], the closest in length, preferring a unit in force on `date`.
pub async fn likely_unit(pool: &PgPool, code: &str, date: NaiveDate) -> sqlx::Result<Option<Unit>> {
    let candidates = likely_codes(code);
    if candidates.is_empty() {
        return Ok(None);
    }
    select_units!(
        "FROM units WHERE code = ANY($2)
         ORDER BY array_position($2, code),
                  NOT ((valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to >= $1)),
                  valid_from DESC NULLS LAST
         LIMIT 1",
        date,
        &candidates,
    )
    .fetch_optional(pool)
    .await
}

pub async fn provinces_on(pool: &PgPool, date: NaiveDate) -> sqlx::Result<Vec<Unit>> {
    select_units!(
        "FROM units WHERE level = 1 AND (valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to >= $1)
         ORDER BY short_name COLLATE vietnamese, name COLLATE vietnamese, code",
        date,
    )
    .fetch_all(pool)
    .await
}

pub async fn children(pool: &PgPool, parent_id: UnitId) -> sqlx::Result<Vec<Unit>> {
    select_units!(
        "FROM units WHERE parent_id = $1 ORDER BY short_name COLLATE vietnamese, name COLLATE vietnamese, code",
        parent_id as UnitId,
    )
    .fetch_all(pool)
    .await
}

pub async fn by_id(pool: &PgPool, id: UnitId) -> sqlx::Result<Option<Unit>> {
    select_units!("FROM units WHERE id = $1", id as UnitId).fetch_optional(pool).await
}

/// The unit that carries `code` on `date` (codes are reused across the 2025 reform).
pub async fn resolve(pool: &PgPool, code: &str, date: NaiveDate) -> sqlx::Result<Option<Unit>> {
    resolve_in(pool, code, date).await
}

/// [`resolve`] on any executor (a transaction, say).
pub async fn resolve_in<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    code: &str,
    date: NaiveDate,
) -> sqlx::Result<Option<Unit>> {
    select_units!(
        "FROM units
         WHERE code = $2 AND (valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to >= $1)
         LIMIT 1",
        date,
        code.trim(),
    )
    .fetch_optional(executor)
    .await
}

/// [`resolve`] of many typed codes on one date, in one query (an import names thousands):
/// each code that names a unit on `date`, with that unit; codes naming none are left out.
pub async fn resolve_many(pool: &PgPool, codes: &[String], date: NaiveDate) -> sqlx::Result<Vec<(String, Unit)>> {
    let typed: Vec<&str> = codes.iter().map(String::as_str).collect();
    let written: Vec<&str> = codes.iter().map(|code| code.trim()).collect();
    // As `resolve`: the code as written, nothing padded. Arrays of `&str` are bound `as _` (the
    // macros' check knows `Vec<String>` only).
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (c.typed) c.typed AS "typed!", id, code, name, short_name, kind, level AS "level: Level", parent_id,
                path::text AS "path!", valid_from, valid_to
         FROM UNNEST($2::text[], $3::text[]) AS c(typed, written) JOIN units ON units.code = c.written
         WHERE (valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to >= $1)
         ORDER BY c.typed, units.id"#,
        date,
        typed as _,
        written as _,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| (row.typed, unit_of!(row))).collect())
}

/// Every unit that has carried `code`, oldest first.
pub async fn carriers(pool: &PgPool, code: &str) -> sqlx::Result<Vec<Unit>> {
    select_units!("FROM units WHERE code = $1 ORDER BY valid_from NULLS FIRST, id", code.trim()).fetch_all(pool).await
}

/// The chain of units above, from the province down to the direct parent.
pub async fn ancestors(pool: &PgPool, unit: &Unit) -> sqlx::Result<Vec<Unit>> {
    // Paths are `ltree`, bound as text (`as _`: the macros' check expects PgLTree).
    select_units!(
        "FROM units WHERE path @> $1::ltree AND id <> $2 ORDER BY nlevel(path)",
        &unit.path as _,
        unit.id as UnitId
    )
    .fetch_all(pool)
    .await
}

/// Every unit below `unit`, of every date, in path order (parents before their children).
pub async fn descendants_in<'e>(executor: impl sqlx::PgExecutor<'e>, unit: &Unit) -> sqlx::Result<Vec<Unit>> {
    select_units!("FROM units WHERE path <@ $1::ltree AND id <> $2 ORDER BY path", &unit.path as _, unit.id as UnitId)
        .fetch_all(executor)
        .await
}

#[derive(Debug, Clone)]
pub struct SubunitCount {
    pub level: Level,
    pub count: i64,
}

/// How many units of each lower level the subtree holds.
pub async fn subtree_counts(pool: &PgPool, unit: &Unit) -> sqlx::Result<Vec<SubunitCount>> {
    sqlx::query_as!(
        SubunitCount,
        r#"SELECT level AS "level: Level", count(*) AS "count!" FROM units
         WHERE path <@ $1::ltree AND id <> $2 GROUP BY level ORDER BY level"#,
        &unit.path as _,
        unit.id as UnitId,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone)]
pub struct LineageLink {
    pub unit: Unit,
    pub merge_kind: String,
    pub note: String,
    pub effective_on: NaiveDate,
}

impl LineageLink {
    pub fn merge_label(&self) -> &str {
        if !self.note.is_empty() {
            return &self.note;
        }
        match self.merge_kind.as_str() {
            "toan_bo" => "Nhập toàn bộ",
            "mot_phan" => "Nhập một phần",
            _ => &self.merge_kind,
        }
    }
}

/// The lineage links of `$unit_id`, read with `$link`: the join of `units` (as `u`) to
/// `unit_lineage l` and the filter on the unit's side, the only part in which predecessors and
/// successors differ.
macro_rules! lineage_links {
    ($pool:expr, $unit_id:expr, $link:literal) => {{
        let rows = sqlx::query!(
            r#"SELECT u.id, u.code, u.name, u.short_name, u.kind, u.level AS "level: Level", u.parent_id, u.path::text AS "path!",
                u.valid_from, u.valid_to, l.merge_kind, l.note, l.effective_on
         FROM unit_lineage l "#
                + $link
                + " ORDER BY u.short_name COLLATE vietnamese, u.code",
            $unit_id as UnitId,
        )
        .fetch_all($pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| LineageLink {
                merge_kind: row.merge_kind,
                note: row.note,
                effective_on: row.effective_on,
                unit: unit_of!(row),
            })
            .collect())
    }};
}

/// The units this one was formed from.
pub async fn predecessors(pool: &PgPool, unit_id: UnitId) -> sqlx::Result<Vec<LineageLink>> {
    lineage_links!(pool, unit_id, "JOIN units u ON u.id = l.predecessor_id WHERE l.successor_id = $1")
}

/// The units this one went into.
pub async fn successors(pool: &PgPool, unit_id: UnitId) -> sqlx::Result<Vec<LineageLink>> {
    lineage_links!(pool, unit_id, "JOIN units u ON u.id = l.successor_id WHERE l.predecessor_id = $1")
}

/// How the figures of a unit of today reach back before the 2025 reform: one of the units it
/// was formed from.
#[derive(Debug, Clone, FromRow)]
pub struct Predecessor {
    #[sqlx(flatten)]
    pub unit: Unit,
    /// As the official conversion table says (`toan_bo`, `mot_phan`, …).
    pub merge_kind: String,
    /// Whether its figures count in this unit. An old unit split between several units of today
    /// counts in full in exactly one of them, its *principal* successor (see
    /// [`PRINCIPAL_ORDER`]), so that sums over today's units never count an old unit twice.
    pub counted: bool,
    /// The other units of today that received part of it (empty when it moved whole).
    pub shared_with: Vec<String>,
    /// The unit of today whose figures hold it.
    pub counted_in: String,
}

impl Predecessor {
    /// Split between several units of today: its figures cannot be divided exactly.
    pub fn is_split(&self) -> bool {
        !self.shared_with.is_empty()
    }
}

/// The order that picks an old unit's principal successor among the units that received it:
/// the one that took it whole (or its whole population, or kept its name), then the one that
/// took "the rest", then the smallest code. Decided here, documented in the README (history
/// through the lineage).
pub const PRINCIPAL_ORDER: &str = "CASE WHEN l.merge_kind IN ('toan_bo', 'giu_nguyen', 'doi_ten', 'doi_loai_hinh',
         'sap_xep_dac_khu', 'toan_bo_dien_tich', 'mot_phan_dien_tich_toan_bo_dan_so') THEN 0
       WHEN l.merge_kind LIKE 'doi\\_%' OR l.merge_kind = 'phan_con_lai' THEN 1 ELSE 2 END, s.code";

/// The units `unit_id` was formed from, with whether each one's figures count in it.
pub async fn predecessors_for_figures(pool: &PgPool, unit_id: UnitId) -> sqlx::Result<Vec<Predecessor>> {
    // Left dynamic: PRINCIPAL_ORDER is one definition shared by this statement and the next.
    let sql = format!(
        "WITH mine AS (SELECT predecessor_id, merge_kind FROM unit_lineage WHERE successor_id = $1),
         principal AS (
             SELECT DISTINCT ON (l.predecessor_id) l.predecessor_id, l.successor_id, s.name
             FROM unit_lineage l JOIN units s ON s.id = l.successor_id
             WHERE l.predecessor_id IN (SELECT predecessor_id FROM mine)
             ORDER BY l.predecessor_id, {PRINCIPAL_ORDER})
         SELECT u.id, u.code, u.name, u.short_name, u.kind, u.level, u.parent_id, u.path::text AS path,
                u.valid_from, u.valid_to, m.merge_kind, p.successor_id = $1 AS counted,
                ARRAY(SELECT s.name FROM unit_lineage o JOIN units s ON s.id = o.successor_id
                      WHERE o.predecessor_id = u.id AND o.successor_id <> $1
                      ORDER BY s.short_name COLLATE vietnamese) AS shared_with,
                p.name AS counted_in
         FROM mine m JOIN units u ON u.id = m.predecessor_id JOIN principal p ON p.predecessor_id = u.id
         ORDER BY u.short_name COLLATE vietnamese, u.code"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(unit_id).fetch_all(pool).await
}

/// For every old unit under the subtrees `roots` that went into a unit of today: its path and
/// its principal successor's path (see [`PRINCIPAL_ORDER`]).
pub async fn principal_successors(pool: &PgPool, roots: &[String]) -> sqlx::Result<Vec<(String, String)>> {
    // Left dynamic: PRINCIPAL_ORDER is one definition shared by this statement and the last.
    let sql = format!(
        "SELECT DISTINCT ON (l.predecessor_id) p.path::text, s.path::text
         FROM unit_lineage l JOIN units p ON p.id = l.predecessor_id JOIN units s ON s.id = l.successor_id
         WHERE p.path <@ $1::ltree[]
         ORDER BY l.predecessor_id, {PRINCIPAL_ORDER}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(roots).fetch_all(pool).await
}

/// The paths of the units of today that hold the figures of `path` or of one of its ancestors
/// (an old commune's successors, an old province's successor): what a move of an old report
/// changes besides its own ancestors.
pub async fn successor_paths<'e>(executor: impl sqlx::PgExecutor<'e>, path: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT s.path::text AS "path!" FROM units p
         JOIN unit_lineage l ON l.predecessor_id = p.id JOIN units s ON s.id = l.successor_id
         WHERE p.path @> $1::ltree"#,
        path as _,
    )
    .fetch_all(executor)
    .await
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub unit: Unit,
    pub parent_name: Option<String>,
}

/// Accent-insensitive search on name and code, across every validity period.
pub async fn search(pool: &PgPool, query: &str, limit: i64) -> sqlx::Result<Vec<SearchHit>> {
    let folded = fold(query);
    if folded.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("%{}%", like_escape(&folded));
    let rows = sqlx::query!(
        r#"SELECT u.id, u.code, u.name, u.short_name, u.kind, u.level AS "level: Level", u.parent_id, u.path::text AS "path!",
                u.valid_from, u.valid_to, p.name AS "parent_name?"
         FROM units u LEFT JOIN units p ON p.id = u.parent_id
         WHERE u.search_key LIKE $1
         ORDER BY u.level, u.short_name COLLATE vietnamese, u.valid_from DESC NULLS LAST, u.code
         LIMIT $2"#,
        pattern,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| SearchHit { parent_name: row.parent_name, unit: unit_of!(row) }).collect())
}

/// Sorts names by Vietnamese rules in the database's `vietnamese` collation.
pub async fn sort_vietnamese(pool: &PgPool, names: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(r#"SELECT n AS "n!" FROM UNNEST($1::text[]) AS t(n) ORDER BY n COLLATE vietnamese"#, names)
        .fetch_all(pool)
        .await
}

#[derive(Debug, Clone)]
pub struct TreeCount {
    pub level: Level,
    pub count: i64,
}

/// Units of each level in force on `date`.
pub async fn counts_on(pool: &PgPool, date: NaiveDate) -> sqlx::Result<Vec<TreeCount>> {
    sqlx::query_as!(
        TreeCount,
        r#"SELECT level AS "level: Level", count(*) AS "count!" FROM units
         WHERE (valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to >= $1)
         GROUP BY level ORDER BY level"#,
        date,
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_codes_of_the_levels_lengths_never_resolves_by_them() {
        assert_eq!(likely_codes("4"), vec!["04", "004", "00004"]);
        assert_eq!(likely_codes("0091"), vec!["00091", "091", "91"]);
        assert_eq!(likely_codes("091"), vec!["91", "00091"]);
        assert_eq!(likely_codes("30883"), Vec::<String>::new());
        assert_eq!(likely_codes("abc"), Vec::<String>::new());
        assert_eq!(likely_codes("0"), Vec::<String>::new());
    }
}
