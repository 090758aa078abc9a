//! The import of values, shared by the web upload (`POST /imports/values`, data-entry staff
//! into their own unit) and the operator's `danvan import FILE` (every unit): rows read by
//! [`super::values::parse_upload`] go through [`import`].
//!
//! Import is all-or-nothing: every row is checked (unit resolved against the quarter, element
//! reported at the unit's level, organisation, value, the importer's right to enter data for the
//! unit, the report still editable), and nothing is saved when one row is wrong. Rows that
//! equal what is stored change nothing, so a round trip (export, then import the same file)
//! changes nothing; such rows may even name a submitted or accepted report. A row that would
//! change a submitted or accepted report is refused.
//!
//! A province's year is about 100 000 values in 2 000 reports, so the database is asked a
//! fixed number of times whatever the file holds: the units of the file once per quarter end,
//! the stored reports and their values once, and the save itself in a few statements
//! ([`workflow::save_drafts`]). Only the save runs in a transaction: it locks the rows of the reports
//! it writes, nothing else, for as long as those statements take.
//!
//! Checking the rows is [`check`]'s; `danvan import FILE` reads the file and prints the
//! outcome in [`cli`].

mod check;
mod cli;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sqlx::PgPool;

use check::{Checked, check_rows};
pub use cli::{file_name, read_file, run_cli};

use super::values::RawRow;
use crate::catalogue::Catalogue;
use crate::reports::entry;
use crate::reports::store::{self, Draft, Report, SaveError};
use crate::reports::workflow::{self, DraftSave, Origin};
use crate::reports::{Period, Quarter};
use crate::units::Unit;
use crate::units::UnitId;

/// Who imports, as the saved reports and the audit log record it (the workflow's author of
/// every save).
pub use crate::reports::workflow::Author;

/// What an import did.
#[derive(Debug)]
pub enum Outcome {
    /// Saved (possibly nothing, when every row equals what is stored).
    Imported(Summary),
    /// Nothing saved: one Vietnamese message a wrong row ("Dòng 3: …"), in the file's order.
    Refused(Vec<String>),
    /// Nothing saved: a report changed between the check and the save.
    Changed {
        /// The quarter, e.g. "Quý I/2022".
        label: String,
        unit_name: String,
    },
}

/// What was saved.
#[derive(Debug, Default)]
pub struct Summary {
    /// Values written.
    pub values: usize,
    /// Reports written.
    pub reports: usize,
    /// Rows equal to what was stored, which changed nothing.
    pub unchanged: usize,
    /// One line a report written: unit, quarter, values, new version.
    pub lines: Vec<String>,
    /// The validation rules the written drafts break, with their figures ("Xã A — Quý I/2023:
    /// Lỗi: Tổng số cuộc giám sát của Mặt trận (143) phải bằng 32 + 17 + 33 = 82. …"): saved
    /// as drafts all the same, as the form saves them, and to be fixed before sending.
    pub problems: Vec<String>,
}

impl Summary {
    /// "Đã nhập … giá trị vào … báo cáo; … giá trị trùng với số liệu đã lưu nên không đổi."
    pub fn headline(&self) -> String {
        format!(
            "Đã nhập {} giá trị vào {} báo cáo; {} giá trị trùng với số liệu đã lưu nên không đổi.",
            self.values, self.reports, self.unchanged
        )
    }
}

/// What one report gets from the file.
struct Plan<'a> {
    unit: &'a Unit,
    quarter: Quarter,
    version: i32,
    changed: Vec<&'a Checked>,
    before: BTreeMap<String, Decimal>,
}

/// Imports parsed rows: checks them all, and saves them as drafts only if none is wrong.
/// `may_enter` says which units the author may enter data for (the report form's rule on the
/// web, every unit from the command line). Each report written gets a new version and one
/// audit entry (`import`, with the values before and after).
pub async fn import(
    pool: &PgPool,
    rows: &[RawRow],
    may_enter: impl Fn(&Unit) -> bool,
    author: &Author,
) -> sqlx::Result<Outcome> {
    let catalogue = Catalogue::load(pool).await?;
    let (checked, units, mut errors) = check_rows(pool, &catalogue, rows, &may_enter).await?;

    // Group by report; compare with what is stored (read without locks: the save checks the
    // versions read here).
    let mut by_report: BTreeMap<(UnitId, Quarter), Vec<&Checked>> = BTreeMap::new();
    for row in &checked {
        by_report.entry((units[row.unit].id, row.quarter)).or_default().push(row);
    }
    let keys: Vec<(UnitId, Quarter)> = by_report.keys().copied().collect();
    let reports: HashMap<(UnitId, i32, i16), Report> =
        store::find_many(pool, &keys).await?.into_iter().map(|r| ((r.unit_id, r.year, r.quarter), r)).collect();
    let ids: Vec<store::ReportId> = reports.values().map(|r| r.id).collect();
    let mut stored_values = store::values_many(pool, &ids).await?;
    let mut plans = Vec::new();
    let mut unchanged = 0usize;
    for (&(unit_id, quarter), rows) in &by_report {
        let unit = &units[rows[0].unit];
        let report = reports.get(&(unit_id, quarter.year(), i16::from(quarter.number())));
        let stored = report.and_then(|r| stored_values.remove(&r.id)).unwrap_or_default();
        let changed: Vec<&Checked> = rows.iter().copied().filter(|r| stored.get(&r.key) != Some(&r.value)).collect();
        unchanged += rows.len() - changed.len();
        if changed.is_empty() {
            continue;
        }
        if let Some(r) = report
            && !r.status.editable()
        {
            let label = Period::from(quarter).label();
            for row in &changed {
                errors.push(format!(
                    "Dòng {}: báo cáo {label} của {} đang ở trạng thái “{}”, không thể nhập đè {} (chỉ nhập được vào báo cáo nháp hoặc bị trả lại).",
                    row.line,
                    unit.name,
                    r.status.label(),
                    row.key
                ));
            }
            continue;
        }
        plans.push(Plan { unit, quarter, version: report.map(|r| r.version).unwrap_or(0), changed, before: stored });
    }
    if !errors.is_empty() {
        return Ok(Outcome::Refused(errors));
    }

    let drafts: Vec<Draft> = plans
        .iter()
        .map(|plan| Draft {
            values: plan.changed.iter().map(|r| (r.key.clone(), r.value)).collect(),
            raw_inputs: plan.changed.iter().map(|r| (r.key.clone(), r.typed.clone())).collect(),
            ..Draft::default()
        })
        .collect();
    let saves: Vec<DraftSave<'_>> = plans
        .iter()
        .zip(&drafts)
        .map(|(plan, draft)| DraftSave {
            unit: plan.unit,
            quarter: plan.quarter,
            expected_version: plan.version,
            draft,
            origin: Origin::Import { stored: &plan.before },
        })
        .collect();
    let mut tx = pool.begin().await?;
    // Saved and audited (`import`, each report named as the form's saves name it) in a fixed
    // number of statements whatever the file holds.
    let saved = match workflow::save_drafts(&mut tx, &saves, author).await {
        Ok(saved) => saved,
        Err(store::BatchError { error: SaveError::Database(error), .. }) => return Err(error),
        Err(store::BatchError { index, .. }) => {
            tx.rollback().await.ok();
            let plan = index.and_then(|i| plans.get(i)).or(plans.first());
            return Ok(Outcome::Changed {
                label: plan.map(|p| Period::from(p.quarter).label()).unwrap_or_default(),
                unit_name: plan.map(|p| p.unit.name.clone()).unwrap_or_default(),
            });
        }
    };
    let mut summary = Summary { unchanged, ..Summary::default() };
    for ((plan, draft), saved) in plans.iter().zip(&drafts).zip(&saved) {
        let report = &saved.report;
        let label = Period::from(plan.quarter).label();
        let mut merged = plan.before.clone();
        merged.extend(draft.values.iter().map(|(key, value)| (key.clone(), *value)));
        for rule in entry::run_rules(&catalogue, plan.unit.level, &merged, &report.rule_notes.0) {
            if rule.is_error || rule.note.trim().is_empty() {
                let kind = if rule.is_error { "Lỗi" } else { "Cảnh báo" };
                summary.problems.push(format!("{} — {label}: {kind}: {}", plan.unit.name, rule.message));
            }
        }
        summary.lines.push(format!(
            "{} — {label}: {} giá trị (lưu dạng nháp, phiên bản {}).",
            plan.unit.name,
            plan.changed.len(),
            report.version
        ));
        summary.values += plan.changed.len();
        summary.reports += 1;
    }
    tx.commit().await?;
    Ok(Outcome::Imported(summary))
}
