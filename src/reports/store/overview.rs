//! The reviewer's overview: for each unit of a list, its report's status for a quarter, when
//! it was first submitted and whether it is being corrected after acceptance; days late.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::Status;
use crate::reports::Quarter;
use crate::units::UnitId;

/// The first time each report of these units for the quarter was submitted, and whether an
/// accepted report was reopened and is being corrected (accepted once, not accepted now).
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub unit_id: UnitId,
    pub status: Option<Status>,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub reopened: bool,
}

impl OverviewRow {
    /// Accepted once, reopened for correction and not accepted again yet: "đang sửa". Its
    /// figures are out of the accepted totals until it is accepted again (the roll-ups follow
    /// the status), and the pages say so instead of reading it as "not reported" or "late".
    pub fn is_being_corrected(&self) -> bool {
        self.reopened && self.status != Some(Status::Accepted)
    }
}

pub async fn overview(pool: &PgPool, unit_ids: &[UnitId], quarter: Quarter) -> sqlx::Result<Vec<OverviewRow>> {
    // The events of each report through its index, one aggregate per report: an `EXISTS` in
    // the select list let PostgreSQL hash every event ever recorded instead (a sequential scan
    // of report_events, 21 ms for a province's 102 communes on the quarter-end load's data,
    // growing with history; 0,4 ms this way).
    sqlx::query_as!(
        OverviewRow,
        r#"SELECT u.id AS "unit_id!", r.status AS "status?: Status", ev.first_submitted_at AS "first_submitted_at?",
                  coalesce(ev.reopened, false) AS "reopened!"
           FROM UNNEST($1::int[]) AS u(id)
           LEFT JOIN reports r ON r.unit_id = u.id AND r.year = $2 AND r.quarter = $3
           LEFT JOIN LATERAL (
               SELECT min(e.at) FILTER (WHERE e.to_status = 'da_gui') AS first_submitted_at,
                      bool_or(e.from_status = 'da_duyet') AS reopened
               FROM report_events e WHERE e.report_id = r.id
           ) ev ON true"#,
        unit_ids as &[UnitId],
        quarter.year(),
        i16::from(quarter.number()),
    )
    .fetch_all(pool)
    .await
}

/// Days late: how far after the due date (Vietnam time) something happened.
pub fn days_late(at: DateTime<Utc>, due: NaiveDate) -> i64 {
    let local = at.with_timezone(&crate::format::VIETNAM).date_naive();
    (local - due).num_days().max(0)
}
