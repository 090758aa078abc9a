//! The demo catalogue, loaded from `reference/demo/catalogue/` (every figure of seed 002's
//! footnotes and annexes); each expression is checked against the data elements first.

use anyhow::{Context, bail};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgConnection;

use super::{Expression, Organisation, Section};

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
    value_type: String,
    aggregation: String,
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
    display: String,
    unit: String,
}

#[derive(Deserialize)]
struct RuleRow {
    code: String,
    left: String,
    operator: String,
    right: String,
    severity: String,
    message: String,
}

fn rows<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .with_context(|| format!("đọc {name}"))
}

/// Loads the demo catalogue; every expression is checked against the elements first.
pub async fn load_demo(tx: &mut PgConnection) -> anyhow::Result<()> {
    let organisations: Vec<Organisation> = rows("organisations.csv", ORGANISATIONS)?;
    let sections: Vec<Section> = rows("sections.csv", SECTIONS)?;
    let elements: Vec<ElementRow> = rows("data_elements.csv", DATA_ELEMENTS)?;
    let indicators: Vec<IndicatorRow> = rows("indicators.csv", INDICATORS)?;
    let rules: Vec<RuleRow> = rows("validation_rules.csv", RULES)?;
    let known: std::collections::HashSet<&str> = elements.iter().map(|e| e.code.as_str()).collect();
    let check = |what: &str, text: &str| -> anyhow::Result<()> {
        let expression = Expression::parse(text).with_context(|| format!("{what}: “{text}”"))?;
        expression.check_known(|c| known.contains(c)).with_context(|| format!("{what}: “{text}”"))?;
        Ok(())
    };
    for o in &organisations {
        sqlx::query("INSERT INTO organisations (code, name, short_name, sort_order) VALUES ($1, $2, $3, $4)")
            .bind(&o.code)
            .bind(&o.name)
            .bind(&o.short_name)
            .bind(o.sort_order)
            .execute(&mut *tx)
            .await?;
    }
    for s in &sections {
        sqlx::query("INSERT INTO report_sections (code, name, sort_order) VALUES ($1, $2, $3)")
            .bind(&s.code)
            .bind(&s.name)
            .bind(s.sort_order)
            .execute(&mut *tx)
            .await?;
    }
    for (i, e) in elements.iter().enumerate() {
        let levels: Vec<i16> = e
            .levels
            .split(';')
            .map(|l| l.trim().parse::<i16>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("data_elements.csv {}: levels", e.code))?;
        sqlx::query(
            "INSERT INTO data_elements (code, name, section_code, unit_of_measure, value_type, aggregation,
                                        by_organisation, levels, description, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&e.code)
        .bind(&e.name)
        .bind(&e.section)
        .bind(&e.unit_of_measure)
        .bind(&e.value_type)
        .bind(&e.aggregation)
        .bind(e.by_organisation)
        .bind(&levels)
        .bind(&e.description)
        .bind(i as i32)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("data_elements.csv {}", e.code))?;
    }
    for (i, ind) in indicators.iter().enumerate() {
        check(&ind.code, &ind.numerator)?;
        if !ind.denominator.trim().is_empty() {
            check(&ind.code, &ind.denominator)?;
        }
        sqlx::query(
            "INSERT INTO indicators (code, name, numerator, denominator, factor, decimals, display, unit, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&ind.code)
        .bind(&ind.name)
        .bind(&ind.numerator)
        .bind(&ind.denominator)
        .bind(ind.factor)
        .bind(ind.decimals)
        .bind(&ind.display)
        .bind(&ind.unit)
        .bind(i as i32)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("indicators.csv {}", ind.code))?;
    }
    for r in &rules {
        check(&r.code, &r.left)?;
        check(&r.code, &r.right)?;
        if !["error", "warning"].contains(&r.severity.as_str()) {
            bail!("validation_rules.csv {}: mức độ {}", r.code, r.severity);
        }
        sqlx::query(
            "INSERT INTO validation_rules (code, left_expr, operator, right_expr, severity, message)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.code)
        .bind(&r.left)
        .bind(&r.operator)
        .bind(&r.right)
        .bind(&r.severity)
        .bind(&r.message)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("validation_rules.csv {}", r.code))?;
    }
    Ok(())
}
