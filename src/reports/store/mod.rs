//! SQL over reports, their values, task progress, snapshots and workflow events, one file per
//! purpose: reading reports ([`report`]), saving drafts ([`save`]), versions and moves
//! ([`history`]), the reviewer's overview ([`overview`]) and the narrative ([`narrative`]).
//! Callers name everything as `store::…`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;

use super::Quarter;
use crate::units::UnitId;

/// Statements over `reports` that read whole [`Report`]s: `sqlx::query_as!(Report, …)` with the
/// columns of [`Report`] (the macros take string literals, joined with `+`, never constants).
///
/// - `select_reports!("FROM reports WHERE …", args…)`: `SELECT <columns> FROM reports WHERE …`;
/// - `select_reports!(with "WITH saved AS (…) ", "FROM saved", args…)`: the same columns read from
///   a CTE.
///
/// Each column is marked with what the table guarantees (`"unit_id!"`: never null, `"submitted_at?"`:
/// may be null), as PostgreSQL cannot prove it for a CTE's columns; read from the table itself
/// the marks change nothing. The typed text and the rule notes are `jsonb`, read as
/// `Json<BTreeMap<String, String>>`.
///
/// `@into Record, [with], [sql + …]` is [`select_stored!`]'s: the columns of [`Report`] followed
/// by its own, into a record of its own.
macro_rules! select_reports {
    (@into $record:ident, [$($with:literal)?], [$rest:literal $(+ $more:literal)*] $(, $arg:expr)*) => {
        sqlx::query_as!(
            $record,
            $($with +)? r#"SELECT id AS "id!: ReportId", unit_id AS "unit_id!", year AS "year!", quarter AS "quarter!",
                            status AS "status!: Status", version AS "version!", ket_qua AS "ket_qua!", han_che AS "han_che!",
                            nguyen_nhan AS "nguyen_nhan!", phuong_huong AS "phuong_huong!", kien_nghi AS "kien_nghi!",
                            raw_inputs AS "raw_inputs!: Json<BTreeMap<String, String>>",
                            rule_notes AS "rule_notes!: Json<BTreeMap<String, String>>",
                            submitted_at AS "submitted_at?", reviewed_at AS "reviewed_at?", updated_at AS "updated_at!" "#
                + $rest $(+ $more)*
            $(, $arg)*
        )
    };
    ($(with $with:literal,)? $rest:literal $(, $arg:expr)* $(,)?) => {
        select_reports!(@into Report, [$($with)?], [$rest] $(, $arg)*)
    };
}

/// `sqlx::query_as!(StoredRow, …)`: the columns of [`Report`] (those of [`select_reports!`])
/// read from `$from` (`reports`, or a CTE with its columns) named `report`, and beside each row
/// the figures stored for it as three arrays in one order (`None` for a report without
/// figures), read by one `LEFT JOIN LATERAL`; `$with` goes before, `$rest` after.
macro_rules! select_stored {
    ($with:literal, $from:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        select_reports!(
            @into StoredRow,
            [$with],
            [r#", v.stored_codes AS "stored_codes?: Vec<String>",
                  v.stored_organisations AS "stored_organisations?: Vec<String>",
                  v.stored_values AS "stored_values?: Vec<Decimal>" "#
                + $from
                + r#" AS report
                 LEFT JOIN LATERAL (
                     SELECT array_agg(element_code ORDER BY element_code, organisation_code) AS stored_codes,
                            array_agg(organisation_code ORDER BY element_code, organisation_code) AS stored_organisations,
                            array_agg(value ORDER BY element_code, organisation_code) AS stored_values
                     FROM report_values WHERE report_id = report.id
                 ) v ON true "#
                + $rest]
            $(, $arg)*
        )
    };
}

mod history;
mod narrative;
mod overview;
mod report;
mod save;
mod year;

pub use history::{Event, Snapshot, recent_events, snapshot, transition};
pub use narrative::Narrative;
pub use overview::{OverviewRow, days_late, overview};
pub use report::{
    QuarterFigure, Report, ReportId, TaskProgress, TaskState, by_id, count_below, count_by_status, figures_of, find,
    find_for_update, find_many, latest_quarter, task_progress, units_reporting_on, values, values_many,
};
pub use save::{BatchError, Draft, Save, SaveError, Saved, save, save_many, save_many_with_values};
pub use year::{YearValue, values_of_year};

/// The statuses belong to the workflow; named here too for the callers that read them with
/// the reports (metrics, dashboards, exports).
pub use super::workflow::Status;

/// `CODE`, or `CODE.ORG` for a figure broken down by organisation.
fn field_key(code: String, organisation: &str) -> String {
    if organisation.is_empty() { code } else { format!("{code}.{organisation}") }
}

/// A report's key: its unit's id and its quarter.
type Key = (UnitId, Quarter);

/// The keys as three columns for `UNNEST($1::int[], $2::int[], $3::smallint[])`.
fn key_columns(keys: &[Key]) -> (Vec<i32>, Vec<i32>, Vec<i16>) {
    (
        keys.iter().map(|(unit, _)| unit.0).collect(),
        keys.iter().map(|(_, quarter)| quarter.year()).collect(),
        keys.iter().map(|(_, quarter)| i16::from(quarter.number())).collect(),
    )
}

/// A report as its row holds it, with every figure stored for it.
#[derive(Debug)]
struct Stored {
    report: Report,
    stored_codes: Option<Vec<String>>,
    stored_organisations: Option<Vec<String>>,
    stored_values: Option<Vec<Decimal>>,
}

/// A row of [`select_stored!`]: the columns of [`Report`] and the three arrays of [`Stored`].
struct StoredRow {
    id: ReportId,
    unit_id: UnitId,
    year: i32,
    quarter: i16,
    status: Status,
    version: i32,
    ket_qua: String,
    han_che: String,
    nguyen_nhan: String,
    phuong_huong: String,
    kien_nghi: String,
    raw_inputs: Json<BTreeMap<String, String>>,
    rule_notes: Json<BTreeMap<String, String>>,
    submitted_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    stored_codes: Option<Vec<String>>,
    stored_organisations: Option<Vec<String>>,
    stored_values: Option<Vec<Decimal>>,
}

impl From<StoredRow> for Stored {
    fn from(row: StoredRow) -> Self {
        Stored {
            report: Report {
                id: row.id,
                unit_id: row.unit_id,
                year: row.year,
                quarter: row.quarter,
                status: row.status,
                version: row.version,
                ket_qua: row.ket_qua,
                han_che: row.han_che,
                nguyen_nhan: row.nguyen_nhan,
                phuong_huong: row.phuong_huong,
                kien_nghi: row.kien_nghi,
                raw_inputs: row.raw_inputs,
                rule_notes: row.rule_notes,
                submitted_at: row.submitted_at,
                reviewed_at: row.reviewed_at,
                updated_at: row.updated_at,
            },
            stored_codes: row.stored_codes,
            stored_organisations: row.stored_organisations,
            stored_values: row.stored_values,
        }
    }
}

impl Stored {
    /// The stored figures by field key.
    fn values(&self) -> BTreeMap<String, Decimal> {
        let codes = self.stored_codes.iter().flatten();
        let organisations = self.stored_organisations.iter().flatten();
        let values = self.stored_values.iter().flatten();
        codes
            .zip(organisations)
            .zip(values)
            .map(|((code, org), value)| (field_key(code.clone(), org), *value))
            .collect()
    }
}
