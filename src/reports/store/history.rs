//! A report's history: the snapshot of each version (what a stale save or review is told
//! changed since), the workflow events, and the move from one status to another.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::{Narrative, Report, ReportId, Status, Stored, StoredRow};
use crate::auth::UserId;

/// Stores what the report holds at its current version, so that a later stale save or review
/// can be told what changed since.
async fn record_snapshot(
    tx: &mut PgConnection,
    report: &Report,
    snapshot: &Snapshot,
    saved_by: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO report_snapshots (report_id, version, data, saved_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (report_id, version) DO NOTHING",
        report.id as ReportId,
        report.version,
        serde_json::to_value(snapshot).unwrap_or_default(),
        saved_by,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What a version held: enough to tell a person what changed since they opened the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// As JSON numbers, as snapshots saved before figures became decimals hold them.
    #[serde(with = "crate::figures::map")]
    pub values: BTreeMap<String, Decimal>,
    pub narrative: Narrative,
    /// Stored as its word; `None` only in the empty snapshot ([`Snapshot::default`]) that
    /// stands for a version with none kept.
    pub status: Option<Status>,
}

/// What the report held at `version`: its snapshot, or for versions recorded before review
/// actions kept snapshots, the latest one before it.
pub async fn snapshot(pool: &PgPool, report_id: ReportId, version: i32) -> sqlx::Result<Option<Snapshot>> {
    let data = sqlx::query_scalar!(
        "SELECT data FROM report_snapshots WHERE report_id = $1 AND version <= $2 ORDER BY version DESC LIMIT 1",
        report_id as ReportId,
        version,
    )
    .fetch_optional(pool)
    .await?;
    Ok(data.and_then(|d| serde_json::from_value(d).ok()))
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub remarks: String,
    pub field_remarks: Json<BTreeMap<String, String>>,
}

impl Event {
    pub fn when(&self) -> String {
        self.at.with_timezone(&crate::format::VIETNAM).format("%H:%M %d/%m/%Y").to_string()
    }

    pub fn to_label(&self) -> &'static str {
        self.to_status.label()
    }
}

/// The latest `limit` transitions of the report, oldest first, and how many it has in all.
/// A report is sent, returned and accepted a few times a quarter; one corrected over and over
/// (a script, or a benchmark's thousands of cycles) would otherwise make every opening of its
/// form read and render all of them.
pub async fn recent_events(pool: &PgPool, report_id: ReportId, limit: i64) -> sqlx::Result<(Vec<Event>, i64)> {
    let mut latest = sqlx::query_as!(
        Event,
        r#"SELECT at, actor_name, from_status AS "from_status: Status", to_status AS "to_status: Status", remarks,
                  field_remarks AS "field_remarks: Json<BTreeMap<String, String>>"
           FROM report_events WHERE report_id = $1 ORDER BY at DESC, id DESC LIMIT $2"#,
        report_id as ReportId,
        limit,
    )
    .fetch_all(pool)
    .await?;
    latest.reverse();
    let total = if (latest.len() as i64) < limit {
        latest.len() as i64
    } else {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "total!" FROM report_events WHERE report_id = $1"#,
            report_id as ReportId
        )
        .fetch_one(pool)
        .await?
    };
    Ok((latest, total))
}

/// Moves the report to `to` and records the transition. Returns what the move changed for
/// dashboards: apply it to the cache (`AggregateCache::apply`) once the transaction commits.
pub async fn transition(
    tx: &mut PgConnection,
    report: &Report,
    to: Status,
    actor: (UserId, &str),
    remarks: &str,
    field_remarks: &BTreeMap<String, String>,
) -> sqlx::Result<crate::dashboards::cache::Change> {
    let (submitted, reviewed) = match to {
        Status::Submitted => (true, false),
        Status::Accepted | Status::Returned => (false, true),
        Status::Draft => (false, false),
    };
    // The roll-ups of every unit above move in the same transaction as the status.
    let rollup_move = crate::dashboards::rollup::ReportMove {
        report_id: report.id,
        unit_id: report.unit_id,
        year: report.year,
        quarter: report.quarter,
        from: report.status,
        to,
    };
    let rollup = crate::dashboards::rollup::before_move(&mut *tx, rollup_move).await?;
    // The status and its event in one statement, which returns the figures for the new
    // version's snapshot (a move changes none): one round trip where four were.
    let moved: Stored = select_stored!(
        "WITH moved AS (
             UPDATE reports SET status = $2, version = version + 1, updated_at = now(),
                    submitted_at = CASE WHEN $3 THEN now() ELSE submitted_at END,
                    submitted_by = CASE WHEN $3 THEN $5 ELSE submitted_by END,
                    reviewed_at = CASE WHEN $4 THEN now() ELSE reviewed_at END,
                    reviewed_by = CASE WHEN $4 THEN $5 ELSE reviewed_by END
             WHERE id = $1
             RETURNING reports.*
         ),
         event AS (
             INSERT INTO report_events (report_id, actor_id, actor_name, from_status, to_status, remarks, field_remarks)
             VALUES ($1, $5, $6, $7, $2, $8, $9)
         )
         ",
        "FROM moved",
        "",
        report.id as ReportId,
        to.as_str(),
        submitted,
        reviewed,
        actor.0 as UserId,
        actor.1,
        report.status.as_str(),
        remarks,
        serde_json::to_value(field_remarks).unwrap_or_default(),
    )
    .fetch_one(&mut *tx)
    .await?
    .into();
    let change = crate::dashboards::rollup::after_move(&mut *tx, rollup).await?;
    let snapshot =
        Snapshot { values: moved.values(), narrative: moved.report.narrative(), status: Some(moved.report.status) };
    record_snapshot(&mut *tx, &moved.report, &snapshot, actor.1).await?;
    Ok(change)
}
