//! What a unit enters: the fields of its level, parsing of typed figures the Vietnamese way,
//! and the catalogue's validation rules. Shared by the form and the JSON API so both accept
//! and refuse exactly the same input.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::format::{NumberError, NumberRules, check_number, parse_vietnamese_number};
use crate::indicators::{Catalogue, DataElement, Organisation, ValueType};

/// One input of the form: an element, broken down by organisation where the catalogue says so.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// `CODE`, or `CODE.ORG` for a breakdown.
    pub key: String,
    pub element: &'a DataElement,
    pub organisation: Option<&'a Organisation>,
}

impl Field<'_> {
    pub fn label(&self) -> String {
        match self.organisation {
            Some(org) => format!("{} — {}", self.element.name, org.short_name),
            None => self.element.name.clone(),
        }
    }
}

/// The fields a unit of `level` reports, in catalogue order.
pub fn fields(catalogue: &Catalogue, level: i16) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    for element in catalogue.elements.iter().filter(|e| e.reported_at(level) && e.kind() != ValueType::Text) {
        if element.by_organisation {
            for org in &catalogue.organisations {
                fields.push(Field { key: format!("{}.{}", element.code, org.code), element, organisation: Some(org) });
            }
        } else {
            fields.push(Field { key: element.code.clone(), element, organisation: None });
        }
    }
    fields
}

/// Splits `CODE.ORG` into its element and organisation ('' for none).
pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('.').unwrap_or((key, ""))
}

/// A value as it arrives: typed text from the form, or a JSON value from the API.
#[derive(Debug, Clone)]
pub enum Input {
    Text(String),
    /// A JSON number: a double, read as the shortest decimal that reads back as it.
    Number(f64),
    Bool(bool),
    Null,
}

fn rules_for(element: &DataElement) -> NumberRules {
    match element.kind() {
        ValueType::Integer => NumberRules::count(),
        _ => NumberRules::decimal(false, Some(6)),
    }
}

fn parse_boolean(text: &str) -> Option<Decimal> {
    match crate::text::fold(text).as_str() {
        "co" | "1" | "x" | "dat" => Some(Decimal::ONE),
        "khong" | "0" => Some(Decimal::ZERO),
        _ => None,
    }
}

/// Parses one input for an element: `Ok(None)` when left empty.
pub fn parse_input(element: &DataElement, input: &Input) -> Result<Option<Decimal>, String> {
    let rules = rules_for(element);
    match (element.kind(), input) {
        (_, Input::Null) => Ok(None),
        (ValueType::Boolean, Input::Bool(b)) => Ok(Some(if *b { Decimal::ONE } else { Decimal::ZERO })),
        (ValueType::Boolean, Input::Number(n)) if *n == 0.0 => Ok(Some(Decimal::ZERO)),
        (ValueType::Boolean, Input::Number(n)) if *n == 1.0 => Ok(Some(Decimal::ONE)),
        (ValueType::Boolean, Input::Text(text)) if text.trim().is_empty() => Ok(None),
        (ValueType::Boolean, Input::Text(text)) => {
            parse_boolean(text).map(Some).ok_or_else(|| "Chọn “Có” hoặc “Không”.".to_owned())
        }
        (ValueType::Boolean, _) => Err("Chọn “Có” hoặc “Không”.".to_owned()),
        (_, Input::Text(text)) => parse_vietnamese_number(text, &rules).map_err(|e| e.message()),
        (_, Input::Number(n)) => check_number(*n, &rules).map(Some).map_err(|e| e.message()),
        (_, Input::Bool(_)) => Err(NumberError::Invalid.message()),
    }
}

#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub code: String,
    pub message: String,
    pub is_error: bool,
    /// The elements the rule reads, to place the message next to them.
    pub elements: Vec<String>,
    /// For a warning: the note that lets it pass.
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Parsed values by field key.
    pub values: BTreeMap<String, Decimal>,
    /// Per-field messages for input that could not be read.
    pub errors: BTreeMap<String, String>,
    /// Rules that do not hold.
    pub rules: Vec<RuleOutcome>,
}

impl Checked {
    pub fn blocking(&self) -> usize {
        self.errors.len() + self.rules.iter().filter(|r| r.is_error).count()
    }

    pub fn unnoted_warnings(&self) -> usize {
        self.rules.iter().filter(|r| !r.is_error && r.note.trim().is_empty()).count()
    }

    pub fn warnings(&self) -> usize {
        self.rules.iter().filter(|r| !r.is_error).count()
    }

    /// Whether the report may be submitted: no error, and every warning explained.
    pub fn submittable(&self) -> bool {
        self.blocking() == 0 && self.unnoted_warnings() == 0
    }

    /// The rule messages that concern a field's element.
    pub fn rules_for(&self, element_code: &str) -> Vec<&RuleOutcome> {
        self.rules.iter().filter(|r| r.elements.iter().any(|e| e == element_code)).collect()
    }
}

/// The element totals the rules read: a breakdown counts as the sum of its parts.
pub fn totals(values: &BTreeMap<String, Decimal>) -> HashMap<String, Decimal> {
    let mut totals: HashMap<String, Decimal> = HashMap::new();
    for (key, value) in values {
        *totals.entry(split_key(key).0.to_owned()).or_insert(Decimal::ZERO) += value;
    }
    totals
}

/// Parses every input of the level's fields and runs the catalogue's rules over the result.
/// Keys that are not fields of this level are reported as errors too.
pub fn check(
    catalogue: &Catalogue,
    level: i16,
    inputs: &BTreeMap<String, Input>,
    notes: &BTreeMap<String, String>,
) -> Checked {
    let fields = fields(catalogue, level);
    let by_key: HashMap<&str, &Field> = fields.iter().map(|f| (f.key.as_str(), f)).collect();
    let mut checked = Checked::default();
    for (key, input) in inputs {
        let Some(field) = by_key.get(key.as_str()) else {
            checked.errors.insert(key.clone(), "Chỉ tiêu này không có trong báo cáo của cấp đơn vị này.".to_owned());
            continue;
        };
        match parse_input(field.element, input) {
            Ok(Some(value)) => {
                checked.values.insert(key.clone(), value);
            }
            Ok(None) => {}
            Err(message) => {
                checked.errors.insert(key.clone(), message);
            }
        }
    }
    checked.rules = run_rules(catalogue, level, &checked.values, notes);
    checked
}

pub fn run_rules(
    catalogue: &Catalogue,
    level: i16,
    values: &BTreeMap<String, Decimal>,
    notes: &BTreeMap<String, String>,
) -> Vec<RuleOutcome> {
    let totals = totals(values);
    catalogue
        .rules
        .iter()
        .filter(|rule| {
            // A rule about elements this level does not report is not this level's concern.
            rule.codes().iter().all(|code| catalogue.element(code).is_some_and(|e| e.reported_at(level)))
        })
        .filter(|rule| rule.holds(&totals) == Some(false))
        .map(|rule| RuleOutcome {
            code: rule.code.clone(),
            message: rule.message.clone(),
            is_error: rule.is_error(),
            elements: rule.codes(),
            note: notes.get(&rule.code).cloned().unwrap_or_default(),
        })
        .collect()
}
