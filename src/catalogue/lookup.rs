//! The catalogue's small reads for other concepts, where the whole [`super::Catalogue`] (the
//! active entities only) is not what they need: names including retired entries, the list of
//! indicators a target may measure, the names and units a directive's targets are written with.

use std::collections::HashMap;

use sqlx::PgPool;

/// Names of every element and organisation, retired ones included, for figures the report form
/// no longer shows.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Element code → name.
    pub elements: HashMap<String, String>,
    /// Organisation code → short name.
    pub organisations: HashMap<String, String>,
}

pub async fn names(pool: &PgPool) -> sqlx::Result<Names> {
    let elements = sqlx::query!("SELECT code, name FROM data_elements").fetch_all(pool).await?;
    let organisations = sqlx::query!("SELECT code, short_name FROM organisations").fetch_all(pool).await?;
    Ok(Names {
        elements: elements.into_iter().map(|row| (row.code, row.name)).collect(),
        organisations: organisations.into_iter().map(|row| (row.code, row.short_name)).collect(),
    })
}

/// An indicator as a choice in a form: its code and name.
#[derive(Debug, Clone)]
pub struct IndicatorChoice {
    pub code: String,
    pub name: String,
}

/// Every indicator, in the catalogue's order.
pub async fn indicator_choices(pool: &PgPool) -> sqlx::Result<Vec<IndicatorChoice>> {
    sqlx::query_as!(IndicatorChoice, "SELECT code, name FROM indicators ORDER BY sort_order, code")
        .fetch_all(pool)
        .await
}

/// Whether the catalogue has indicator `code`.
pub async fn indicator_exists(pool: &PgPool, code: &str) -> sqlx::Result<bool> {
    let found: Option<String> =
        sqlx::query_scalar!("SELECT code FROM indicators WHERE code = $1", code).fetch_optional(pool).await?;
    Ok(found.is_some())
}

/// How a target names its indicator: the indicator's name and the unit its values are written
/// with ("%" for a percentage, factor 100).
#[derive(Debug, Clone)]
pub struct IndicatorLabel {
    pub name: String,
    pub unit: String,
}

/// The labels of the indicators `codes` (retired ones included), by code; a code the catalogue
/// does not have is absent.
pub async fn indicator_labels(pool: &PgPool, codes: &[String]) -> sqlx::Result<HashMap<String, IndicatorLabel>> {
    let rows = sqlx::query!(
        r#"SELECT code, name, CASE WHEN factor = 100 THEN '%' ELSE unit END AS "unit!"
           FROM indicators WHERE code = ANY($1)"#,
        codes,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| (row.code, IndicatorLabel { name: row.name, unit: row.unit })).collect())
}
