//! The demo catalogue, loaded from `reference/demo/catalogue/` (every figure of seed 002's
//! footnotes and annexes); each expression is checked against the data elements first, and
//! every row is written with the same statement as the administrators' pages use.

use std::collections::HashSet;

use anyhow::{Context, ensure};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgConnection;

use super::DataElement;
use super::ValidationRule;
use super::store::{self, OrganisationRecord, Row, SectionRecord};
use super::{Aggregation, Expression, Indicator, IndicatorDisplay, Organisation, Section, Severity, ValueType};
use crate::directives::Comparator;
use crate::units::Level;

const ORGANISATIONS: &str = include_str!("../../reference/demo/catalogue/organisations.csv");
const SECTIONS: &str = include_str!("../../reference/demo/catalogue/sections.csv");
const DATA_ELEMENTS: &str = include_str!("../../reference/demo/catalogue/data_elements.csv");
const INDICATORS: &str = include_str!("../../reference/demo/catalogue/indicators.csv");
const RULES: &str = include_str!("../../reference/demo/catalogue/validation_rules.csv");

#[derive(Deserialize)]
struct ElementRow {
    code: String,
    name: String,
    section: String,
    unit_of_measure: String,
    value_type: ValueType,
    aggregation: Aggregation,
    by_organisation: bool,
    levels: String,
    description: String,
}

#[derive(Deserialize)]
struct IndicatorRow {
    code: String,
    name: String,
    numerator: String,
    denominator: String,
    #[serde(deserialize_with = "crate::figures::deserialize")]
    factor: Decimal,
    decimals: i16,
    display: IndicatorDisplay,
    unit: String,
}

#[derive(Deserialize)]
struct RuleRow {
    code: String,
    left: String,
    operator: Comparator,
    right: String,
    severity: Severity,
    message: String,
}

fn rows<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .with_context(|| format!("đọc {name}"))
}

/// Writes one row of the demo with the administrators' own statement ([`store::insert`]); a
/// code given twice is an error.
async fn write<R: Row>(tx: &mut PgConnection, file: &str, row: &R) -> anyhow::Result<()> {
    let inserted = store::insert(tx, row).await.with_context(|| format!("{file} {}", row.code()))?;
    ensure!(inserted, "{file} {}: mã trùng", row.code());
    Ok(())
}

/// Loads the demo catalogue; every expression is checked against the elements first.
pub async fn load_demo(tx: &mut PgConnection) -> anyhow::Result<()> {
    let organisations: Vec<Organisation> = rows("organisations.csv", ORGANISATIONS)?;
    let sections: Vec<Section> = rows("sections.csv", SECTIONS)?;
    let elements: Vec<ElementRow> = rows("data_elements.csv", DATA_ELEMENTS)?;
    let indicators: Vec<IndicatorRow> = rows("indicators.csv", INDICATORS)?;
    let rules: Vec<RuleRow> = rows("validation_rules.csv", RULES)?;
    let known: HashSet<String> = elements.iter().map(|e| e.code.clone()).collect();
    let check = |what: &str, text: &str| -> anyhow::Result<()> {
        let expression = Expression::parse(text).with_context(|| format!("{what}: “{text}”"))?;
        expression.check_known(|c| known.contains(c)).with_context(|| format!("{what}: “{text}”"))?;
        Ok(())
    };
    for o in organisations {
        let Organisation { code, name, short_name, sort_order } = o;
        let row = OrganisationRecord { code, name, short_name, sort_order, active: true, version: 1 };
        write(tx, "organisations.csv", &row).await?;
    }
    for s in sections {
        let row = SectionRecord { code: s.code, name: s.name, sort_order: s.sort_order, version: 1 };
        write(tx, "sections.csv", &row).await?;
    }
    for (i, e) in elements.into_iter().enumerate() {
        let levels: Vec<Level> = e
            .levels
            .split(';')
            .map(|l| l.trim().parse::<i16>().map_err(anyhow::Error::from).and_then(|n| Ok(Level::try_from(n)?)))
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("data_elements.csv {}: levels", e.code))?;
        let row = DataElement {
            code: e.code,
            name: e.name,
            section_code: e.section,
            unit_of_measure: e.unit_of_measure,
            value_type: e.value_type,
            aggregation: e.aggregation,
            by_organisation: e.by_organisation,
            levels,
            description: e.description,
            sort_order: i as i32,
            active: true,
            version: 1,
        };
        write(tx, "data_elements.csv", &row).await?;
    }
    for (i, ind) in indicators.into_iter().enumerate() {
        check(&ind.code, &ind.numerator)?;
        if !ind.denominator.trim().is_empty() {
            check(&ind.code, &ind.denominator)?;
        }
        let row = Indicator {
            code: ind.code,
            name: ind.name,
            numerator: ind.numerator,
            denominator: ind.denominator,
            factor: ind.factor,
            decimals: ind.decimals,
            display: ind.display,
            unit: ind.unit,
            sort_order: i as i32,
            version: 1,
        };
        write(tx, "indicators.csv", &row).await?;
    }
    for r in rules {
        check(&r.code, &r.left)?;
        check(&r.code, &r.right)?;
        let row = ValidationRule {
            code: r.code,
            left_expr: r.left,
            operator: r.operator,
            right_expr: r.right,
            severity: r.severity,
            message: r.message,
            active: true,
            version: 1,
        };
        write(tx, "validation_rules.csv", &row).await?;
    }
    Ok(())
}
