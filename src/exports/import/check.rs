//! Checking the rows of a file against the units, the catalogue and the importer's rights,
//! every row, before anything is saved: the units of the file are resolved once per quarter end,
//! all its codes in one query.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::catalogue::{Catalogue, DataElement, ValueType};
use crate::exports::values::{Cell, RawRow};
use crate::format;
use crate::reports::entry::{self, Input};
use crate::reports::{Period, Quarter};
use crate::units::UnitId;
use crate::units::code::UnitCode;
use crate::units::{Unit, queries};

/// A checked row, ready to save.
pub(super) struct Checked {
    /// The row's line in the file.
    pub(super) line: usize,
    /// Index into the units the file names.
    pub(super) unit: usize,
    pub(super) quarter: Quarter,
    /// The figure's key in its report: the element's code, or `CODE.ORGANISATION`.
    pub(super) key: String,
    pub(super) value: Decimal,
    /// The value as the file wrote it.
    pub(super) typed: String,
}

/// The text of every cell of a row (blank where the row is short).
fn texts(row: &RawRow) -> [String; 5] {
    let cell = |i: usize| row.cells.get(i).map(Cell::text).unwrap_or_default();
    [cell(0), cell(1), cell(2), cell(3), cell(4)]
}

/// The quarter a period cell names (`2020-Q1`), if it names one.
fn quarter_of(text: &str) -> Option<Quarter> {
    text.parse::<Period>().ok()?.as_quarter()
}

/// How many unknown codes of one file get a suggestion (each costs two look-ups).
const MAX_CODE_HINTS: usize = 20;

/// Checks every row; returns the rows ready to save, the units they name and the errors.
/// Units are resolved once per quarter end date of the file, all its codes in one query.
pub(super) async fn check_rows(
    pool: &PgPool,
    catalogue: &Catalogue,
    rows: &[RawRow],
    may_enter: &impl Fn(&Unit) -> bool,
) -> sqlx::Result<(Vec<Checked>, Vec<Unit>, Vec<String>)> {
    let blank = |row: &RawRow| row.cells.iter().all(|c| c.text().is_empty());
    // First pass: which codes are asked for on which date.
    // A malformed code names no unit: it is not looked up.
    let mut wanted: BTreeMap<NaiveDate, BTreeSet<UnitCode>> = BTreeMap::new();
    for row in rows.iter().filter(|r| !blank(r)) {
        let [code, period, ..] = texts(row);
        if let (Some(quarter), Ok(code)) = (quarter_of(&period), code.parse::<UnitCode>()) {
            wanted.entry(quarter.last_day()).or_default().insert(code);
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut index_of: HashMap<UnitId, usize> = HashMap::new();
    let mut resolved: HashMap<NaiveDate, HashMap<String, usize>> = HashMap::new();
    for (date, codes) in wanted {
        let codes: Vec<String> = codes.into_iter().map(String::from).collect();
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
    let mut seen: HashMap<(UnitId, Quarter, String), usize> = HashMap::new();
    // Suggestions for unknown codes ("Có phải 04 — Tỉnh Cao Bằng?"), a few look-ups at most.
    let mut hints: HashMap<String, String> = HashMap::new();
    for row in rows {
        let line = row.line;
        if blank(row) {
            continue;
        }
        let [code, period_text, element_code, organisation, typed] = texts(row);
        let Some(quarter) = quarter_of(&period_text) else {
            errors.push(format!("Dòng {line}: kỳ “{period_text}” không phải là một quý (viết 2020-Q1)."));
            continue;
        };
        let on = quarter.last_day();
        let found = code.parse::<UnitCode>().ok().and_then(|code| resolved.get(&on)?.get(code.as_str()).copied());
        let Some(index) = found else {
            let hint = match hints.get(&code) {
                Some(hint) => hint.clone(),
                None if hints.len() < MAX_CODE_HINTS => {
                    let hint = crate::units::likely_hint(pool, &code, on).await?;
                    hints.insert(code.clone(), hint.clone());
                    hint
                }
                None => String::new(),
            };
            errors.push(format!("Dòng {line}: không có đơn vị mã “{code}” vào ngày {}.{hint}", format::date(on)));
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
        if !element.reported_at(unit.level) || element.value_type == ValueType::Text {
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
        let identity = (unit.id, quarter, key.clone());
        if let Some(first) = seen.get(&identity) {
            errors.push(format!("Dòng {line}: trùng với dòng {first} (cùng đơn vị, kỳ, chỉ tiêu và tổ chức)."));
            continue;
        }
        seen.insert(identity, line);
        checked.push(Checked { line, unit: index, quarter, key, value, typed });
    }
    Ok((checked, units, errors))
}
