//! The catalogue: organisations, report sections, data elements, indicators and validation
//! rules, which every report is made of. Metadata is data: loaded for the demo from
//! `reference/demo/catalogue/` (`demo.rs`), edited by administrators under `/admin/catalogue`.
//!
//! - this file: the entities as the rest of the app reads them, and [`Catalogue`], all at once;
//! - `expression.rs`: sums and differences of element codes (numerators, sides of a rule);
//! - `store.rs`: the administrators' reads and writes: each edited table is a `store::Row`, its
//!   three statements written out as literals for `row!`, every update guarded by the row's version;
//! - `edit.rs`: the one create/edit flow the five entities share (check the form, show it again
//!   with the input kept and the errors next to the fields, or store, audit and redirect);
//! - `organisations.rs`, `sections.rs`, `elements.rs`, `indicators.rs`, `rules.rs`: each entity's
//!   form, its checks and its pages; `overview.rs`: the catalogue's front page;
//! - `forms.rs`: field errors, codes, and figures read with the app's one Vietnamese number parser;
//! - `lookup.rs`: small reads for other concepts (names with retired entries, indicator choices).

pub mod code;
mod demo;
mod edit;
mod elements;
pub mod expression;
pub mod forms;
mod indicators;
pub mod lookup;
mod organisations;
mod overview;
mod rules;
mod sections;
pub mod store;

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgPool};

pub use demo::load_demo;
pub use expression::Expression;

use crate::directives::Comparator;
use crate::units::Level;
use crate::vocabulary::vocabulary;
use crate::web::routes::RouteSpec;

/// The catalogue's pages, all for administrators of the country or a province.
pub fn routes() -> Vec<RouteSpec> {
    let mut table = vec![overview::route()];
    table.extend(edit::routes::<organisations::Organisations>());
    table.extend(edit::routes::<sections::Sections>());
    table.extend(edit::routes::<elements::Elements>());
    table.extend(edit::routes::<indicators::Indicators>());
    table.extend(edit::routes::<rules::Rules>());
    table
}

#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct Organisation {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub sort_order: i32,
}

#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct Section {
    pub code: String,
    pub name: String,
    pub sort_order: i32,
}

vocabulary! {
    /// What a data element holds (`data_elements.value_type`, checked by the table).
    pub enum ValueType: "kiểu giá trị" {
        Integer = "integer" => "Số nguyên",
        Decimal = "decimal" => "Số thập phân",
        Boolean = "boolean" => "Có / Không",
        Text = "text" => "Văn bản",
    }
}

vocabulary! {
    /// How a data element adds up over time (`data_elements.aggregation`): a flow sums its
    /// quarters, a stock takes the latest. Both sum over sub-units.
    pub enum Aggregation: "cách tổng hợp" {
        Sum = "sum" => "Cộng dồn (luồng)",
        Last = "last" => "Số cuối kỳ (tồn)",
    }
}

vocabulary! {
    /// How an indicator is shown (`indicators.display`): its value alone, or the ratio with its
    /// numerator and denominator.
    pub enum IndicatorDisplay: "cách hiển thị" {
        Value = "value" => "Giá trị (51,95%)",
        Ratio = "ratio" => "Tỷ số kèm tử và mẫu (81/117 xã (69,23%))",
    }
}

impl IndicatorDisplay {
    /// "Giá trị", "Tỷ số": the display in the catalogue's list.
    pub fn short_label(self) -> &'static str {
        match self {
            IndicatorDisplay::Value => "Giá trị",
            IndicatorDisplay::Ratio => "Tỷ số",
        }
    }
}

vocabulary! {
    /// What a broken validation rule does to a report (`validation_rules.severity`).
    pub enum Severity: "mức độ" {
        /// The report cannot be submitted.
        Error = "error" => "Lỗi – chặn gửi báo cáo",
        /// The report can be submitted with a note that explains the figures.
        Warning = "warning" => "Cảnh báo – cần ghi chú",
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct DataElement {
    pub code: String,
    pub name: String,
    pub section_code: String,
    pub unit_of_measure: String,
    pub value_type: ValueType,
    pub aggregation: Aggregation,
    pub by_organisation: bool,
    pub levels: Vec<Level>,
    pub description: String,
    pub sort_order: i32,
    /// Retired elements (`false`) keep their history but leave the forms; the catalogue the
    /// forms read ([`Catalogue::load`]) holds only active ones, the admin's list all.
    pub active: bool,
    pub version: i32,
}

impl DataElement {
    /// A stock (last value over time) rather than a flow (sum over time).
    pub fn is_stock(&self) -> bool {
        self.aggregation == Aggregation::Last
    }

    pub fn reported_at(&self, level: Level) -> bool {
        self.levels.contains(&level)
    }

    /// "Tỉnh, Huyện, Xã": the levels that report it, from the top.
    pub fn levels_label(&self) -> String {
        store::levels_label(&self.levels)
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub numerator: String,
    pub denominator: String,
    #[serde(serialize_with = "crate::figures::serialize")]
    pub factor: Decimal,
    pub decimals: i16,
    pub display: IndicatorDisplay,
    pub unit: String,
    pub sort_order: i32,
    pub version: i32,
}

impl Indicator {
    pub fn numerator_expression(&self) -> Option<Expression> {
        Expression::parse(&self.numerator).ok()
    }

    pub fn denominator_expression(&self) -> Option<Expression> {
        if self.denominator.trim().is_empty() { None } else { Expression::parse(&self.denominator).ok() }
    }

    /// The value from a numerator and an optional denominator: `factor × a / b`, or `a`.
    /// Multiplied first, so that a rate that is exact (1/32 → 3,125%) stays exact; otherwise
    /// the quotient keeps 28 significant digits. `None` for a zero denominator (or a product
    /// beyond a decimal's range).
    pub fn compute(&self, numerator: Decimal, denominator: Option<Decimal>) -> Option<Decimal> {
        let scaled = self.factor.checked_mul(numerator)?;
        match denominator {
            Some(d) => scaled.checked_div(d),
            None => Some(scaled),
        }
    }

    /// Whether the value is a percentage (factor 100).
    pub fn is_percentage(&self) -> bool {
        self.factor == Decimal::ONE_HUNDRED
    }

    /// "51,95%", or "81/117 xã (69,23%)" for ratios.
    pub fn format(&self, numerator: Decimal, denominator: Option<Decimal>) -> String {
        let decimals = self.decimals.max(0) as usize;
        let Some(value) = self.compute(numerator, denominator) else {
            // Reported figures whose denominator is zero: shown as reported, the rate undefined.
            return match denominator {
                Some(d) if d.is_zero() => {
                    format!("{}/{} (—)", crate::format::format_number(numerator, 2), crate::format::format_number(d, 2))
                }
                _ => "—".to_owned(),
            };
        };
        let unit_suffix = if self.is_percentage() { "%".to_owned() } else { format!(" {}", self.unit) };
        match (self.display, denominator) {
            (IndicatorDisplay::Ratio, Some(d)) => format!(
                "{}/{} {} ({}{})",
                crate::format::decimal(numerator, 0),
                crate::format::decimal(d, 0),
                self.unit,
                crate::format::decimal(value, decimals),
                unit_suffix.trim_start()
            ),
            _ => format!("{}{}", crate::format::decimal(value, decimals), unit_suffix),
        }
    }
}

/// A validation rule (`validation_rules`): `left operator right` over figures' expressions; the
/// report form and imports check the active ones, the administrators' pages edit them all.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ValidationRule {
    pub code: String,
    pub left_expr: String,
    pub operator: Comparator,
    pub right_expr: String,
    pub severity: Severity,
    pub message: String,
    pub active: bool,
    pub version: i32,
}

impl ValidationRule {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether the rule holds for these values; `None` when one side has no value at all.
    pub fn holds(&self, values: &HashMap<String, Decimal>) -> Option<bool> {
        let left = Expression::parse(&self.left_expr).ok()?.evaluate(values)?;
        let right = Expression::parse(&self.right_expr).ok()?.evaluate(values)?;
        // Sums of exact decimals, compared exactly: the operators are five of the targets'
        // comparators (the table refuses `between`).
        Some(self.operator.holds(left, right, None))
    }

    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = [&self.left_expr, &self.right_expr]
            .iter()
            .filter_map(|e| Expression::parse(e).ok())
            .flat_map(|e| e.terms.into_iter().map(|t| t.code))
            .collect();
        codes.dedup();
        codes
    }
}

/// The whole catalogue, read at once (it is small) by the pages that need it.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub organisations: Vec<Organisation>,
    pub sections: Vec<Section>,
    pub elements: Vec<DataElement>,
    pub indicators: Vec<Indicator>,
    pub rules: Vec<ValidationRule>,
}

impl Catalogue {
    pub async fn load(pool: &PgPool) -> sqlx::Result<Catalogue> {
        Ok(Catalogue {
            organisations: sqlx::query_as!(
                Organisation,
                "SELECT code, name, short_name, sort_order FROM organisations WHERE active ORDER BY sort_order, code",
            )
            .fetch_all(pool)
            .await?,
            sections: sqlx::query_as!(
                Section,
                "SELECT code, name, sort_order FROM report_sections ORDER BY sort_order, code"
            )
            .fetch_all(pool)
            .await?,
            elements: sqlx::query_as!(
                DataElement,
                r#"SELECT code, name, section_code, unit_of_measure, value_type AS "value_type: ValueType",
                        aggregation AS "aggregation: Aggregation", by_organisation,
                        levels AS "levels: Vec<Level>", description, sort_order, active, version
                 FROM data_elements WHERE active ORDER BY sort_order, code"#,
            )
            .fetch_all(pool)
            .await?,
            indicators: sqlx::query_as!(
                Indicator,
                r#"SELECT code, name, numerator, denominator, factor, decimals,
                        display AS "display: IndicatorDisplay", unit, sort_order, version
                 FROM indicators ORDER BY sort_order, code"#,
            )
            .fetch_all(pool)
            .await?,
            rules: sqlx::query_as!(
                ValidationRule,
                r#"SELECT code, left_expr, operator AS "operator: Comparator", right_expr,
                        severity AS "severity: Severity", message, active, version
                 FROM validation_rules WHERE active ORDER BY code"#,
            )
            .fetch_all(pool)
            .await?,
        })
    }

    pub fn element(&self, code: &str) -> Option<&DataElement> {
        self.elements.iter().find(|e| e.code == code)
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(value: f64) -> Decimal {
        crate::figures::from_f64(value).expect("a decimal")
    }

    fn indicator(display: &str, factor: i64, decimals: i16, unit: &str) -> Indicator {
        let display = display.parse().expect("a display");
        Indicator {
            code: "X".into(),
            name: "X".into(),
            numerator: "A".into(),
            denominator: "B".into(),
            factor: Decimal::from(factor),
            decimals,
            display,
            unit: unit.into(),
            sort_order: 0,
            version: 1,
        }
    }

    #[test]
    fn formats_indicators_the_vietnamese_way() {
        assert_eq!(indicator("ratio", 100, 2, "xã").format(d(81.0), Some(d(117.0))), "81/117 xã (69,23%)");
        assert_eq!(indicator("value", 100, 2, "%").format(d(585160.0), Some(d(1126391.0))), "51,95%");
        assert_eq!(indicator("ratio", 100, 2, "đơn").format(d(340.0), Some(d(436.0))), "340/436 đơn (77,98%)");
        assert_eq!(indicator("value", 1, 0, "cuộc").format(d(143.0), None), "143 cuộc");
        assert_eq!(indicator("value", 100, 2, "%").format(d(0.0), Some(d(0.0))), "0/0 (—)");
        assert_eq!(indicator("ratio", 100, 2, "đơn").format(d(0.0), Some(d(0.0))), "0/0 (—)");
        // 1/32 = 3,125%: exact, and shown rounded half away from zero.
        let rate = indicator("value", 100, 2, "%");
        assert_eq!(rate.compute(d(1.0), Some(d(32.0))), Some(d(3.125)));
        assert_eq!(rate.format(d(1.0), Some(d(32.0))), "3,13%");
        let third = rate.compute(d(1.0), Some(d(3.0))).expect("a value");
        assert_eq!(third.to_string(), "33.333333333333333333333333333", "28 significant digits");
    }

    #[test]
    fn rules_compare_expressions() {
        let rule = ValidationRule {
            code: "R".into(),
            left_expr: "GS_TONG".into(),
            operator: Comparator::Equal,
            right_expr: "GS_A + GS_B".into(),
            severity: Severity::Error,
            message: "m".into(),
            active: true,
            version: 1,
        };
        let values = |t: f64, a: f64, b: f64| -> HashMap<String, Decimal> {
            [("GS_TONG".to_owned(), d(t)), ("GS_A".to_owned(), d(a)), ("GS_B".to_owned(), d(b))].into()
        };
        assert_eq!(rule.holds(&values(129.0, 100.0, 29.0)), Some(true));
        assert_eq!(rule.holds(&values(143.0, 100.0, 29.0)), Some(false), "seed 002's slip: 143 ≠ 129");
        assert_eq!(rule.holds(&values(0.3, 0.1, 0.2)), Some(true), "0,1 + 0,2 = 0,3 exactly");
        assert_eq!(rule.holds(&HashMap::new()), None);
    }
}
