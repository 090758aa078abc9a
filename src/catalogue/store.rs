//! Reads and writes of the catalogue for the administrators' pages. Every row they edit is a
//! [`Row`]: read by its code, inserted unless the code is taken, and updated only under the
//! version it was read at (optimistic locking): `false` means someone else saved first.

use serde::Serialize;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{FromRow, PgConnection, PgExecutor, Postgres};

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

/// A statement with its parameters bound.
pub type PgQuery = Query<'static, Postgres, PgArguments>;

/// A row the administrators edit. Its statements are written out in full (no SQL assembled at
/// run time); [`Row::bind`] binds the code (`$1`) and then every field in the order both
/// [`Row::INSERT`] and [`Row::UPDATE`] use, the update taking the expected version last.
pub trait Row: for<'r> FromRow<'r, PgRow> + Serialize + Send + Sync + Unpin + 'static {
    /// The row's name in the audit log.
    const ENTITY: &'static str;
    /// One row by its code (`$1`).
    const SELECT_ONE: &'static str;
    /// The code and the fields; nothing when the code is taken (`ON CONFLICT (code) DO NOTHING`).
    const INSERT: &'static str;
    /// The fields of the row whose code is `$1` and whose version is the last parameter.
    const UPDATE: &'static str;

    fn code(&self) -> &str;
    fn version(&self) -> i32;
    fn bind(&self, query: PgQuery) -> PgQuery;
}

pub async fn fetch<R: Row>(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<R>> {
    sqlx::query_as(R::SELECT_ONE).bind(code).fetch_optional(executor).await
}

/// Inserts, or `false` when the code is taken.
pub async fn insert<R: Row>(tx: &mut PgConnection, row: &R) -> sqlx::Result<bool> {
    let done = row.bind(sqlx::query(R::INSERT)).execute(tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Updates, or `false` when the row is no longer at the version it was read at.
pub async fn update<R: Row>(tx: &mut PgConnection, row: &R) -> sqlx::Result<bool> {
    let done = row.bind(sqlx::query(R::UPDATE)).bind(row.version()).execute(tx).await?;
    Ok(done.rows_affected() == 1)
}

// Organisations.

macro_rules! organisation_columns {
    () => {
        "code, name, short_name, sort_order, active, version"
    };
}

pub async fn organisations(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<OrganisationRecord>> {
    sqlx::query_as(concat!("SELECT ", organisation_columns!(), " FROM organisations ORDER BY sort_order, code"))
        .fetch_all(executor)
        .await
}

impl Row for OrganisationRecord {
    const ENTITY: &'static str = "organisation";
    const SELECT_ONE: &'static str = concat!("SELECT ", organisation_columns!(), " FROM organisations WHERE code = $1");
    const INSERT: &'static str = "INSERT INTO organisations (code, name, short_name, sort_order, active)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING";
    const UPDATE: &'static str = "UPDATE organisations SET name = $2, short_name = $3, sort_order = $4, active = $5,
                version = version + 1
         WHERE code = $1 AND version = $6";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn bind(&self, query: PgQuery) -> PgQuery {
        query.bind(&self.code).bind(&self.name).bind(&self.short_name).bind(self.sort_order).bind(self.active)
    }
}

// Report sections.

pub async fn sections(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<SectionRecord>> {
    sqlx::query_as("SELECT code, name, sort_order, version FROM report_sections ORDER BY sort_order, code")
        .fetch_all(executor)
        .await
}

impl Row for SectionRecord {
    const ENTITY: &'static str = "report_section";
    const SELECT_ONE: &'static str = "SELECT code, name, sort_order, version FROM report_sections WHERE code = $1";
    const INSERT: &'static str =
        "INSERT INTO report_sections (code, name, sort_order) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING";
    const UPDATE: &'static str = "UPDATE report_sections SET name = $2, sort_order = $3, version = version + 1
         WHERE code = $1 AND version = $4";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn bind(&self, query: PgQuery) -> PgQuery {
        query.bind(&self.code).bind(&self.name).bind(self.sort_order)
    }
}

// Data elements.

macro_rules! element_columns {
    () => {
        "e.code, e.name, e.section_code, e.unit_of_measure, e.value_type, e.aggregation,
         e.by_organisation, e.levels, e.description, e.sort_order, e.active, e.version"
    };
}

/// Every element, active or retired, in section order.
pub async fn elements(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<ElementRecord>> {
    sqlx::query_as(concat!(
        "SELECT ",
        element_columns!(),
        " FROM data_elements e JOIN report_sections s ON s.code = e.section_code
         ORDER BY s.sort_order, s.code, e.sort_order, e.code"
    ))
    .fetch_all(executor)
    .await
}

/// The codes expressions may use: every element that exists (a retired one still has history).
pub async fn element_codes(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT code FROM data_elements ORDER BY code").fetch_all(executor).await
}

impl Row for ElementRecord {
    const ENTITY: &'static str = "data_element";
    const SELECT_ONE: &'static str = concat!("SELECT ", element_columns!(), " FROM data_elements e WHERE e.code = $1");
    const INSERT: &'static str = "INSERT INTO data_elements (code, name, section_code, unit_of_measure, value_type,
                aggregation, by_organisation, levels, description, sort_order, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING";
    const UPDATE: &'static str = "UPDATE data_elements SET name = $2, section_code = $3, unit_of_measure = $4,
                value_type = $5, aggregation = $6, by_organisation = $7, levels = $8, description = $9,
                sort_order = $10, active = $11, version = version + 1
         WHERE code = $1 AND version = $12";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn bind(&self, query: PgQuery) -> PgQuery {
        query
            .bind(&self.code)
            .bind(&self.name)
            .bind(&self.section_code)
            .bind(&self.unit_of_measure)
            .bind(&self.value_type)
            .bind(&self.aggregation)
            .bind(self.by_organisation)
            .bind(&self.levels)
            .bind(&self.description)
            .bind(self.sort_order)
            .bind(self.active)
    }
}

// Indicators.

macro_rules! indicator_columns {
    () => {
        "code, name, numerator, denominator, factor, decimals, display, unit, sort_order, version"
    };
}

pub async fn indicators(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<Indicator>> {
    sqlx::query_as(concat!("SELECT ", indicator_columns!(), " FROM indicators ORDER BY sort_order, code"))
        .fetch_all(executor)
        .await
}

impl Row for Indicator {
    const ENTITY: &'static str = "indicator";
    const SELECT_ONE: &'static str = concat!("SELECT ", indicator_columns!(), " FROM indicators WHERE code = $1");
    const INSERT: &'static str = "INSERT INTO indicators (code, name, numerator, denominator, factor, decimals,
                display, unit, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING";
    const UPDATE: &'static str = "UPDATE indicators SET name = $2, numerator = $3, denominator = $4, factor = $5,
                decimals = $6, display = $7, unit = $8, sort_order = $9, version = version + 1
         WHERE code = $1 AND version = $10";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn bind(&self, query: PgQuery) -> PgQuery {
        query
            .bind(&self.code)
            .bind(&self.name)
            .bind(&self.numerator)
            .bind(&self.denominator)
            .bind(self.factor)
            .bind(self.decimals)
            .bind(&self.display)
            .bind(&self.unit)
            .bind(self.sort_order)
    }
}

// Validation rules.

macro_rules! rule_columns {
    () => {
        "code, left_expr, operator, right_expr, severity, message, active, version"
    };
}

pub async fn rules(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<RuleRecord>> {
    sqlx::query_as(concat!("SELECT ", rule_columns!(), " FROM validation_rules ORDER BY code"))
        .fetch_all(executor)
        .await
}

impl Row for RuleRecord {
    const ENTITY: &'static str = "validation_rule";
    const SELECT_ONE: &'static str = concat!("SELECT ", rule_columns!(), " FROM validation_rules WHERE code = $1");
    const INSERT: &'static str = "INSERT INTO validation_rules (code, left_expr, operator, right_expr, severity,
                message, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING";
    const UPDATE: &'static str = "UPDATE validation_rules SET left_expr = $2, operator = $3, right_expr = $4,
                severity = $5, message = $6, active = $7, version = version + 1
         WHERE code = $1 AND version = $8";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn bind(&self, query: PgQuery) -> PgQuery {
        query
            .bind(&self.code)
            .bind(&self.left_expr)
            .bind(&self.operator)
            .bind(&self.right_expr)
            .bind(&self.severity)
            .bind(&self.message)
            .bind(self.active)
    }
}
