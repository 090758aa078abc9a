//! The import of values, shared by the web upload (`POST /imports/values`, data-entry staff
//! into their own unit) and the operator's `danvan import FILE` (every unit): rows read by
//! [`super::exchange::parse_upload`] go through [`import`].
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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::exchange::{Cell, MAX_UPLOAD_BYTES, RawRow, parse_upload};
use crate::catalogue::{Catalogue, DataElement, ValueType};
use crate::format;
use crate::reports::Period;
use crate::reports::entry::{self, Input};
use crate::reports::store::{self, Draft, Report, SaveError};
use crate::reports::workflow::{self, DraftSave, Origin};
use crate::units::{Unit, queries};

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

/// A checked row, ready to save.
struct Checked {
    line: usize,
    /// Index into the units the file names.
    unit: usize,
    quarter: (i32, u8),
    key: String,
    value: Decimal,
    typed: String,
}

/// The text of every cell of a row (blank where the row is short).
fn texts(row: &RawRow) -> [String; 5] {
    let cell = |i: usize| row.cells.get(i).map(Cell::text).unwrap_or_default();
    [cell(0), cell(1), cell(2), cell(3), cell(4)]
}

/// The quarter a period cell names, if it names one.
fn quarter_of(text: &str) -> Option<Period> {
    match text.parse::<Period>() {
        Ok(p @ Period::Quarter { .. }) => Some(p),
        _ => None,
    }
}

/// How many unknown codes of one file get a suggestion (each costs two look-ups).
const MAX_CODE_HINTS: usize = 20;

/// Checks every row; returns the rows ready to save, the units they name and the errors.
/// Units are resolved once per quarter end date of the file, all its codes in one query.
async fn check_rows(
    pool: &PgPool,
    catalogue: &Catalogue,
    rows: &[RawRow],
    may_enter: &impl Fn(&Unit) -> bool,
) -> sqlx::Result<(Vec<Checked>, Vec<Unit>, Vec<String>)> {
    let blank = |row: &RawRow| row.cells.iter().all(|c| c.text().is_empty());
    // First pass: which codes are asked for on which date.
    let mut wanted: BTreeMap<NaiveDate, BTreeSet<String>> = BTreeMap::new();
    for row in rows.iter().filter(|r| !blank(r)) {
        let [code, period, ..] = texts(row);
        if let Some(period) = quarter_of(&period) {
            wanted.entry(period.end_date()).or_default().insert(code);
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut index_of: HashMap<i32, usize> = HashMap::new();
    let mut resolved: HashMap<NaiveDate, HashMap<String, usize>> = HashMap::new();
    for (date, codes) in wanted {
        let codes: Vec<String> = codes.into_iter().collect();
        let found = resolved.entry(date).or_default();
        for (code, unit) in queries::resolve_many(pool, &codes, date).await? {
            // A unit named by several codes (`01`, `1`) or on several dates is kept once.
            let index = *index_of.entry(unit.id).or_insert_with(|| {
                units.push(unit);
                units.len() - 1
            });
            found.insert(code, index);
        }
    }
    let elements: HashMap<&str, &DataElement> = catalogue.elements.iter().map(|e| (e.code.as_str(), e)).collect();
    let organisations: HashSet<&str> = catalogue.organisations.iter().map(|o| o.code.as_str()).collect();
    let mut allowed: HashMap<usize, bool> = HashMap::new();

    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut seen: HashMap<(i32, i32, u8, String), usize> = HashMap::new();
    // Suggestions for unknown codes ("Có phải 04 — Tỉnh Cao Bằng?"), a few look-ups at most.
    let mut hints: HashMap<String, String> = HashMap::new();
    for row in rows {
        let line = row.line;
        if blank(row) {
            continue;
        }
        let [code, period_text, element_code, organisation, typed] = texts(row);
        let Some(period) = quarter_of(&period_text) else {
            errors.push(format!("Dòng {line}: kỳ “{period_text}” không phải là một quý (viết 2020-Q1)."));
            continue;
        };
        let Period::Quarter { year, quarter } = period else { continue };
        let Some(&index) = resolved.get(&period.end_date()).and_then(|codes| codes.get(&code)) else {
            let hint = match hints.get(&code) {
                Some(hint) => hint.clone(),
                None if hints.len() < MAX_CODE_HINTS => {
                    let hint = crate::units::likely_hint(pool, &code, period.end_date()).await?;
                    hints.insert(code.clone(), hint.clone());
                    hint
                }
                None => String::new(),
            };
            errors.push(format!(
                "Dòng {line}: không có đơn vị mã “{code}” vào ngày {}.{hint}",
                format::date(period.end_date())
            ));
            continue;
        };
        let unit = &units[index];
        if !*allowed.entry(index).or_insert_with(|| may_enter(unit)) {
            errors.push(format!("Dòng {line}: bạn không có quyền nhập số liệu của {}.", unit.name));
            continue;
        }
        let Some(element) = elements.get(element_code.as_str()) else {
            errors.push(format!("Dòng {line}: không có chỉ tiêu mã “{element_code}” trong danh mục."));
            continue;
        };
        if !element.reported_at(unit.level) || element.kind() == ValueType::Text {
            errors.push(format!(
                "Dòng {line}: chỉ tiêu {element_code} không thuộc báo cáo của {} ({}).",
                unit.name,
                unit.level.label().to_lowercase()
            ));
            continue;
        }
        let key = if element.by_organisation {
            if !organisations.contains(organisation.as_str()) {
                errors.push(format!(
                    "Dòng {line}: chỉ tiêu {element_code} nhập theo từng tổ chức; “{organisation}” không phải là mã tổ chức ({}).",
                    catalogue.organisations.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
            format!("{element_code}.{organisation}")
        } else {
            if !organisation.is_empty() {
                errors.push(format!(
                    "Dòng {line}: chỉ tiêu {element_code} không chia theo tổ chức; để trống cột organisation."
                ));
                continue;
            }
            element_code.clone()
        };
        let input = match row.cells.get(4) {
            Some(Cell::Number(n)) => Input::Number(*n),
            Some(Cell::Text(t)) => Input::Text(t.clone()),
            None => Input::Null,
        };
        let value = match entry::parse_input(element, &input) {
            Ok(Some(value)) => value,
            Ok(None) => {
                errors.push(format!("Dòng {line}: thiếu giá trị."));
                continue;
            }
            Err(message) => {
                errors.push(format!("Dòng {line}: giá trị “{typed}” không hợp lệ: {message}"));
                continue;
            }
        };
        let identity = (unit.id, year, quarter, key.clone());
        if let Some(first) = seen.get(&identity) {
            errors.push(format!("Dòng {line}: trùng với dòng {first} (cùng đơn vị, kỳ, chỉ tiêu và tổ chức)."));
            continue;
        }
        seen.insert(identity, line);
        checked.push(Checked { line, unit: index, quarter: (year, quarter), key, value, typed });
    }
    Ok((checked, units, errors))
}

/// What one report gets from the file.
struct Plan<'a> {
    unit: &'a Unit,
    quarter: (i32, u8),
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
    let mut by_report: BTreeMap<(i32, i32, u8), Vec<&Checked>> = BTreeMap::new();
    for row in &checked {
        by_report.entry((units[row.unit].id, row.quarter.0, row.quarter.1)).or_default().push(row);
    }
    let keys: Vec<(i32, i32, u8)> = by_report.keys().copied().collect();
    let reports: HashMap<(i32, i32, i16), Report> =
        store::find_many(pool, &keys).await?.into_iter().map(|r| ((r.unit_id, r.year, r.quarter), r)).collect();
    let ids: Vec<i32> = reports.values().map(|r| r.id).collect();
    let mut stored_values = store::values_many(pool, &ids).await?;
    let mut plans = Vec::new();
    let mut unchanged = 0usize;
    for ((unit_id, year, quarter), rows) in &by_report {
        let unit = &units[rows[0].unit];
        let report = reports.get(&(*unit_id, *year, i16::from(*quarter)));
        let stored = report.and_then(|r| stored_values.remove(&r.id)).unwrap_or_default();
        let changed: Vec<&Checked> = rows.iter().copied().filter(|r| stored.get(&r.key) != Some(&r.value)).collect();
        unchanged += rows.len() - changed.len();
        if changed.is_empty() {
            continue;
        }
        if let Some(r) = report
            && !r.status().editable()
        {
            let label = Period::Quarter { year: *year, quarter: *quarter }.label();
            for row in &changed {
                errors.push(format!(
                    "Dòng {}: báo cáo {label} của {} đang ở trạng thái “{}”, không thể nhập đè {} (chỉ nhập được vào báo cáo nháp hoặc bị trả lại).",
                    row.line,
                    unit.name,
                    r.status().label(),
                    row.key
                ));
            }
            continue;
        }
        plans.push(Plan {
            unit,
            quarter: (*year, *quarter),
            version: report.map(|r| r.version).unwrap_or(0),
            changed,
            before: stored,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::Refused(errors));
    }

    let drafts: Vec<Draft> = plans
        .iter()
        .map(|plan| Draft {
            values: plan.changed.iter().map(|r| (r.key.clone(), r.value)).collect(),
            raw_inputs: plan.changed.iter().map(|r| (r.key.clone(), r.typed.clone())).collect(),
            replace_all: false,
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
                label: plan
                    .map(|p| Period::Quarter { year: p.quarter.0, quarter: p.quarter.1 }.label())
                    .unwrap_or_default(),
                unit_name: plan.map(|p| p.unit.name.clone()).unwrap_or_default(),
            });
        }
    };
    let mut summary = Summary { unchanged, ..Summary::default() };
    for ((plan, draft), saved) in plans.iter().zip(&drafts).zip(&saved) {
        let report = &saved.report;
        let period = Period::Quarter { year: plan.quarter.0, quarter: plan.quarter.1 };
        let label = period.label();
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

/// Reads and parses a file for `danvan import`, with the web upload's parser and limits.
pub async fn read_file(path: &Path) -> anyhow::Result<Vec<RawRow>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("không mở được tệp {}", path.display()))?;
    let mut bytes = Vec::new();
    // One byte past the limit is enough for the parser to refuse it, whatever the file's size.
    file.take(MAX_UPLOAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("không đọc được tệp {}", path.display()))?;
    let name = file_name(path);
    tokio::task::spawn_blocking(move || parse_upload(&name, &bytes))
        .await?
        .map_err(|refused| anyhow::anyhow!("{}", refused.message))
}

/// The file's name as the audit log and messages show it.
pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `danvan import FILE`: the operator's import into any unit, audited as the command line.
/// Prints the summary (each report too with `verbose`); on wrong rows prints them to stderr,
/// saves nothing and fails.
pub async fn run_cli(pool: &PgPool, path: &Path, rows: &[RawRow], verbose: bool) -> anyhow::Result<()> {
    let author = Author::command_line(&file_name(path));
    match import(pool, rows, |_| true, &author).await? {
        Outcome::Imported(summary) => {
            println!("{}", summary.headline());
            for problem in &summary.problems {
                println!("{problem}");
            }
            if verbose {
                for line in &summary.lines {
                    println!("{line}");
                }
            }
            Ok(())
        }
        Outcome::Refused(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            anyhow::bail!("Không nhập dòng nào: tệp có {} lỗi. Sửa rồi nhập lại cả tệp.", errors.len())
        }
        Outcome::Changed { label, unit_name } => anyhow::bail!(
            "Không nhập dòng nào: báo cáo {label} của {unit_name} vừa được người khác thay đổi. Chạy lại lệnh."
        ),
    }
}
