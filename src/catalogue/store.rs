//! Reads and writes of the catalogue for the administrators' pages. Every update is guarded by
//! the row's `version` (optimistic locking): `false` means someone else saved first.

use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

use super::Indicator;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct OrganisationRecord {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub sort_order: i32,
    pub active: bool,
    pub version: i32,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct SectionRecord {
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub version: i32,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ElementRecord {
    pub code: String,
    pub name: String,
    pub section_code: String,
    pub unit_of_measure: String,
    pub value_type: String,
    pub aggregation: String,
    pub by_organisation: bool,
    pub levels: Vec<i16>,
    pub description: String,
    pub sort_order: i32,
    pub active: bool,
    pub version: i32,
}

pub const VALUE_TYPES: [(&str, &str); 4] =
    [("integer", "Số nguyên"), ("decimal", "Số thập phân"), ("boolean", "Có / Không"), ("text", "Văn bản")];
pub const AGGREGATIONS: [(&str, &str); 2] = [("sum", "Cộng dồn (luồng)"), ("last", "Số cuối kỳ (tồn)")];
pub const LEVELS: [(i16, &str); 3] = [(1, "Tỉnh"), (2, "Huyện"), (3, "Xã")];
pub const OPERATORS: [(&str, &str); 5] = [("<=", "≤"), ("<", "<"), ("=", "="), (">=", "≥"), (">", ">")];
pub const SEVERITIES: [(&str, &str); 2] = [("error", "Lỗi – chặn gửi báo cáo"), ("warning", "Cảnh báo – cần ghi chú")];
pub const DISPLAYS: [(&str, &str); 2] =
    [("value", "Giá trị (51,95%)"), ("ratio", "Tỷ số kèm tử và mẫu (81/117 xã (69,23%))")];

fn label_of<'a>(options: &[(&str, &'a str)], key: &str) -> &'a str {
    options.iter().find(|(k, _)| *k == key).map(|(_, label)| *label).unwrap_or("—")
}

pub fn levels_label(levels: &[i16]) -> String {
    LEVELS.iter().filter(|(level, _)| levels.contains(level)).map(|(_, label)| *label).collect::<Vec<_>>().join(", ")
}

impl ElementRecord {
    pub fn value_type_label(&self) -> &'static str {
        label_of(&VALUE_TYPES, &self.value_type)
    }

    pub fn aggregation_label(&self) -> &'static str {
        label_of(&AGGREGATIONS, &self.aggregation)
    }

    pub fn levels_label(&self) -> String {
        levels_label(&self.levels)
    }
}

pub fn display_label(display: &str) -> &'static str {
    match display {
        "ratio" => "Tỷ số",
        _ => "Giá trị",
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RuleRecord {
    pub code: String,
    pub left_expr: String,
    pub operator: String,
    pub right_expr: String,
    pub severity: String,
    pub message: String,
    pub active: bool,
    pub version: i32,
}

impl RuleRecord {
    pub fn operator_symbol(&self) -> &'static str {
        label_of(&OPERATORS, &self.operator)
    }

    pub fn severity_label(&self) -> &'static str {
        label_of(&SEVERITIES, &self.severity)
    }
}

#[derive(Debug, Clone, Default, FromRow)]
pub struct Counts {
    pub organisations: i64,
    pub organisations_active: i64,
    pub sections: i64,
    pub elements: i64,
    pub elements_active: i64,
    pub indicators: i64,
    pub rules: i64,
    pub rules_active: i64,
}

pub async fn counts(executor: impl PgExecutor<'_>) -> sqlx::Result<Counts> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM organisations) AS organisations,
                (SELECT count(*) FROM organisations WHERE active) AS organisations_active,
                (SELECT count(*) FROM report_sections) AS sections,
                (SELECT count(*) FROM data_elements) AS elements,
                (SELECT count(*) FROM data_elements WHERE active) AS elements_active,
                (SELECT count(*) FROM indicators) AS indicators,
                (SELECT count(*) FROM validation_rules) AS rules,
                (SELECT count(*) FROM validation_rules WHERE active) AS rules_active",
    )
    .fetch_one(executor)
    .await
}

// Organisations.

const ORGANISATION_COLUMNS: &str = "code, name, short_name, sort_order, active, version";

pub async fn organisations(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<OrganisationRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORGANISATION_COLUMNS} FROM organisations ORDER BY sort_order, code"
    )))
    .fetch_all(executor)
    .await
}

pub async fn organisation(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<OrganisationRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ORGANISATION_COLUMNS} FROM organisations WHERE code = $1")))
        .bind(code)
        .fetch_optional(executor)
        .await
}

/// Inserts, or `false` when the code is taken.
pub async fn insert_organisation(tx: &mut PgConnection, o: &OrganisationRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO organisations (code, name, short_name, sort_order, active) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(&o.code)
    .bind(&o.name)
    .bind(&o.short_name)
    .bind(o.sort_order)
    .bind(o.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_organisation(tx: &mut PgConnection, o: &OrganisationRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE organisations SET name = $3, short_name = $4, sort_order = $5, active = $6, version = version + 1
         WHERE code = $1 AND version = $2",
    )
    .bind(&o.code)
    .bind(o.version)
    .bind(&o.name)
    .bind(&o.short_name)
    .bind(o.sort_order)
    .bind(o.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// Report sections.

pub async fn sections(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<SectionRecord>> {
    sqlx::query_as("SELECT code, name, sort_order, version FROM report_sections ORDER BY sort_order, code")
        .fetch_all(executor)
        .await
}

pub async fn section(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<SectionRecord>> {
    sqlx::query_as("SELECT code, name, sort_order, version FROM report_sections WHERE code = $1")
        .bind(code)
        .fetch_optional(executor)
        .await
}

pub async fn insert_section(tx: &mut PgConnection, s: &SectionRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO report_sections (code, name, sort_order) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
    )
    .bind(&s.code)
    .bind(&s.name)
    .bind(s.sort_order)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_section(tx: &mut PgConnection, s: &SectionRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE report_sections SET name = $3, sort_order = $4, version = version + 1
         WHERE code = $1 AND version = $2",
    )
    .bind(&s.code)
    .bind(s.version)
    .bind(&s.name)
    .bind(s.sort_order)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// Data elements.

const ELEMENT_COLUMNS: &str = "e.code, e.name, e.section_code, e.unit_of_measure, e.value_type, e.aggregation,
     e.by_organisation, e.levels, e.description, e.sort_order, e.active, e.version";

/// Every element, active or retired, in section order.
pub async fn elements(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<ElementRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ELEMENT_COLUMNS} FROM data_elements e JOIN report_sections s ON s.code = e.section_code
         ORDER BY s.sort_order, s.code, e.sort_order, e.code"
    )))
    .fetch_all(executor)
    .await
}

pub async fn element(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<ElementRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ELEMENT_COLUMNS} FROM data_elements e WHERE e.code = $1")))
        .bind(code)
        .fetch_optional(executor)
        .await
}

/// The codes expressions may use: every element that exists (a retired one still has history).
pub async fn element_codes(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT code FROM data_elements ORDER BY code").fetch_all(executor).await
}

pub async fn insert_element(tx: &mut PgConnection, e: &ElementRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO data_elements (code, name, section_code, unit_of_measure, value_type, aggregation,
                                    by_organisation, levels, description, sort_order, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING",
    )
    .bind(&e.code)
    .bind(&e.name)
    .bind(&e.section_code)
    .bind(&e.unit_of_measure)
    .bind(&e.value_type)
    .bind(&e.aggregation)
    .bind(e.by_organisation)
    .bind(&e.levels)
    .bind(&e.description)
    .bind(e.sort_order)
    .bind(e.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_element(tx: &mut PgConnection, e: &ElementRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE data_elements SET name = $3, section_code = $4, unit_of_measure = $5, value_type = $6,
                aggregation = $7, by_organisation = $8, levels = $9, description = $10, sort_order = $11,
                active = $12, version = version + 1
         WHERE code = $1 AND version = $2",
    )
    .bind(&e.code)
    .bind(e.version)
    .bind(&e.name)
    .bind(&e.section_code)
    .bind(&e.unit_of_measure)
    .bind(&e.value_type)
    .bind(&e.aggregation)
    .bind(e.by_organisation)
    .bind(&e.levels)
    .bind(&e.description)
    .bind(e.sort_order)
    .bind(e.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// Indicators.

const INDICATOR_COLUMNS: &str =
    "code, name, numerator, denominator, factor, decimals, display, unit, sort_order, version";

pub async fn indicators(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<Indicator>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators ORDER BY sort_order, code")))
        .fetch_all(executor)
        .await
}

pub async fn indicator(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<Indicator>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INDICATOR_COLUMNS} FROM indicators WHERE code = $1")))
        .bind(code)
        .fetch_optional(executor)
        .await
}

pub async fn insert_indicator(tx: &mut PgConnection, i: &Indicator) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO indicators (code, name, numerator, denominator, factor, decimals, display, unit, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING",
    )
    .bind(&i.code)
    .bind(&i.name)
    .bind(&i.numerator)
    .bind(&i.denominator)
    .bind(i.factor)
    .bind(i.decimals)
    .bind(&i.display)
    .bind(&i.unit)
    .bind(i.sort_order)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_indicator(tx: &mut PgConnection, i: &Indicator) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE indicators SET name = $3, numerator = $4, denominator = $5, factor = $6, decimals = $7,
                display = $8, unit = $9, sort_order = $10, version = version + 1
         WHERE code = $1 AND version = $2",
    )
    .bind(&i.code)
    .bind(i.version)
    .bind(&i.name)
    .bind(&i.numerator)
    .bind(&i.denominator)
    .bind(i.factor)
    .bind(i.decimals)
    .bind(&i.display)
    .bind(&i.unit)
    .bind(i.sort_order)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// Validation rules.

const RULE_COLUMNS: &str = "code, left_expr, operator, right_expr, severity, message, active, version";

pub async fn rules(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<RuleRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLUMNS} FROM validation_rules ORDER BY code")))
        .fetch_all(executor)
        .await
}

pub async fn rule(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<RuleRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLUMNS} FROM validation_rules WHERE code = $1")))
        .bind(code)
        .fetch_optional(executor)
        .await
}

pub async fn insert_rule(tx: &mut PgConnection, r: &RuleRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO validation_rules (code, left_expr, operator, right_expr, severity, message, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
    )
    .bind(&r.code)
    .bind(&r.left_expr)
    .bind(&r.operator)
    .bind(&r.right_expr)
    .bind(&r.severity)
    .bind(&r.message)
    .bind(r.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_rule(tx: &mut PgConnection, r: &RuleRecord) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE validation_rules SET left_expr = $3, operator = $4, right_expr = $5, severity = $6, message = $7,
                active = $8, version = version + 1
         WHERE code = $1 AND version = $2",
    )
    .bind(&r.code)
    .bind(r.version)
    .bind(&r.left_expr)
    .bind(&r.operator)
    .bind(&r.right_expr)
    .bind(&r.severity)
    .bind(&r.message)
    .bind(r.active)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
