//! SQL over reports, their values, task progress, snapshots and workflow events.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::Quarter;
/// The statuses belong to the workflow; named here too for the callers that read them with
/// the reports (metrics, dashboards, exports).
pub use super::workflow::Status;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Narrative {
    #[serde(default)]
    pub ket_qua: String,
    #[serde(default)]
    pub han_che: String,
    #[serde(default)]
    pub nguyen_nhan: String,
    #[serde(default)]
    pub phuong_huong: String,
    #[serde(default)]
    pub kien_nghi: String,
}

impl Narrative {
    /// (field name, Vietnamese heading, text)
    pub fn sections(&self) -> [(&'static str, &'static str, &str); 5] {
        [
            ("ket_qua", "Kết quả", &self.ket_qua),
            ("han_che", "Hạn chế", &self.han_che),
            ("nguyen_nhan", "Nguyên nhân", &self.nguyen_nhan),
            ("phuong_huong", "Phương hướng quý tới", &self.phuong_huong),
            ("kien_nghi", "Kiến nghị – đề xuất", &self.kien_nghi),
        ]
    }

    /// Sets one section from what was typed or pasted, cleaned as stored text is
    /// ([`crate::text::from_word`]: Word's vertical tab a line break, a form feed a new paragraph,
    /// nothing raw that HTML or the DOCX would glue or print).
    pub fn set(&mut self, name: &str, text: String) {
        let text = crate::text::from_word(&text);
        match name {
            "ket_qua" => self.ket_qua = text,
            "han_che" => self.han_che = text,
            "nguyen_nhan" => self.nguyen_nhan = text,
            "phuong_huong" => self.phuong_huong = text,
            "kien_nghi" => self.kien_nghi = text,
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub id: i32,
    pub unit_id: i32,
    pub year: i32,
    pub quarter: i16,
    pub status: String,
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
    pub fn status(&self) -> Status {
        Status::parse(&self.status)
    }

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

/// Statements over `reports` that read whole [`Report`]s: `sqlx::query_as!(Report, …)` with the
/// columns of [`Report`] (the macros take string literals, joined with `+`, never constants).
///
/// - `select_reports!("FROM reports WHERE …", args…)`: `SELECT <columns> FROM reports WHERE …`;
/// - `select_reports!(with "WITH saved AS (…) ", "FROM saved", args…)`: the columns read from a
///   CTE, each marked as PostgreSQL cannot prove it (`"id!"`: a CTE's columns are not the table's).
///
/// The typed text and the rule notes are `jsonb`, read as `Json<BTreeMap<String, String>>`.
macro_rules! select_reports {
    (with $with:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Report,
            $with
                + r#"SELECT id AS "id!", unit_id AS "unit_id!", year AS "year!", quarter AS "quarter!", status AS "status!",
                            version AS "version!", ket_qua AS "ket_qua!", han_che AS "han_che!",
                            nguyen_nhan AS "nguyen_nhan!", phuong_huong AS "phuong_huong!", kien_nghi AS "kien_nghi!",
                            raw_inputs AS "raw_inputs!: Json<BTreeMap<String, String>>",
                            rule_notes AS "rule_notes!: Json<BTreeMap<String, String>>",
                            submitted_at AS "submitted_at?", reviewed_at AS "reviewed_at?", updated_at AS "updated_at!" "#
                + $rest
            $(, $arg)*
        )
    };
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Report,
            r#"SELECT id, unit_id, year, quarter, status, version, ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi,
                      raw_inputs AS "raw_inputs: Json<BTreeMap<String, String>>",
                      rule_notes AS "rule_notes: Json<BTreeMap<String, String>>",
                      submitted_at, reviewed_at, updated_at "#
                + $rest
            $(, $arg)*
        )
    };
}

/// `sqlx::query_as!(StoredRow, …)`: the columns of [`Report`] read from `$from` (`reports`, or
/// a CTE with its columns) named `report`, and beside each row the figures stored for it as
/// three arrays in one order (`None` for a report without figures), read by one
/// `LEFT JOIN LATERAL`; `$with` goes before, `$rest` after.
macro_rules! select_stored {
    ($with:literal, $from:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StoredRow,
            $with
                + r#"SELECT id AS "id!", unit_id AS "unit_id!", year AS "year!", quarter AS "quarter!", status AS "status!",
                            version AS "version!", ket_qua AS "ket_qua!", han_che AS "han_che!",
                            nguyen_nhan AS "nguyen_nhan!", phuong_huong AS "phuong_huong!", kien_nghi AS "kien_nghi!",
                            raw_inputs AS "raw_inputs!: Json<BTreeMap<String, String>>",
                            rule_notes AS "rule_notes!: Json<BTreeMap<String, String>>",
                            submitted_at AS "submitted_at?", reviewed_at AS "reviewed_at?", updated_at AS "updated_at!",
                            v.stored_codes AS "stored_codes?: Vec<String>",
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
                + $rest
            $(, $arg)*
        )
    };
}

pub async fn find(pool: &PgPool, unit_id: i32, year: i32, quarter: u8) -> sqlx::Result<Option<Report>> {
    select_reports!("FROM reports WHERE unit_id = $1 AND year = $2 AND quarter = $3", unit_id, year, i16::from(quarter))
        .fetch_optional(pool)
        .await
}

/// How many reports each status holds across the whole deployment (`nhap`, `da_gui`,
/// `tra_lai`, `da_duyet` — those with no report are absent), for the metrics endpoint. One scan
/// of `reports`: call it every few seconds at most.
pub async fn count_by_status(pool: &PgPool) -> sqlx::Result<Vec<(Status, i64)>> {
    let rows =
        sqlx::query!(r#"SELECT status, count(*) AS "count!" FROM reports GROUP BY status"#).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|row| (Status::parse(&row.status), row.count)).collect())
}

/// The stored values by field key (`CODE` or `CODE.ORG`).
pub async fn values(pool: &PgPool, report_id: i32) -> sqlx::Result<BTreeMap<String, Decimal>> {
    let rows = sqlx::query!(
        "SELECT element_code, organisation_code, value FROM report_values WHERE report_id = $1",
        report_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| (field_key(row.element_code, &row.organisation_code), row.value)).collect())
}

/// `CODE`, or `CODE.ORG` for a figure broken down by organisation.
fn field_key(code: String, organisation: &str) -> String {
    if organisation.is_empty() { code } else { format!("{code}.{organisation}") }
}

/// A report's key: its unit's id and its quarter.
type Key = (i32, Quarter);

/// The reports these keys name, those that exist, in one query (an import of a province's
/// year names 2 000).
async fn select_many<'e>(executor: impl sqlx::PgExecutor<'e>, keys: &[Key]) -> sqlx::Result<Vec<Report>> {
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

/// The keys as three columns for `UNNEST($1::int[], $2::int[], $3::smallint[])`.
fn key_columns(keys: &[Key]) -> (Vec<i32>, Vec<i32>, Vec<i16>) {
    (
        keys.iter().map(|(unit, _)| *unit).collect(),
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
    id: i32,
    unit_id: i32,
    year: i32,
    quarter: i16,
    status: String,
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

/// The reports these keys name, those that exist, each row locked until the transaction ends
/// (in the order of their ids, so that two batches cannot deadlock on rows both hold), with
/// their figures: one round trip where a lock and a read of the values took two.
///
/// The figures are read with the statement's snapshot. When the row was changed while this
/// waited for its lock, they may be older than the row; every change of a report's figures
/// moves its version in the same transaction, so such a report is then refused as stale and
/// its figures are not used.
async fn lock_many(tx: &mut PgConnection, keys: &[Key]) -> sqlx::Result<Vec<Stored>> {
    let (units, years, quarters) = key_columns(keys);
    let rows = select_stored!(
        "",
        "FROM reports",
        "WHERE (unit_id, year, quarter) IN (SELECT * FROM UNNEST($1::int[], $2::int[], $3::smallint[]))
         ORDER BY id FOR UPDATE OF report",
        &units,
        &years,
        &quarters,
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(Stored::from).collect())
}

/// [`find`] for many (unit id, year, quarter) keys in one query: the reports that exist (the
/// import, outside reports, still names quarters as pairs; a quarter outside 1–4 names none).
pub async fn find_many(pool: &PgPool, keys: &[(i32, i32, u8)]) -> sqlx::Result<Vec<Report>> {
    let keys: Vec<Key> =
        keys.iter().filter_map(|&(unit, year, number)| Some((unit, Quarter::new(year, number)?))).collect();
    select_many(pool, &keys).await
}

/// [`values`] of many reports in one query, by report id (reports without values are absent).
pub async fn values_many<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    report_ids: &[i32],
) -> sqlx::Result<HashMap<i32, BTreeMap<String, Decimal>>> {
    let rows = sqlx::query!(
        "SELECT report_id, element_code, organisation_code, value FROM report_values WHERE report_id = ANY($1)",
        report_ids,
    )
    .fetch_all(executor)
    .await?;
    let mut by_report: HashMap<i32, BTreeMap<String, Decimal>> = HashMap::new();
    for row in rows {
        by_report
            .entry(row.report_id)
            .or_default()
            .insert(field_key(row.element_code, &row.organisation_code), row.value);
    }
    Ok(by_report)
}

/// Names of every element and organisation, retired ones included, for figures the form no
/// longer shows.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub elements: std::collections::HashMap<String, String>,
    pub organisations: std::collections::HashMap<String, String>,
}

pub async fn names(pool: &PgPool) -> sqlx::Result<Names> {
    let elements = sqlx::query!("SELECT code, name FROM data_elements").fetch_all(pool).await?;
    let organisations = sqlx::query!("SELECT code, short_name FROM organisations").fetch_all(pool).await?;
    Ok(Names {
        elements: elements.into_iter().map(|row| (row.code, row.name)).collect(),
        organisations: organisations.into_iter().map(|row| (row.code, row.short_name)).collect(),
    })
}

#[derive(Debug, Clone)]
pub struct TaskProgress {
    pub task_id: i32,
    pub status: String,
    pub note: String,
}

pub async fn task_progress(pool: &PgPool, report_id: i32) -> sqlx::Result<Vec<TaskProgress>> {
    sqlx::query_as!(
        TaskProgress,
        "SELECT task_id, status, note FROM report_task_progress WHERE report_id = $1",
        report_id
    )
    .fetch_all(pool)
    .await
}

/// Everything a save writes.
///
/// A save speaks only for the keys it names: those in `values`, `raw_inputs` and `cleared`.
/// Each of them is replaced (its stored figure and its typed text); every other stored figure
/// stays as it is, whatever the catalogue says today. So a figure whose element was retired,
/// moved off the unit's level or re-broken-down, or whose organisation was retired, is never
/// removed by a save that did not show it.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub values: BTreeMap<String, Decimal>,
    /// Keys whose value is removed (fields shown and left empty).
    pub cleared: Vec<String>,
    /// Typed text, kept so that input that could not be read is shown again as typed.
    pub raw_inputs: BTreeMap<String, String>,
    pub narrative: Option<Narrative>,
    pub rule_notes: Option<BTreeMap<String, String>>,
    /// Progress on tasks: the caller passes only tasks assigned to the report's unit.
    pub tasks: Option<Vec<(i32, String, String)>>,
    /// No effect: a save never removes keys it does not name (see above). Kept so that
    /// existing callers still compile.
    pub replace_all: bool,
}

impl Draft {
    /// The keys this save replaces.
    pub fn keys(&self) -> std::collections::BTreeSet<&str> {
        self.values.keys().chain(self.raw_inputs.keys()).chain(self.cleared.iter()).map(String::as_str).collect()
    }
}

#[derive(Debug)]
pub enum SaveError {
    /// Someone saved since `expected`; the report is now at `current`.
    Stale {
        current: i32,
    },
    /// The report is submitted or accepted: the unit may not change it now.
    Locked(Status),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for SaveError {
    fn from(error: sqlx::Error) -> Self {
        SaveError::Database(error)
    }
}

/// Saves a draft if `expected_version` is the stored version (0: not created yet). Returns the
/// report as saved. Two first saves at once do not collide: the second finds the first's row
/// and is refused as stale.
///
/// The one-report case of [`save_many`]: a fixed number of statements whatever the number of
/// figures (about six round trips), because at quarter-end, with dashboards keeping both
/// cores busy, each round trip of a save waits its turn for the CPU (issue 12's budget:
/// saves p99 < 30 ms during the churn).
pub async fn save(
    tx: &mut PgConnection,
    unit_id: i32,
    quarter: Quarter,
    expected_version: i32,
    draft: &Draft,
    actor: (i32, &str),
) -> Result<Report, SaveError> {
    let one = [Save { unit_id, quarter, expected_version, draft }];
    let mut saved = save_many(tx, &one, (Some(actor.0), actor.1)).await.map_err(|failure| failure.error)?;
    saved.pop().ok_or(SaveError::Database(sqlx::Error::RowNotFound))
}

/// One report's part of a [`save_many`].
#[derive(Debug, Clone, Copy)]
pub struct Save<'a> {
    pub unit_id: i32,
    pub quarter: Quarter,
    /// As for [`save`]: the version the caller read, 0 for a report not created yet.
    pub expected_version: i32,
    pub draft: &'a Draft,
}

/// Why a [`save_many`] failed. Some statements may have run: roll the transaction back.
#[derive(Debug)]
pub struct BatchError {
    /// The index of the save that was refused (stale or locked); `None` when the database failed.
    pub index: Option<usize>,
    pub error: SaveError,
}

impl From<sqlx::Error> for BatchError {
    fn from(error: sqlx::Error) -> Self {
        BatchError { index: None, error: SaveError::Database(error) }
    }
}

/// [`save`] of many reports at once, in a fixed number of statements whatever their number
/// (an import of a province's year writes 2 000 reports and 100 000 values; one save each
/// took a round trip per value). Each report gets what [`save`] gives it: the same checks
/// (stale version, submitted or accepted report), its keys replaced and its other figures
/// kept, typed text merged, the narrative, notes and tasks the draft carries, one new version
/// and its snapshot. The first refusal, in the order of `saves`, stops the batch. A report
/// named twice is refused as stale. `actor.0` is `None` when no account saves (the command
/// line). Returns the reports as saved, in the order of `saves`.
///
/// Locks only the rows of the reports it saves (in the order of their ids), as [`save`] does.
pub async fn save_many(
    tx: &mut PgConnection,
    saves: &[Save<'_>],
    actor: (Option<i32>, &str),
) -> Result<Vec<Report>, BatchError> {
    let saved = save_many_with_values(tx, saves, actor).await?;
    Ok(saved.into_iter().map(|saved| saved.report).collect())
}

/// A report as a save left it.
#[derive(Debug, Clone)]
pub struct Saved {
    pub report: Report,
    /// Every figure the report now holds, by field key (not only those the save named).
    pub values: BTreeMap<String, Decimal>,
}

/// [`save_many`], returning with each report the figures it now holds: the save reads them
/// for the new version's snapshot, so a caller that shows them needs no other query.
pub async fn save_many_with_values(
    tx: &mut PgConnection,
    saves: &[Save<'_>],
    actor: (Option<i32>, &str),
) -> Result<Vec<Saved>, BatchError> {
    if saves.is_empty() {
        return Ok(Vec::new());
    }
    let key = |s: &Save<'_>| (s.unit_id, s.quarter);
    let keys: Vec<Key> = saves.iter().map(key).collect();
    let by_key = |locked: Vec<Stored>| {
        locked
            .into_iter()
            .map(|l| ((l.report.unit_id, l.report.year, l.report.quarter), l))
            .collect::<HashMap<(i32, i32, i16), Stored>>()
    };
    let stored_key = |(unit, quarter): Key| (unit, quarter.year(), i16::from(quarter.number()));
    let mut existing = by_key(lock_many(&mut *tx, &keys).await?);
    let missing: Vec<Key> = saves
        .iter()
        .filter(|s| s.expected_version == 0 && !existing.contains_key(&stored_key(key(s))))
        .map(key)
        .collect();
    if !missing.is_empty() {
        // ON CONFLICT: a concurrent first save wins; its report is then found below and this
        // save is stale, as in `save`.
        let (units, years, quarters) = key_columns(&missing);
        sqlx::query!(
            "INSERT INTO reports (unit_id, year, quarter, version, updated_by)
             SELECT k.unit_id, k.year, k.quarter, 0, $4
             FROM UNNEST($1::int[], $2::int[], $3::smallint[]) AS k(unit_id, year, quarter)
             ORDER BY 1, 2, 3
             ON CONFLICT (unit_id, year, quarter) DO NOTHING",
            &units,
            &years,
            &quarters,
            actor.0,
        )
        .execute(&mut *tx)
        .await?;
        existing.extend(by_key(lock_many(&mut *tx, &missing).await?));
    }

    let mut locked = Vec::with_capacity(saves.len());
    let mut seen = HashSet::with_capacity(saves.len());
    for (index, save) in saves.iter().enumerate() {
        let refused = |error| BatchError { index: Some(index), error };
        let stored = match existing.get(&stored_key(key(save))) {
            None => return Err(refused(SaveError::Stale { current: 0 })),
            Some(stored) if stored.report.version != save.expected_version || !seen.insert(stored.report.id) => {
                return Err(refused(SaveError::Stale { current: stored.report.version }));
            }
            Some(stored) if !stored.report.status().editable() => {
                return Err(refused(SaveError::Locked(stored.report.status())));
            }
            Some(stored) => stored,
        };
        locked.push(stored);
    }
    let ids: Vec<i32> = locked.iter().map(|l| l.report.id).collect();

    // The keys a save names without a figure go; its figures replace what is stored. An upsert
    // rewrites only the value, so the keys' indexes and foreign keys are not checked again:
    // rewriting 88 000 values took 1,1 s so, 2,0 s as a delete and an insert.
    let (mut gone_ids, mut gone_codes, mut gone_orgs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut new_ids, mut new_codes, mut new_orgs, mut new_values) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut raw = Vec::with_capacity(saves.len());
    // What each report holds once saved, known from what the lock read and what the save
    // writes: the new version's snapshot and the caller's answer, without reading it again.
    let mut held = Vec::with_capacity(saves.len());
    for (save, stored) in saves.iter().zip(&locked) {
        let id = stored.report.id;
        let names = save.draft.keys();
        let mut values = stored.values();
        for &name in names.iter().filter(|name| !save.draft.values.contains_key(**name)) {
            let (code, org) = super::entry::split_key(name);
            gone_ids.push(id);
            gone_codes.push(code);
            gone_orgs.push(org);
            values.remove(name);
        }
        for (name, value) in &save.draft.values {
            let (code, org) = super::entry::split_key(name);
            new_ids.push(id);
            new_codes.push(code);
            new_orgs.push(org);
            new_values.push(*value);
            values.insert(name.clone(), *value);
        }
        held.push(values);
        let mut merged = stored.report.raw_inputs.0.clone();
        merged.retain(|name, _| !names.contains(name.as_str()));
        merged.extend(save.draft.raw_inputs.clone());
        raw.push(serde_json::to_value(&merged).unwrap_or_default());
    }
    // Task progress (a task named twice keeps the last).
    let mut progress: BTreeMap<(i32, i32), (&str, &str)> = BTreeMap::new();
    for (save, &id) in saves.iter().zip(&ids) {
        for (task_id, status, note) in save.draft.tasks.iter().flatten() {
            progress.insert((id, *task_id), (status.as_str(), note.as_str()));
        }
    }
    // The narrative (all five sections, when the draft carries one: the API's arrives without
    // `Narrative::set`, so it is cleaned here, where it is stored) and the rule notes go with
    // the new version and the typed text; NULL keeps what is stored.
    let narratives: Vec<Option<Narrative>> = saves
        .iter()
        .map(|save| {
            save.draft.narrative.as_ref().map(|n| Narrative {
                ket_qua: crate::text::from_word(&n.ket_qua),
                han_che: crate::text::from_word(&n.han_che),
                nguyen_nhan: crate::text::from_word(&n.nguyen_nhan),
                phuong_huong: crate::text::from_word(&n.phuong_huong),
                kien_nghi: crate::text::from_word(&n.kien_nghi),
            })
        })
        .collect();
    let section = |pick: fn(&Narrative) -> &String| -> Vec<Option<&str>> {
        narratives.iter().map(|n| n.as_ref().map(|n| pick(n).as_str())).collect()
    };
    let notes: Vec<Option<serde_json::Value>> = saves
        .iter()
        .map(|save| save.draft.rule_notes.as_ref().map(|n| serde_json::to_value(n).unwrap_or_default()))
        .collect();
    // The snapshot of each new version: the row is locked, so the new version is the stored
    // one plus one, and a save changes neither the status nor what it does not name.
    let (mut versions, mut snapshots) = (Vec::with_capacity(ids.len()), Vec::with_capacity(ids.len()));
    for ((stored, narrative), values) in locked.iter().zip(&narratives).zip(&held) {
        let snapshot = Snapshot {
            values: values.clone(),
            narrative: narrative.clone().unwrap_or_else(|| stored.report.narrative()),
            status: stored.report.status.clone(),
        };
        versions.push(stored.report.version + 1);
        snapshots.push(serde_json::to_value(&snapshot).unwrap_or_default());
    }

    // Everything in one statement: each round trip of a save waits its turn for a core while
    // dashboards keep both busy (issue 12: saves p99 < 30 ms at quarter-end). The keys gone
    // and the keys written are disjoint, so no row is changed twice; empty arrays write nothing.
    let task_keys: Vec<&(i32, i32)> = progress.keys().collect();
    let task_reports: Vec<i32> = task_keys.iter().map(|k| k.0).collect();
    let task_ids: Vec<i32> = task_keys.iter().map(|k| k.1).collect();
    let task_states: Vec<&str> = progress.values().map(|v| v.0).collect();
    let task_notes: Vec<&str> = progress.values().map(|v| v.1).collect();
    // Arrays of borrowed or optional elements are bound `as _` (the macros' check knows
    // `Vec<String>` and the like only); the SQL casts each to its type.
    let saved: Vec<Report> = select_reports!(
        with r#"WITH gone AS (
             DELETE FROM report_values v
             USING UNNEST($1::int[], $2::text[], $3::text[]) AS d(report_id, element_code, organisation_code)
             WHERE v.report_id = d.report_id AND v.element_code = d.element_code
               AND v.organisation_code = d.organisation_code
         ),
         written AS (
             INSERT INTO report_values (report_id, element_code, organisation_code, value)
             SELECT * FROM UNNEST($4::int[], $5::text[], $6::text[], $7::numeric[])
             ON CONFLICT (report_id, element_code, organisation_code) DO UPDATE SET value = EXCLUDED.value
         ),
         progress AS (
             INSERT INTO report_task_progress (report_id, task_id, status, note)
             SELECT * FROM UNNEST($8::int[], $9::int[], $10::text[], $11::text[])
             ON CONFLICT (report_id, task_id) DO UPDATE SET status = EXCLUDED.status, note = EXCLUDED.note
         ),
         snapshot AS (
             INSERT INTO report_snapshots (report_id, version, data, saved_by)
             SELECT d.report_id, d.version, d.data, $23 FROM UNNEST($12::int[], $21::int[], $22::jsonb[]) AS d(report_id, version, data)
             ON CONFLICT (report_id, version) DO NOTHING
         ),
         saved AS (
             UPDATE reports SET raw_inputs = d.raw, version = version + 1, updated_at = now(), updated_by = $14,
                    ket_qua = COALESCE(d.new_ket_qua, reports.ket_qua),
                    han_che = COALESCE(d.new_han_che, reports.han_che),
                    nguyen_nhan = COALESCE(d.new_nguyen_nhan, reports.nguyen_nhan),
                    phuong_huong = COALESCE(d.new_phuong_huong, reports.phuong_huong),
                    kien_nghi = COALESCE(d.new_kien_nghi, reports.kien_nghi),
                    rule_notes = COALESCE(d.new_notes, reports.rule_notes)
             FROM UNNEST($12::int[], $13::jsonb[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
                         $20::jsonb[])
                  AS d(report_id, raw, new_ket_qua, new_han_che, new_nguyen_nhan, new_phuong_huong, new_kien_nghi,
                       new_notes)
             WHERE id = d.report_id
             RETURNING reports.*
         )
         "#,
        "FROM saved",
        &gone_ids,
        gone_codes as _,
        gone_orgs as _,
        &new_ids,
        new_codes as _,
        new_orgs as _,
        &new_values,
        &task_reports,
        &task_ids,
        task_states as _,
        task_notes as _,
        &ids,
        &raw,
        actor.0,
        section(|n| &n.ket_qua) as _,
        section(|n| &n.han_che) as _,
        section(|n| &n.nguyen_nhan) as _,
        section(|n| &n.phuong_huong) as _,
        section(|n| &n.kien_nghi) as _,
        notes as _,
        &versions,
        &snapshots,
        actor.1,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut saved: HashMap<i32, Report> = saved.into_iter().map(|r| (r.id, r)).collect();
    let mut reports = Vec::with_capacity(ids.len());
    for (id, values) in ids.iter().zip(held) {
        let report = saved.remove(id).ok_or(sqlx::Error::RowNotFound)?;
        reports.push(Saved { report, values });
    }
    Ok(reports)
}

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
        report.id,
        report.version,
        serde_json::to_value(snapshot).unwrap_or_default(),
        saved_by,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// [`find`] in a transaction, locking the report's row until it ends (a reviewer's action
/// waits for a save in flight, and the other way round).
pub async fn find_for_update(tx: &mut PgConnection, unit_id: i32, quarter: Quarter) -> sqlx::Result<Option<Report>> {
    select_reports!(
        "FROM reports WHERE unit_id = $1 AND year = $2 AND quarter = $3 FOR UPDATE",
        unit_id,
        quarter.year(),
        i16::from(quarter.number()),
    )
    .fetch_optional(&mut *tx)
    .await
}

pub async fn by_id(tx: &mut PgConnection, id: i32) -> sqlx::Result<Report> {
    select_reports!("FROM reports WHERE id = $1", id).fetch_one(&mut *tx).await
}

/// What a version held: enough to tell a person what changed since they opened the report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// As JSON numbers, as snapshots saved before figures became decimals hold them.
    #[serde(with = "crate::figures::map")]
    pub values: BTreeMap<String, Decimal>,
    pub narrative: Narrative,
    pub status: String,
}

/// What the report held at `version`: its snapshot, or for versions recorded before review
/// actions kept snapshots, the latest one before it.
pub async fn snapshot(pool: &PgPool, report_id: i32, version: i32) -> sqlx::Result<Option<Snapshot>> {
    let data = sqlx::query_scalar!(
        "SELECT data FROM report_snapshots WHERE report_id = $1 AND version <= $2 ORDER BY version DESC LIMIT 1",
        report_id,
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
    pub from_status: Option<String>,
    pub to_status: String,
    pub remarks: String,
    pub field_remarks: Json<BTreeMap<String, String>>,
}

impl Event {
    pub fn when(&self) -> String {
        self.at.with_timezone(&crate::format::VIETNAM).format("%H:%M %d/%m/%Y").to_string()
    }

    pub fn to_label(&self) -> &'static str {
        Status::parse(&self.to_status).label()
    }
}

pub async fn events(pool: &PgPool, report_id: i32) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"SELECT at, actor_name, from_status, to_status, remarks,
                  field_remarks AS "field_remarks: Json<BTreeMap<String, String>>"
           FROM report_events WHERE report_id = $1 ORDER BY at, id"#,
        report_id,
    )
    .fetch_all(pool)
    .await
}

/// Moves the report to `to` and records the transition. Returns what the move changed for
/// dashboards: apply it to the cache (`AggregateCache::apply`) once the transaction commits.
pub async fn transition(
    tx: &mut PgConnection,
    report: &Report,
    to: Status,
    actor: (i32, &str),
    remarks: &str,
    field_remarks: &BTreeMap<String, String>,
) -> sqlx::Result<crate::dashboards::cache::Change> {
    let (submitted, reviewed) = match to {
        Status::Submitted => (true, false),
        Status::Accepted | Status::Returned => (false, true),
        Status::Draft => (false, false),
    };
    // The roll-ups of every unit above move in the same transaction as the status.
    let rollup = crate::dashboards::rollup::before_move(&mut *tx, report.unit_id, report.year).await?;
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
        report.id,
        to.as_str(),
        submitted,
        reviewed,
        actor.0,
        actor.1,
        &report.status,
        remarks,
        serde_json::to_value(field_remarks).unwrap_or_default(),
    )
    .fetch_one(&mut *tx)
    .await?
    .into();
    let mut change = crate::dashboards::rollup::after_move(&mut *tx, rollup).await?;
    if to == Status::Submitted && report.submitted_at.is_none() {
        // A first submission changes completeness (who submitted, how late), which dashboards
        // of either basis show; sending a corrected report again does not.
        change.bases = crate::dashboards::cache::Bases::ALL;
    }
    let snapshot =
        Snapshot { values: moved.values(), narrative: moved.report.narrative(), status: moved.report.status.clone() };
    record_snapshot(&mut *tx, &moved.report, &snapshot, actor.1).await?;
    Ok(change)
}

/// The first time each report of these units for the quarter was submitted, and whether an
/// accepted report was reopened and is being corrected (accepted once, not accepted now).
#[derive(Debug, Clone)]
pub struct OverviewRow {
    pub unit_id: i32,
    pub status: Option<String>,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub reopened: bool,
}

impl OverviewRow {
    /// Accepted once, reopened for correction and not accepted again yet: "đang sửa". Its
    /// figures are out of the accepted totals until it is accepted again (the roll-ups follow
    /// the status), and the pages say so instead of reading it as "not reported" or "late".
    pub fn is_being_corrected(&self) -> bool {
        self.reopened && self.status.as_deref() != Some("da_duyet")
    }
}

pub async fn overview(pool: &PgPool, unit_ids: &[i32], year: i32, quarter: u8) -> sqlx::Result<Vec<OverviewRow>> {
    // The CASEs keep units without a report from running the event subqueries at all (the
    // planner may scan report_events for each of them: 51 ms for the country's provinces).
    sqlx::query_as!(
        OverviewRow,
        r#"SELECT u.id AS "unit_id!", r.status AS "status?",
                  CASE WHEN r.id IS NOT NULL THEN
                      (SELECT min(e.at) FROM report_events e WHERE e.report_id = r.id AND e.to_status = 'da_gui')
                  END AS first_submitted_at,
                  CASE WHEN r.id IS NULL THEN false ELSE
                      EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = r.id AND e.from_status = 'da_duyet')
                  END AS "reopened!"
           FROM UNNEST($1::int[]) AS u(id)
           LEFT JOIN reports r ON r.unit_id = u.id AND r.year = $2 AND r.quarter = $3"#,
        unit_ids,
        year,
        i16::from(quarter),
    )
    .fetch_all(pool)
    .await
}

/// Days late: how far after the due date (Vietnam time) something happened.
pub fn days_late(at: DateTime<Utc>, due: NaiveDate) -> i64 {
    let local = at.with_timezone(&crate::format::VIETNAM).date_naive();
    (local - due).num_days().max(0)
}

#[cfg(test)]
mod narrative_tests {
    use super::Narrative;

    #[test]
    fn a_section_pasted_from_word_keeps_its_breaks_and_nothing_raw() {
        let mut narrative = Narrative::default();
        narrative.set("han_che", "Dòng một\u{000B}dòng hai\u{000C}Trang mới\u{0007}".to_owned());
        assert!(
            !narrative.han_che.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{:?}",
            narrative.han_che
        );
        assert!(!narrative.han_che.contains("mộtdòng"), "never glued");
        assert!(narrative.han_che.starts_with("Dòng một\u{2028}dòng hai"));
    }
}
