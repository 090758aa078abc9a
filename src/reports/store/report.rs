//! Reading reports: one by its unit and quarter (locked or not), many at once, their figures,
//! the names of retired figures, task progress, and the count by status.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::{Key, Narrative, Status, field_key, key_columns};
use crate::directives::TaskId;
use crate::reports::Quarter;
use crate::units::UnitId;
use crate::vocabulary::{id, vocabulary};

id! {
    /// A report's id (`reports.id`), never mistaken for a unit's, a task's or a version.
    pub struct ReportId;
}

#[derive(Debug, Clone)]
pub struct Report {
    pub id: ReportId,
    pub unit_id: UnitId,
    pub year: i32,
    pub quarter: i16,
    pub status: Status,
    pub version: i32,
    pub ket_qua: String,
    pub han_che: String,
    pub nguyen_nhan: String,
    pub phuong_huong: String,
    pub kien_nghi: String,
    pub raw_inputs: Json<BTreeMap<String, String>>,
    pub rule_notes: Json<BTreeMap<String, String>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Report {
    pub fn narrative(&self) -> Narrative {
        Narrative {
            ket_qua: self.ket_qua.clone(),
            han_che: self.han_che.clone(),
            nguyen_nhan: self.nguyen_nhan.clone(),
            phuong_huong: self.phuong_huong.clone(),
            kien_nghi: self.kien_nghi.clone(),
        }
    }
}

/// The unit's report of `quarter`, if one was ever saved.
pub async fn find(pool: &PgPool, unit_id: UnitId, quarter: Quarter) -> sqlx::Result<Option<Report>> {
    select_reports!(
        "FROM reports WHERE unit_id = $1 AND year = $2 AND quarter = $3",
        unit_id as UnitId,
        quarter.year(),
        i16::from(quarter.number())
    )
    .fetch_optional(pool)
    .await
}

/// The latest quarter the unit has a report of (any status), if any. A report is found by its
/// unit's code on the quarter's last day, so a unit must not end before that day.
pub async fn latest_quarter(pool: &PgPool, unit_id: UnitId) -> sqlx::Result<Option<Quarter>> {
    let row = sqlx::query!(
        "SELECT year, quarter FROM reports WHERE unit_id = $1 ORDER BY year DESC, quarter DESC LIMIT 1",
        unit_id as UnitId,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|row| Quarter::new(row.year, u8::try_from(row.quarter).ok()?)))
}

/// How many reports each status holds across the whole deployment (`nhap`, `da_gui`,
/// `tra_lai`, `da_duyet` — those with no report are absent), for the metrics endpoint. One scan
/// of `reports`: call it every few seconds at most.
pub async fn count_by_status(pool: &PgPool) -> sqlx::Result<Vec<(Status, i64)>> {
    let rows = sqlx::query!(r#"SELECT status AS "status: Status", count(*) AS "count!" FROM reports GROUP BY status"#)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|row| (row.status, row.count)).collect())
}

/// How many reports of the units directly below `parent` are in `status` (any quarter): a
/// reviewer's home page counts those waiting for review (`Status::Submitted`).
pub async fn count_below(pool: &PgPool, parent: UnitId, status: Status) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM reports r JOIN units u ON u.id = r.unit_id
         WHERE u.parent_id = $1 AND r.status = $2"#,
        parent as UnitId,
        status as Status,
    )
    .fetch_one(pool)
    .await
}

/// The stored values by field key (`CODE` or `CODE.ORG`).
pub async fn values(pool: &PgPool, report_id: ReportId) -> sqlx::Result<BTreeMap<String, Decimal>> {
    let rows = sqlx::query!(
        "SELECT element_code, organisation_code, value FROM report_values WHERE report_id = $1",
        report_id as ReportId
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| (field_key(row.element_code, &row.organisation_code), row.value)).collect())
}

/// The reports these keys name, those that exist, in one query (an import of a province's
/// year names 2 000).
pub(super) async fn select_many<'e>(executor: impl sqlx::PgExecutor<'e>, keys: &[Key]) -> sqlx::Result<Vec<Report>> {
    let (units, years, quarters) = key_columns(keys);
    select_reports!(
        "FROM reports WHERE (unit_id, year, quarter) IN (SELECT * FROM UNNEST($1::int[], $2::int[], $3::smallint[]))",
        &units,
        &years,
        &quarters,
    )
    .fetch_all(executor)
    .await
}

/// [`find`] for many (unit id, quarter) keys in one query: the reports that exist.
pub async fn find_many(pool: &PgPool, keys: &[Key]) -> sqlx::Result<Vec<Report>> {
    select_many(pool, keys).await
}

/// [`values`] of many reports in one query, by report id (reports without values are absent).
pub async fn values_many<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    report_ids: &[ReportId],
) -> sqlx::Result<HashMap<ReportId, BTreeMap<String, Decimal>>> {
    let rows = sqlx::query!(
        r#"SELECT report_id AS "report_id: ReportId", element_code, organisation_code, value
           FROM report_values WHERE report_id = ANY($1)"#,
        report_ids as &[ReportId],
    )
    .fetch_all(executor)
    .await?;
    let mut by_report: HashMap<ReportId, BTreeMap<String, Decimal>> = HashMap::new();
    for row in rows {
        by_report
            .entry(row.report_id)
            .or_default()
            .insert(field_key(row.element_code, &row.organisation_code), row.value);
    }
    Ok(by_report)
}

vocabulary! {
    /// How far a unit has carried out a directive's task, as its quarterly report says
    /// (`report_task_progress.status`, checked by the table).
    pub enum TaskState: "tình trạng nhiệm vụ" {
        NotStarted = "chua_trien_khai" => "Chưa triển khai",
        InProgress = "dang_thuc_hien" => "Đang thực hiện",
        Done = "hoan_thanh" => "Hoàn thành",
    }
}

#[derive(Debug, Clone)]
pub struct TaskProgress {
    pub task_id: TaskId,
    pub status: TaskState,
    pub note: String,
}

pub async fn task_progress(pool: &PgPool, report_id: ReportId) -> sqlx::Result<Vec<TaskProgress>> {
    sqlx::query_as!(
        TaskProgress,
        r#"SELECT task_id AS "task_id: TaskId", status AS "status: TaskState", note
           FROM report_task_progress WHERE report_id = $1"#,
        report_id as ReportId
    )
    .fetch_all(pool)
    .await
}

/// How many units have reported progress on `task` in any report (such a task is history
/// and stays).
pub async fn units_reporting_on(pool: &PgPool, task: TaskId) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(DISTINCT r.unit_id) AS "count!" FROM report_task_progress p JOIN reports r ON r.id = p.report_id
         WHERE p.task_id = $1"#,
        task as TaskId,
    )
    .fetch_one(pool)
    .await
}

/// One figure of one of a unit's reports (see [`figures_of`]).
#[derive(Debug, Clone)]
pub struct QuarterFigure {
    pub year: i32,
    /// 1–4.
    pub quarter: i16,
    pub element_code: String,
    /// Empty for a figure without a breakdown.
    pub organisation_code: String,
    pub value: Decimal,
}

/// The figures of `codes` in the reports of `unit` from `from` to `to` (`year * 10 + quarter`,
/// both included) whose status is one of `statuses` (words of [`super::Status`]), by quarter,
/// element and organisation: where a dashboard's figure for the unit itself came from.
pub async fn figures_of(
    pool: &PgPool,
    unit: UnitId,
    (from, to): (i32, i32),
    codes: &[String],
    statuses: &[String],
) -> sqlx::Result<Vec<QuarterFigure>> {
    sqlx::query_as!(
        QuarterFigure,
        "SELECT r.year, r.quarter, v.element_code, v.organisation_code, v.value
         FROM reports r JOIN report_values v ON v.report_id = r.id
         WHERE r.unit_id = $1 AND r.year * 10 + r.quarter BETWEEN $2 AND $3 AND v.element_code = ANY($4)
           AND r.status = ANY($5)
         ORDER BY r.year, r.quarter, v.element_code, v.organisation_code",
        unit as UnitId,
        from,
        to,
        codes,
        statuses,
    )
    .fetch_all(pool)
    .await
}

/// [`find`] in a transaction, locking the report's row until it ends (a reviewer's action
/// waits for a save in flight, and the other way round).
pub async fn find_for_update(tx: &mut PgConnection, unit_id: UnitId, quarter: Quarter) -> sqlx::Result<Option<Report>> {
    select_reports!(
        "FROM reports WHERE unit_id = $1 AND year = $2 AND quarter = $3 FOR UPDATE",
        unit_id as UnitId,
        quarter.year(),
        i16::from(quarter.number()),
    )
    .fetch_optional(&mut *tx)
    .await
}

pub async fn by_id(tx: &mut PgConnection, id: ReportId) -> sqlx::Result<Report> {
    select_reports!("FROM reports WHERE id = $1", id as ReportId).fetch_one(&mut *tx).await
}
