//! A subtree's stored values for a year, one row a value: what the exports list (the values
//! export, the annual workbook's raw sheet).

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::Status;
use crate::units::UnitId;

/// One stored value with its unit's place in the tree and its report's status.
#[derive(Debug, Clone)]
pub struct YearValue {
    pub unit_id: UnitId,
    pub parent_id: Option<UnitId>,
    pub path: String,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    /// 1–4, as `reports.quarter` holds it.
    pub quarter: i16,
    pub element_code: String,
    pub organisation_code: String,
    pub value: Decimal,
    pub status: Status,
}

impl YearValue {
    /// The period cell: `2023-Q1`.
    pub fn period(&self) -> String {
        format!("{}-Q{}", self.year, self.quarter)
    }
}

/// The values of the reports in `statuses` of the subtree under `root_path` (the root
/// included) for `year`: in tree order, then by quarter, element and organisation (byte order
/// of the codes, as the files are compared).
pub async fn values_of_year(
    pool: &PgPool,
    root_path: &str,
    year: i32,
    statuses: &[Status],
) -> sqlx::Result<Vec<YearValue>> {
    let statuses: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
    // Units ranked in tree order first: sorting a province's 100 000 values by their units'
    // paths took twice as long. The CTE's columns are marked (`!`, `?`): PostgreSQL does not
    // carry the table's NOT NULL through it. The path is bound as text (`as _`: the macros'
    // check expects PgLTree).
    sqlx::query_as!(
        YearValue,
        r#"WITH u AS (SELECT id, parent_id, path, code, name, row_number() OVER (ORDER BY path) AS rank
                    FROM units WHERE path <@ $1::ltree)
         SELECT u.id AS "unit_id!", u.parent_id AS "parent_id?: UnitId", u.path::text AS "path!",
                u.code AS "unit_code!", u.name AS "unit_name!", r.year, r.quarter, v.element_code,
                v.organisation_code, v.value, r.status AS "status: Status"
         FROM u JOIN reports r ON r.unit_id = u.id JOIN report_values v ON v.report_id = r.id
         WHERE r.year = $2 AND r.status = ANY($3)
         ORDER BY u.rank, r.quarter, v.element_code COLLATE "C", v.organisation_code COLLATE "C""#,
        root_path as _,
        year,
        &statuses as _,
    )
    .fetch_all(pool)
    .await
}
