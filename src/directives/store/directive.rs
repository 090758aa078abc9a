//! Directives themselves: reading one, searching them, finding one by number, saving one.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::directives::number::{DirectiveKind, Issuer, NumberQuery};
use crate::units::UnitId;
use crate::vocabulary::{id, vocabulary};

// `by_id` and `search` read the same head columns (every column but the text, which only a
// directive's own page and form need) from the same joins; the macros take literals only.

id! {
    /// A directive's id (`directives.id`), never mistaken for a task's, a target's or a unit's.
    /// Written as its number in addresses (`/directives/7`).
    pub struct DirectiveId;
}

#[derive(Debug, Clone)]
pub struct Directive {
    pub id: DirectiveId,
    pub number: String,
    pub kind: DirectiveKind,
    pub issuer: Issuer,
    pub issuing_body: String,
    pub issuing_unit_id: Option<UnitId>,
    pub issued_on: NaiveDate,
    pub title: String,
    pub body: String,
    pub status: DirectiveStatus,
    pub replaced_by_id: Option<DirectiveId>,
    pub replaced_by_number: Option<String>,
    pub number_is_assumed: bool,
    pub version: i32,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub unit_path: Option<String>,
    pub unit_parent_id: Option<UnitId>,
    pub unit_valid_from: Option<NaiveDate>,
    pub unit_valid_to: Option<NaiveDate>,
}

vocabulary! {
    /// Whether a directive is in force (`directives.status`, checked by the table). Only
    /// directives in force assign tasks and set the targets dashboards measure against.
    pub enum DirectiveStatus: "trạng thái văn bản" {
        InForce = "hieu_luc" => "Còn hiệu lực",
        Expired = "het_hieu_luc" => "Hết hiệu lực",
        Replaced = "duoc_thay_the" => "Được thay thế",
    }
}

impl Directive {
    pub fn date(&self) -> String {
        crate::format::date(self.issued_on)
    }

    /// Whether it is in force (no badge in a list).
    pub fn is_in_force(&self) -> bool {
        self.status == DirectiveStatus::InForce
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

pub async fn by_id<'e>(executor: impl PgExecutor<'e>, id: DirectiveId) -> sqlx::Result<Option<Directive>> {
    sqlx::query_as!(
        Directive,
        r#"SELECT d.id AS "id: DirectiveId", d.number, d.kind AS "kind: DirectiveKind", d.issuer AS "issuer: Issuer", d.issuing_body,
                d.issuing_unit_id AS "issuing_unit_id: UnitId",
                d.issued_on, d.title, d.status AS "status: DirectiveStatus",
                d.replaced_by_id AS "replaced_by_id: DirectiveId", r.number AS "replaced_by_number?",
                d.number_is_assumed, d.version,
                u.code AS "unit_code?", u.name AS "unit_name?", u.path::text AS unit_path,
                u.parent_id AS "unit_parent_id?: UnitId", u.valid_from AS unit_valid_from, u.valid_to AS unit_valid_to,
                d.body
         FROM directives d LEFT JOIN directives r ON r.id = d.replaced_by_id
              LEFT JOIN units u ON u.id = d.issuing_unit_id
         WHERE d.id = $1"#,
        id as DirectiveId,
    )
    .fetch_optional(executor)
    .await
}

#[derive(Debug, Default)]
pub struct SearchFilter<'a> {
    pub query: &'a str,
    pub kind: Option<DirectiveKind>,
    pub issuer: Option<Issuer>,
    pub year: Option<i32>,
    pub status: Option<DirectiveStatus>,
}

/// How many characters of the text a search result carries from its start (the snippet when
/// nothing is searched or the match is elsewhere).
pub const SNIPPET_HEAD_CHARS: i32 = 400;
/// How many characters of the text a search result carries around its match.
pub const SNIPPET_WINDOW_CHARS: i32 = 2000;

/// A search result: the directive without its text, and two bounded pieces of the text for
/// the snippet.
#[derive(Debug, Clone)]
pub struct Found {
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
    // by_number, twice: the serial as stored numbers write it (`09-QĐ/TU`: digits before the
    // dash), and the kind and issuer when the query gives them.
    let rows = sqlx::query!(
        r#"WITH page AS (
             SELECT d.id,
                    ($10::int IS NOT NULL AND substring(d.number FROM '^[0-9]+')::int = $10
                     AND ($11 = '' OR d.kind = $11) AND ($12 = '' OR d.issuer = $12)) AS by_number
             FROM directives d
             WHERE ($9 = '%%' OR d.search_key LIKE $9
                    OR ($10::int IS NOT NULL AND substring(d.number FROM '^[0-9]+')::int = $10
                        AND ($11 = '' OR d.kind = $11) AND ($12 = '' OR d.issuer = $12)))
               AND ($2 = '' OR d.kind = $2)
               AND ($3 = '' OR d.issuer = $3)
               AND ($4::int IS NULL OR extract(year FROM d.issued_on)::int = $4)
               AND ($5 = '' OR d.status = $5)
             ORDER BY by_number DESC, d.issued_on DESC, d.id DESC LIMIT $6
         )
         SELECT d.id AS "id: DirectiveId", d.number, d.kind AS "kind: DirectiveKind", d.issuer AS "issuer: Issuer", d.issuing_body,
                d.issuing_unit_id AS "issuing_unit_id: UnitId",
                d.issued_on, d.title, d.status AS "status: DirectiveStatus",
                d.replaced_by_id AS "replaced_by_id: DirectiveId", r.number AS "replaced_by_number?",
                d.number_is_assumed, d.version,
                u.code AS "unit_code?", u.name AS "unit_name?", u.path::text AS unit_path,
                u.parent_id AS "unit_parent_id?: UnitId", u.valid_from AS unit_valid_from, u.valid_to AS unit_valid_to,
                left(d.body, $7 + 1) AS "body_head!",
                w.start AS window_start, coalesce(substring(d.body FROM w.start + 1 FOR $8), '') AS "body_window!",
                coalesce(w.start + $8 < w.body_len, false) AS "window_cut!"
         FROM directives d LEFT JOIN directives r ON r.id = d.replaced_by_id
              LEFT JOIN units u ON u.id = d.issuing_unit_id
              JOIN page ON page.id = d.id
         CROSS JOIN LATERAL (
             SELECT CASE WHEN m.pos > 0 AND m.body_len > $7
                         THEN greatest(0, least(m.body_len - $8,
                                  floor((m.pos - 1)::float8 * m.body_len / greatest(m.key_len, 1))::int - $8 / 2))
                    END AS start,
                    m.body_len
             FROM (SELECT CASE WHEN $1 = '' THEN 0 ELSE strpos(d.search_key, $1) END AS pos,
                          char_length(d.body) AS body_len, char_length(d.search_key) AS key_len) m
         ) w
         ORDER BY page.by_number DESC, d.issued_on DESC, d.id DESC"#,
        folded,
        filter.kind.map_or("", DirectiveKind::as_str),
        filter.issuer.map_or("", Issuer::as_str),
        filter.year,
        filter.status.map_or("", DirectiveStatus::as_str),
        limit,
        SNIPPET_HEAD_CHARS,
        SNIPPET_WINDOW_CHARS,
        pattern,
        number.map(|n| n.serial as i32),
        number.and_then(|n| n.kind).map_or("", DirectiveKind::as_str),
        number.and_then(|n| n.issuer).map_or("", Issuer::as_str),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Found {
            directive: Directive {
                id: row.id,
                number: row.number,
                kind: row.kind,
                issuer: row.issuer,
                issuing_body: row.issuing_body,
                issuing_unit_id: row.issuing_unit_id,
                issued_on: row.issued_on,
                title: row.title,
                // The text is never selected whole here (see above).
                body: String::new(),
                status: row.status,
                replaced_by_id: row.replaced_by_id,
                replaced_by_number: row.replaced_by_number,
                number_is_assumed: row.number_is_assumed,
                version: row.version,
                unit_code: row.unit_code,
                unit_name: row.unit_name,
                unit_path: row.unit_path,
                unit_parent_id: row.unit_parent_id,
                unit_valid_from: row.unit_valid_from,
                unit_valid_to: row.unit_valid_to,
            },
            body_head: row.body_head,
            window_start: row.window_start,
            body_window: row.body_window,
            window_cut: row.window_cut,
        })
        .collect())
}

/// The latest document carrying `number` issued on or before `before` (numbers repeat across
/// decades); any with that number if none is that old.
pub async fn find_by_number<'e>(
    executor: impl PgExecutor<'e>,
    number: &str,
    before: NaiveDate,
) -> sqlx::Result<Option<(DirectiveId, NaiveDate)>> {
    let row = sqlx::query!(
        r#"SELECT id AS "id: DirectiveId", issued_on FROM directives WHERE number = $1
         ORDER BY (issued_on <= $2) DESC, issued_on DESC LIMIT 1"#,
        number,
        before,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| (row.id, row.issued_on)))
}

/// A directive as saved, from the form or the demo files.
#[derive(Debug, Clone)]
pub struct NewDirective<'a> {
    /// The number as [`crate::directives::DirectiveNumber`] writes it.
    pub number: &'a str,
    pub kind: DirectiveKind,
    pub issuer: Issuer,
    pub issuing_body: &'a str,
    pub issuing_unit_id: Option<UnitId>,
    pub issued_on: NaiveDate,
    pub title: &'a str,
    pub body: &'a str,
    pub status: DirectiveStatus,
    pub replaced_by_id: Option<DirectiveId>,
    /// The demo's guess at a number the source does not give; set only when inserting.
    pub number_is_assumed: bool,
}

impl NewDirective<'_> {
    fn search_key(&self) -> String {
        crate::directives::search_key(self.number, self.title, self.body, self.issuing_body)
    }
}

/// A `query!`-family statement (`$query`) whose parameters are the fields of directive `$d` in
/// their one order ($1 to $11, its search key last), then `$arg`s ($12, …).
macro_rules! with_fields {
    ($query:ident, $sql:literal, $d:ident $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            $sql,
            $d.number,
            $d.kind as DirectiveKind,
            $d.issuer as Issuer,
            $d.issuing_body,
            $d.issuing_unit_id as Option<UnitId>,
            $d.issued_on,
            $d.title,
            $d.body,
            $d.status.as_str(),
            $d.replaced_by_id as Option<DirectiveId>,
            $d.search_key(),
            $($arg),*
        )
    };
}

/// Saves a new directive and returns its id.
pub async fn insert(conn: &mut PgConnection, d: &NewDirective<'_>) -> sqlx::Result<DirectiveId> {
    with_fields!(
        query_scalar,
        r#"INSERT INTO directives (number, kind, issuer, issuing_body, issuing_unit_id, issued_on, title, body,
                                 status, replaced_by_id, search_key, number_is_assumed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id AS "id: DirectiveId""#,
        d,
        d.number_is_assumed,
    )
    .fetch_one(&mut *conn)
    .await
}

/// Saves directive `id` if it is still at `version`, bumping the version; `false` when someone
/// else saved it meanwhile (nothing is written then).
pub async fn update(
    conn: &mut PgConnection,
    id: DirectiveId,
    version: i32,
    d: &NewDirective<'_>,
) -> sqlx::Result<bool> {
    let updated = with_fields!(
        query,
        "UPDATE directives SET number = $1, kind = $2, issuer = $3, issuing_body = $4, issuing_unit_id = $5,
                issued_on = $6, title = $7, body = $8, status = $9, replaced_by_id = $10, search_key = $11,
                updated_at = now(), version = version + 1
         WHERE id = $12 AND version = $13",
        d,
        id as DirectiveId,
        version,
    )
    .execute(&mut *conn)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// Records that `id` was replaced by `replacement`.
pub async fn set_replaced_by(conn: &mut PgConnection, id: DirectiveId, replacement: DirectiveId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE directives SET replaced_by_id = $2 WHERE id = $1",
        id as DirectiveId,
        replacement as DirectiveId
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
