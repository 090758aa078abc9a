//! Review milestones (sơ kết, tổng kết) of a directive, and the ones coming due.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::DirectiveId;
use crate::vocabulary::{id, vocabulary};

id! {
    /// A milestone's id (`milestones.id`), under its directive's.
    pub struct MilestoneId;
}

vocabulary! {
    /// A review milestone's kind (`milestones.kind`, checked by the table).
    pub enum MilestoneKind: "loại mốc" {
        /// Sơ kết: an interim review of how a directive is carried out.
        Interim = "so_ket" => "Sơ kết",
        /// Tổng kết: the final review.
        Final = "tong_ket" => "Tổng kết",
    }
}

#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: MilestoneId,
    pub directive_id: DirectiveId,
    pub kind: MilestoneKind,
    pub due_on: NaiveDate,
    pub description: String,
}

impl Milestone {
    pub fn date(&self) -> String {
        crate::format::date(self.due_on)
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.due_on < today
    }
}

pub async fn milestones(pool: &PgPool, directive_id: DirectiveId) -> sqlx::Result<Vec<Milestone>> {
    sqlx::query_as!(
        Milestone,
        r#"SELECT id, directive_id AS "directive_id: DirectiveId", kind AS "kind: MilestoneKind", due_on, description
         FROM milestones WHERE directive_id = $1 ORDER BY due_on, id"#,
        directive_id as DirectiveId,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone)]
pub struct DueMilestone {
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
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    let rows = sqlx::query!(
        r#"SELECT m.id, m.directive_id AS "directive_id: DirectiveId", m.kind AS "kind: MilestoneKind", m.due_on,
                m.description, d.number, d.title, d.issuing_body
         FROM milestones m JOIN directives d ON d.id = m.directive_id
         LEFT JOIN units u ON u.id = d.issuing_unit_id
         WHERE m.due_on BETWEEN $2 AND $3
           AND ($1::ltree IS NULL OR d.issuing_unit_id IS NULL OR u.path <@ $1::ltree OR u.path @> $1::ltree)
         ORDER BY m.due_on, d.number"#,
        path as _,
        from,
        to,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| DueMilestone {
            milestone: Milestone {
                id: MilestoneId(row.id),
                directive_id: row.directive_id,
                kind: row.kind,
                due_on: row.due_on,
                description: row.description,
            },
            number: row.number,
            title: row.title,
            issuing_body: row.issuing_body,
        })
        .collect())
}

/// Saves a milestone and returns its id.
pub async fn insert_milestone(
    conn: &mut PgConnection,
    directive_id: DirectiveId,
    kind: MilestoneKind,
    due_on: NaiveDate,
    description: &str,
) -> sqlx::Result<MilestoneId> {
    sqlx::query_scalar!(
        "INSERT INTO milestones (directive_id, kind, due_on, description) VALUES ($1, $2, $3, $4) RETURNING id",
        directive_id as DirectiveId,
        kind.as_str(),
        due_on,
        description,
    )
    .fetch_one(&mut *conn)
    .await
    .map(MilestoneId)
}
