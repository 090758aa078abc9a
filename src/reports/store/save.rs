//! Saving drafts: one report or a batch of thousands in a fixed number of statements, each
//! checked against its version and status, its figures, typed text, narrative, notes and task
//! progress written with a snapshot of the new version.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;

use super::{Key, Narrative, Report, ReportId, Snapshot, Status, Stored, StoredRow, TaskState, key_columns};
use crate::auth::UserId;
use crate::directives::TaskId;
use crate::reports::Quarter;
use crate::units::UnitId;

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
    pub tasks: Option<Vec<(TaskId, TaskState, String)>>,
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
    unit_id: UnitId,
    quarter: Quarter,
    expected_version: i32,
    draft: &Draft,
    actor: (UserId, &str),
) -> Result<Report, SaveError> {
    let one = [Save { unit_id, quarter, expected_version, draft }];
    let mut saved = save_many(tx, &one, (Some(actor.0), actor.1)).await.map_err(|failure| failure.error)?;
    saved.pop().ok_or(SaveError::Database(sqlx::Error::RowNotFound))
}

/// One report's part of a [`save_many`].
#[derive(Debug, Clone, Copy)]
pub struct Save<'a> {
    pub unit_id: UnitId,
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
    actor: (Option<UserId>, &str),
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
    actor: (Option<UserId>, &str),
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
            .collect::<HashMap<(UnitId, i32, i16), Stored>>()
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
            actor.0 as Option<UserId>,
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
            Some(stored) if !stored.report.status.editable() => {
                return Err(refused(SaveError::Locked(stored.report.status)));
            }
            Some(stored) => stored,
        };
        locked.push(stored);
    }
    let ids: Vec<ReportId> = locked.iter().map(|l| l.report.id).collect();

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
            let (code, org) = crate::reports::entry::split_key(name);
            gone_ids.push(id);
            gone_codes.push(code);
            gone_orgs.push(org);
            values.remove(name);
        }
        for (name, value) in &save.draft.values {
            let (code, org) = crate::reports::entry::split_key(name);
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
    let mut progress: BTreeMap<(ReportId, TaskId), (&str, &str)> = BTreeMap::new();
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
            status: Some(stored.report.status),
        };
        versions.push(stored.report.version + 1);
        snapshots.push(serde_json::to_value(&snapshot).unwrap_or_default());
    }

    // Everything in one statement: each round trip of a save waits its turn for a core while
    // dashboards keep both busy (issue 12: saves p99 < 30 ms at quarter-end). The keys gone
    // and the keys written are disjoint, so no row is changed twice; empty arrays write nothing.
    let task_keys: Vec<&(ReportId, TaskId)> = progress.keys().collect();
    let task_reports: Vec<ReportId> = task_keys.iter().map(|k| k.0).collect();
    let task_ids: Vec<TaskId> = task_keys.iter().map(|k| k.1).collect();
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
        &gone_ids as &[ReportId],
        gone_codes as _,
        gone_orgs as _,
        &new_ids as &[ReportId],
        new_codes as _,
        new_orgs as _,
        &new_values,
        &task_reports as &[ReportId],
        &task_ids as &[TaskId],
        task_states as _,
        task_notes as _,
        &ids as &[ReportId],
        &raw,
        actor.0 as Option<UserId>,
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
    let mut saved: HashMap<ReportId, Report> = saved.into_iter().map(|r| (r.id, r)).collect();
    let mut reports = Vec::with_capacity(ids.len());
    for (id, values) in ids.iter().zip(held) {
        let report = saved.remove(id).ok_or(sqlx::Error::RowNotFound)?;
        reports.push(Saved { report, values });
    }
    Ok(reports)
}
