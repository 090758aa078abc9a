//! Reads and writes of the catalogue for the administrators' pages. Every row they edit is a
//! [`Row`]: read by its code, inserted unless the code is taken, and updated only under the
//! version it was read at (optimistic locking): `false` means someone else saved first.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

use super::{Aggregation, DataElement, Indicator, IndicatorDisplay, Severity, ValidationRule, ValueType};
use crate::directives::Comparator;
use crate::units::Level;

#[derive(Debug, Clone, Serialize)]
pub struct OrganisationRecord {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub sort_order: i32,
    pub active: bool,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionRecord {
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub version: i32,
}

/// The comparators a validation rule may use, with their symbols: the targets' but `between`
/// (`validation_rules.operator`, checked by the table).
pub const OPERATORS: [Comparator; 5] =
    [Comparator::AtMost, Comparator::Below, Comparator::Equal, Comparator::AtLeast, Comparator::Above];
/// "Tỉnh, Huyện, Xã": the levels that report an element, from the top.
pub fn levels_label(levels: &[Level]) -> String {
    Level::ALL.iter().filter(|level| levels.contains(level)).map(|l| l.short_label()).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone, Default)]
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
    sqlx::query_as!(
        Counts,
        r#"SELECT (SELECT count(*) FROM organisations) AS "organisations!",
                (SELECT count(*) FROM organisations WHERE active) AS "organisations_active!",
                (SELECT count(*) FROM report_sections) AS "sections!",
                (SELECT count(*) FROM data_elements) AS "elements!",
                (SELECT count(*) FROM data_elements WHERE active) AS "elements_active!",
                (SELECT count(*) FROM indicators) AS "indicators!",
                (SELECT count(*) FROM validation_rules) AS "rules!",
                (SELECT count(*) FROM validation_rules WHERE active) AS "rules_active!""#,
    )
    .fetch_one(executor)
    .await
}

/// A row the administrators edit: read by its code, inserted unless the code is taken, updated
/// only at the version it was read at. Each row type gives its three statements to `row!`,
/// which writes the impl; they are checked at compile time like every other.
pub trait Row: Serialize + Send + Sync + Unpin + Sized + 'static {
    /// The row's name in the audit log.
    const ENTITY: &'static str;

    fn code(&self) -> &str;
    fn version(&self) -> i32;

    /// One row by its code.
    fn select_one<'e>(
        executor: impl PgExecutor<'e>,
        code: &str,
    ) -> impl Future<Output = sqlx::Result<Option<Self>>> + Send;
    /// The code and the fields; nothing when the code is taken (`ON CONFLICT (code) DO
    /// NOTHING`). Returns the rows written.
    fn insert_row(&self, tx: &mut PgConnection) -> impl Future<Output = sqlx::Result<u64>> + Send;
    /// The fields of the row with this code, if it is still at [`Row::version`]. Returns the rows
    /// written.
    fn update_row(&self, tx: &mut PgConnection) -> impl Future<Output = sqlx::Result<u64>> + Send;
}

pub async fn fetch<R: Row>(executor: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<R>> {
    R::select_one(executor, code).await
}

/// Inserts, or `false` when the code is taken.
pub async fn insert<R: Row>(tx: &mut PgConnection, row: &R) -> sqlx::Result<bool> {
    Ok(row.insert_row(tx).await? == 1)
}

/// Updates, or `false` when the row is no longer at the version it was read at.
pub async fn update<R: Row>(tx: &mut PgConnection, row: &R) -> sqlx::Result<bool> {
    Ok(row.update_row(tx).await? == 1)
}

/// Implements [`Row`] for a record type with its three statements, each a literal that `query!`
/// checks at compile time: `select` takes the code; `insert` binds the code, then `fields` in
/// order ($2, $3, …); `update` binds the code, the same `fields`, and last the version read. A
/// field of a vocabulary is named with its type (`severity as Severity`), which the statements'
/// check then expects.
macro_rules! row {
    (
        $record:ident, $entity:literal, fields: [$($field:ident $(as $ty:ty)?),+ $(,)?],
        select: $select:literal,
        insert: $insert:literal,
        update: $update:literal $(,)?
    ) => {
        impl Row for $record {
            const ENTITY: &'static str = $entity;

            fn code(&self) -> &str {
                &self.code
            }

            fn version(&self) -> i32 {
                self.version
            }

            async fn select_one<'e>(executor: impl PgExecutor<'e>, code: &str) -> sqlx::Result<Option<Self>> {
                sqlx::query_as!($record, $select, code).fetch_optional(executor).await
            }

            async fn insert_row(&self, tx: &mut PgConnection) -> sqlx::Result<u64> {
                let done = sqlx::query!($insert, self.code, $(&self.$field $(as &$ty)?),+).execute(tx).await?;
                Ok(done.rows_affected())
            }

            async fn update_row(&self, tx: &mut PgConnection) -> sqlx::Result<u64> {
                let done =
                    sqlx::query!($update, self.code, $(&self.$field $(as &$ty)?,)+ self.version).execute(tx).await?;
                Ok(done.rows_affected())
            }
        }
    };
}

// Organisations.

pub async fn organisations(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<OrganisationRecord>> {
    sqlx::query_as!(
        OrganisationRecord,
        "SELECT code, name, short_name, sort_order, active, version FROM organisations ORDER BY sort_order, code"
    )
    .fetch_all(executor)
    .await
}

row! {
    OrganisationRecord,
    "organisation",
    fields: [name, short_name, sort_order, active],
    select: "SELECT code, name, short_name, sort_order, active, version FROM organisations WHERE code = $1",
    insert: "INSERT INTO organisations (code, name, short_name, sort_order, active)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING",
    update: "UPDATE organisations SET name = $2, short_name = $3, sort_order = $4, active = $5,
                    version = version + 1
             WHERE code = $1 AND version = $6",
}

// Report sections.

pub async fn sections(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<SectionRecord>> {
    sqlx::query_as!(
        SectionRecord,
        "SELECT code, name, sort_order, version FROM report_sections ORDER BY sort_order, code"
    )
    .fetch_all(executor)
    .await
}

row! {
    SectionRecord,
    "report_section",
    fields: [name, sort_order],
    select: "SELECT code, name, sort_order, version FROM report_sections WHERE code = $1",
    insert: "INSERT INTO report_sections (code, name, sort_order) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
    update: "UPDATE report_sections SET name = $2, sort_order = $3, version = version + 1
             WHERE code = $1 AND version = $4",
}

// Data elements.

/// Every element, active or retired, in section order.
pub async fn elements(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<DataElement>> {
    sqlx::query_as!(
        DataElement,
        r#"SELECT e.code, e.name, e.section_code, e.unit_of_measure, e.value_type AS "value_type: ValueType",
                e.aggregation AS "aggregation: Aggregation", e.by_organisation, e.levels AS "levels: Vec<Level>",
                e.description, e.sort_order, e.active, e.version
         FROM data_elements e JOIN report_sections s ON s.code = e.section_code
         ORDER BY s.sort_order, s.code, e.sort_order, e.code"#
    )
    .fetch_all(executor)
    .await
}

/// The codes expressions may use: every element that exists (a retired one still has history).
pub async fn element_codes(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT code FROM data_elements ORDER BY code").fetch_all(executor).await
}

/// The stocks: every element aggregated as each unit's latest value (`last`), retired ones
/// included (their stored values keep their rule). The other elements are flows, summed.
pub async fn stock_codes(executor: impl PgExecutor<'_>) -> sqlx::Result<HashSet<String>> {
    let codes =
        sqlx::query_scalar!("SELECT code FROM data_elements WHERE aggregation = 'last'").fetch_all(executor).await?;
    Ok(codes.into_iter().collect())
}

// Written out, not with `row!`: levels are `Level`s, read and bound with a type override.
impl Row for DataElement {
    const ENTITY: &'static str = "data_element";

    fn code(&self) -> &str {
        &self.code
    }

    fn version(&self) -> i32 {
        self.version
    }

    async fn select_one<'e>(executor: impl PgExecutor<'e>, code: &str) -> sqlx::Result<Option<Self>> {
        sqlx::query_as!(
            DataElement,
            r#"SELECT e.code, e.name, e.section_code, e.unit_of_measure, e.value_type AS "value_type: ValueType",
                    e.aggregation AS "aggregation: Aggregation", e.by_organisation, e.levels AS "levels: Vec<Level>",
                    e.description, e.sort_order, e.active, e.version
             FROM data_elements e WHERE e.code = $1"#,
            code,
        )
        .fetch_optional(executor)
        .await
    }

    async fn insert_row(&self, tx: &mut PgConnection) -> sqlx::Result<u64> {
        let done = sqlx::query!(
            "INSERT INTO data_elements (code, name, section_code, unit_of_measure, value_type,
                    aggregation, by_organisation, levels, description, sort_order, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING",
            &self.code,
            &self.name,
            &self.section_code,
            &self.unit_of_measure,
            self.value_type.as_str(),
            self.aggregation.as_str(),
            self.by_organisation,
            // Levels are `smallint` in the array: bound `as _` (the macros' check knows `Vec<i16>`).
            &self.levels as _,
            &self.description,
            self.sort_order,
            self.active,
        )
        .execute(tx)
        .await?;
        Ok(done.rows_affected())
    }

    async fn update_row(&self, tx: &mut PgConnection) -> sqlx::Result<u64> {
        let done = sqlx::query!(
            "UPDATE data_elements SET name = $2, section_code = $3, unit_of_measure = $4,
                    value_type = $5, aggregation = $6, by_organisation = $7, levels = $8, description = $9,
                    sort_order = $10, active = $11, version = version + 1
             WHERE code = $1 AND version = $12",
            &self.code,
            &self.name,
            &self.section_code,
            &self.unit_of_measure,
            self.value_type.as_str(),
            self.aggregation.as_str(),
            self.by_organisation,
            &self.levels as _,
            &self.description,
            self.sort_order,
            self.active,
            self.version,
        )
        .execute(tx)
        .await?;
        Ok(done.rows_affected())
    }
}

// Indicators.

pub async fn indicators(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<Indicator>> {
    sqlx::query_as!(
        Indicator,
        r#"SELECT code, name, numerator, denominator, factor, decimals, display AS "display: IndicatorDisplay", unit,
                sort_order, version
         FROM indicators ORDER BY sort_order, code"#
    )
    .fetch_all(executor)
    .await
}

row! {
    Indicator,
    "indicator",
    fields: [name, numerator, denominator, factor, decimals, display as IndicatorDisplay, unit, sort_order],
    select: r#"SELECT code, name, numerator, denominator, factor, decimals, display AS "display: IndicatorDisplay",
                    unit, sort_order, version
             FROM indicators WHERE code = $1"#,
    insert: "INSERT INTO indicators (code, name, numerator, denominator, factor, decimals,
                    display, unit, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING",
    update: "UPDATE indicators SET name = $2, numerator = $3, denominator = $4, factor = $5,
                    decimals = $6, display = $7, unit = $8, sort_order = $9, version = version + 1
             WHERE code = $1 AND version = $10",
}

// Validation rules.

pub async fn rules(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<ValidationRule>> {
    sqlx::query_as!(
        ValidationRule,
        r#"SELECT code, left_expr, operator AS "operator: Comparator", right_expr, severity AS "severity: Severity",
                message, active, version
         FROM validation_rules ORDER BY code"#
    )
    .fetch_all(executor)
    .await
}

row! {
    ValidationRule,
    "validation_rule",
    fields: [left_expr, operator as Comparator, right_expr, severity as Severity, message, active],
    select: r#"SELECT code, left_expr, operator AS "operator: Comparator", right_expr,
                    severity AS "severity: Severity", message, active, version
             FROM validation_rules WHERE code = $1"#,
    insert: "INSERT INTO validation_rules (code, left_expr, operator, right_expr, severity,
                    message, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
    update: "UPDATE validation_rules SET left_expr = $2, operator = $3, right_expr = $4,
                    severity = $5, message = $6, active = $7, version = version + 1
             WHERE code = $1 AND version = $8",
}
