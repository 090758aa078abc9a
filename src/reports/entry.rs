//! What a unit enters: the fields of its level, parsing of typed figures the Vietnamese way,
//! and the catalogue's validation rules. Shared by the form and the JSON API so both accept
//! and refuse exactly the same input.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::catalogue::{Catalogue, DataElement, Expression, Organisation, ValueType};
use crate::directives::Comparator;
use crate::error::FieldErrors;
use crate::format::{NumberError, NumberRules, check_number, parse_vietnamese_number};
use crate::units::Level;

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
pub fn fields(catalogue: &Catalogue, level: Level) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    for element in catalogue.elements.iter().filter(|e| e.reported_at(level) && e.value_type != ValueType::Text) {
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
    match element.value_type {
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
    match (element.value_type, input) {
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
    /// The whole message: the figures compared ([`RuleOutcome::working`]), then the
    /// catalogue's own wording of the rule.
    pub message: String,
    /// The figures and the arithmetic alone: "Tổng số cuộc giám sát của Mặt trận (143) phải
    /// bằng 32 + 17 + 33 = 82".
    pub working: String,
    /// The values of the two sides, as compared.
    pub left: Decimal,
    pub right: Decimal,
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
    /// Per-field messages for input that could not be read, keyed by the field's key.
    pub errors: FieldErrors,
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
    level: Level,
    inputs: &BTreeMap<String, Input>,
    notes: &BTreeMap<String, String>,
) -> Checked {
    let fields = fields(catalogue, level);
    let by_key: HashMap<&str, &Field> = fields.iter().map(|f| (f.key.as_str(), f)).collect();
    let mut checked = Checked::default();
    for (key, input) in inputs {
        let Some(field) = by_key.get(key.as_str()) else {
            checked.errors.set(key.clone(), "Chỉ tiêu này không có trong báo cáo của cấp đơn vị này.");
            continue;
        };
        match parse_input(field.element, input) {
            Ok(Some(value)) => {
                checked.values.insert(key.clone(), value);
            }
            Ok(None) => {}
            Err(message) => {
                checked.errors.set(key.clone(), message);
            }
        }
    }
    checked.rules = run_rules(catalogue, level, &checked.values, notes);
    checked
}

pub fn run_rules(
    catalogue: &Catalogue,
    level: Level,
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
        .filter_map(|rule| {
            let left = Expression::parse(&rule.left_expr).ok()?;
            let right = Expression::parse(&rule.right_expr).ok()?;
            let (left_value, right_value) = (left.evaluate(&totals)?, right.evaluate(&totals)?);
            let working = format!(
                "{} {} {}",
                side(catalogue, &left, &totals, true),
                relation(rule.operator, rule.is_error()),
                side(catalogue, &right, &totals, false)
            );
            let wording = rule.message.trim().trim_end_matches('.');
            let message = if wording.is_empty() { format!("{working}.") } else { format!("{working}. {wording}.") };
            Some(RuleOutcome {
                code: rule.code.clone(),
                message,
                working,
                left: left_value,
                right: right_value,
                is_error: rule.is_error(),
                elements: rule.codes(),
                note: notes.get(&rule.code).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// What the operator of a rule asks, in words; softer for a warning, which may be explained.
fn relation(operator: Comparator, is_error: bool) -> &'static str {
    match (operator, is_error) {
        (Comparator::Equal, true) => "phải bằng",
        (Comparator::AtMost, true) => "không được lớn hơn",
        (Comparator::Below, true) => "phải nhỏ hơn",
        (Comparator::AtLeast, true) => "không được nhỏ hơn",
        (Comparator::Above, true) => "phải lớn hơn",
        (Comparator::Equal, false) => "thường bằng",
        (Comparator::AtMost, false) => "thường không lớn hơn",
        (Comparator::Below, false) => "thường nhỏ hơn",
        (Comparator::AtLeast, false) => "thường không nhỏ hơn",
        (Comparator::Above, false) => "thường lớn hơn",
        // The table refuses `between` for a rule.
        (Comparator::Between, _) => "so với",
    }
}

/// One side of a rule with its figures: a single element by its name and value ("Tổng số xã
/// (32)"), a sum or difference by its arithmetic ("32 + 17 + 33 = 82"). An element without a
/// value counts as 0, as the rule counts it.
fn side(catalogue: &Catalogue, expression: &Expression, totals: &HashMap<String, Decimal>, first: bool) -> String {
    let value_of = |code: &str| totals.get(code).copied().unwrap_or(Decimal::ZERO);
    match expression.terms.as_slice() {
        [term] if term.sign > 0 => {
            let name = catalogue.element(&term.code).map(|e| e.name.as_str()).unwrap_or(&term.code);
            let name = if first { name.to_owned() } else { lower_first(name) };
            format!("{name} ({})", figure(value_of(&term.code)))
        }
        terms => {
            let mut text = String::new();
            let mut total = Decimal::ZERO;
            for (i, term) in terms.iter().enumerate() {
                let value = value_of(&term.code);
                match (i, term.sign < 0) {
                    (0, true) => text.push('-'),
                    (0, false) => {}
                    (_, true) => text.push_str(" - "),
                    (_, false) => text.push_str(" + "),
                }
                text.push_str(&figure(value));
                total = if term.sign < 0 { total - value } else { total + value };
            }
            format!("{text} = {}", figure(total))
        }
    }
}

/// A figure as the form shows it: `1.234`, `51,95`.
fn figure(value: Decimal) -> String {
    crate::format::format_number(value, 6)
}

/// An element's name inside a sentence: first letter lower-case, unless the name starts with
/// an abbreviation ("HĐND", "MTTQ").
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(name.chars().skip(1)).collect()
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ValidationRule;

    fn element(code: &str, name: &str) -> DataElement {
        DataElement {
            code: code.to_owned(),
            name: name.to_owned(),
            section_code: "S".to_owned(),
            unit_of_measure: "cuộc".to_owned(),
            value_type: ValueType::Integer,
            aggregation: crate::catalogue::Aggregation::Sum,
            by_organisation: false,
            levels: vec![Level::Commune],
            description: String::new(),
            sort_order: 0,
            active: true,
            version: 1,
        }
    }

    fn rule(code: &str, left: &str, operator: &str, right: &str, severity: &str, message: &str) -> ValidationRule {
        ValidationRule {
            code: code.to_owned(),
            left_expr: left.to_owned(),
            operator: operator.parse().expect("a comparator"),
            right_expr: right.to_owned(),
            severity: severity.parse().expect("a severity"),
            message: message.to_owned(),
            active: true,
            version: 1,
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue {
            elements: vec![
                element("GS_TONG", "Tổng số cuộc giám sát"),
                element("GS_MTTQ", "Giám sát do Ủy ban MTTQ tổ chức"),
                element("GS_BAN", "Giám sát của Ban Thanh tra nhân dân"),
                element("GS_DTCD", "Giám sát đầu tư của cộng đồng"),
                element("DON_NHAN", "Đơn tiếp nhận"),
                element("DON_GQ", "Đơn đã giải quyết"),
                element("KM", "Đường giao thông nông thôn"),
            ],
            rules: vec![
                rule("SUM", "GS_TONG", "=", "GS_MTTQ + GS_BAN + GS_DTCD", "error", "Tổng phải bằng các phần"),
                rule("LE", "DON_GQ", "<=", "DON_NHAN", "error", "Đã giải quyết không quá tiếp nhận."),
                rule("DIFF", "GS_MTTQ - GS_BAN", ">=", "KM", "warning", ""),
            ],
            ..Catalogue::default()
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, Decimal> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Decimal::from_str_exact(v).expect("a decimal"))).collect()
    }

    #[test]
    fn a_rule_message_shows_both_sides_and_the_arithmetic() {
        let figures = values(&[("GS_TONG", "143"), ("GS_MTTQ", "32"), ("GS_BAN", "17"), ("GS_DTCD", "33")]);
        let outcomes = run_rules(&catalogue(), Level::Commune, &figures, &BTreeMap::new());
        assert_eq!(outcomes.len(), 1);
        let sum = &outcomes[0];
        assert_eq!(sum.working, "Tổng số cuộc giám sát (143) phải bằng 32 + 17 + 33 = 82");
        assert_eq!(sum.message, "Tổng số cuộc giám sát (143) phải bằng 32 + 17 + 33 = 82. Tổng phải bằng các phần.");
        assert_eq!((sum.left, sum.right), (Decimal::from(143), Decimal::from(82)));
        // Holding, the rule says nothing.
        let fixed = values(&[("GS_TONG", "82"), ("GS_MTTQ", "32"), ("GS_BAN", "17"), ("GS_DTCD", "33")]);
        assert!(run_rules(&catalogue(), Level::Commune, &fixed, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn single_elements_are_named_and_missing_parts_count_as_zero() {
        let figures = values(&[("DON_NHAN", "1234"), ("DON_GQ", "1240"), ("GS_TONG", "5"), ("GS_MTTQ", "2")]);
        let outcomes = run_rules(&catalogue(), Level::Commune, &figures, &BTreeMap::new());
        let le = outcomes.iter().find(|o| o.code == "LE").expect("LE fails");
        assert_eq!(
            le.message,
            "Đơn đã giải quyết (1.240) không được lớn hơn đơn tiếp nhận (1.234). Đã giải quyết không quá tiếp nhận."
        );
        let sum = outcomes.iter().find(|o| o.code == "SUM").expect("SUM fails");
        assert_eq!(sum.working, "Tổng số cuộc giám sát (5) phải bằng 2 + 0 + 0 = 2");
    }

    #[test]
    fn differences_decimals_and_warnings() {
        let figures = values(&[("GS_MTTQ", "3"), ("GS_BAN", "1"), ("KM", "12.125")]);
        let outcomes = run_rules(&catalogue(), Level::Commune, &figures, &BTreeMap::new());
        let diff = outcomes.iter().find(|o| o.code == "DIFF").expect("DIFF fails");
        assert!(!diff.is_error);
        assert_eq!(diff.message, "3 - 1 = 2 thường không nhỏ hơn đường giao thông nông thôn (12,125).");
    }

    #[test]
    fn abbreviations_keep_their_capitals() {
        assert_eq!(lower_first("Giám sát"), "giám sát");
        assert_eq!(lower_first("HĐND tỉnh"), "HĐND tỉnh");
        assert_eq!(lower_first("Ủy ban"), "ủy ban");
    }
}
