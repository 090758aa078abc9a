//! A directive's targets (chỉ tiêu) as its page lists them, and saving one.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::DirectiveId;
use crate::catalogue::lookup;
use crate::directives::Comparator;
use crate::directives::display::TargetStatus;
use crate::units::{Level, UnitId};
use crate::vocabulary::id;

id! {
    /// A target's id (`targets.id`), under its directive's.
    pub struct TargetId;
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: TargetId,
    pub indicator_code: String,
    pub indicator_name: Option<String>,
    pub indicator_unit: Option<String>,
    pub comparator: Comparator,
    pub value: rust_decimal::Decimal,
    pub value_max: Option<rust_decimal::Decimal>,
    pub year: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub scope_level: Option<Level>,
    pub scope_unit_id: Option<UnitId>,
    pub scope_unit_name: Option<String>,
    pub per_unit: bool,
    pub description: String,
}

impl Target {
    pub fn wording(&self) -> String {
        let unit = self.indicator_unit.as_deref().unwrap_or("");
        self.comparator.wording(self.value, self.value_max, unit, 2)
    }

    pub fn indicator_label(&self) -> String {
        self.indicator_name.clone().unwrap_or_else(|| self.indicator_code.clone())
    }

    /// "Cấp xã thuộc Huyện Đức Trọng, mỗi đơn vị".
    pub fn scope_text(&self, issuing_unit: &str) -> String {
        let place = self.scope_unit_name.clone().unwrap_or_else(|| issuing_unit.to_owned());
        let mut text = match self.scope_level {
            Some(level) => format!("{} thuộc {place}", level.label()),
            None => format!("Toàn {place}"),
        };
        if self.per_unit {
            text.push_str(", mỗi đơn vị");
        }
        text
    }

    pub fn when_text(&self) -> String {
        match (self.year, self.deadline) {
            (_, Some(deadline)) => format!("Đến {}", crate::format::date(deadline)),
            (Some(year), None) => format!("Năm {year}"),
            (None, None) => "Hằng năm".to_owned(),
        }
    }

    /// The status until reports supply figures: "Chưa có số liệu".
    pub fn status(&self, actual: Option<rust_decimal::Decimal>) -> TargetStatus {
        TargetStatus::evaluate(self.comparator, self.value, self.value_max, actual)
    }
}

/// The targets of `directive_id`, each with its indicator's name and unit from the catalogue
/// ([`lookup::indicator_labels`]; `None` for a code the catalogue no longer has).
pub async fn targets(pool: &PgPool, directive_id: DirectiveId) -> sqlx::Result<Vec<Target>> {
    let mut targets = sqlx::query_as!(
        Target,
        r#"SELECT t.id, t.indicator_code, NULL::text AS "indicator_name?", NULL::text AS "indicator_unit?",
                t.comparator AS "comparator: Comparator", t.value, t.value_max, t.year, t.deadline,
                t.scope_level AS "scope_level: Level", t.scope_unit_id AS "scope_unit_id: UnitId", u.name AS "scope_unit_name?",
                t.per_unit, t.description
         FROM targets t LEFT JOIN units u ON u.id = t.scope_unit_id
         WHERE t.directive_id = $1 ORDER BY t.indicator_code, t.scope_level NULLS FIRST, t.id"#,
        directive_id as DirectiveId,
    )
    .fetch_all(pool)
    .await?;
    let codes: Vec<String> = targets.iter().map(|target| target.indicator_code.clone()).collect();
    let labels = lookup::indicator_labels(pool, &codes).await?;
    for target in &mut targets {
        if let Some(label) = labels.get(&target.indicator_code) {
            target.indicator_name = Some(label.name.clone());
            target.indicator_unit = Some(label.unit.clone());
        }
    }
    Ok(targets)
}

/// A target as saved.
#[derive(Debug, Clone)]
pub struct NewTarget<'a> {
    pub directive_id: DirectiveId,
    pub indicator_code: &'a str,
    pub comparator: Comparator,
    pub value: rust_decimal::Decimal,
    pub value_max: Option<rust_decimal::Decimal>,
    pub year: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub scope_level: Option<Level>,
    pub scope_unit_id: Option<UnitId>,
    pub per_unit: bool,
    pub description: &'a str,
}

/// Saves a target and returns its id.
pub async fn insert_target(conn: &mut PgConnection, target: &NewTarget<'_>) -> sqlx::Result<TargetId> {
    sqlx::query_scalar!(
        "INSERT INTO targets (directive_id, indicator_code, comparator, value, value_max, year, deadline,
                              scope_level, scope_unit_id, per_unit, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        target.directive_id as DirectiveId,
        target.indicator_code,
        target.comparator.as_str(),
        target.value,
        target.value_max,
        target.year,
        target.deadline,
        target.scope_level.map(Level::number),
        target.scope_unit_id as Option<UnitId>,
        target.per_unit,
        target.description,
    )
    .fetch_one(&mut *conn)
    .await
    .map(TargetId)
}

/// Target `id` as its row reads in JSON (for the audit log).
pub async fn target_json(conn: &mut PgConnection, id: TargetId) -> sqlx::Result<Option<serde_json::Value>> {
    sqlx::query_scalar!(r#"SELECT to_jsonb(t) AS "row!" FROM targets t WHERE id = $1"#, id as TargetId)
        .fetch_optional(&mut *conn)
        .await
}
