//! Targets (chỉ tiêu) as the dashboards read them, and how a figure measures against one.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::{Comparator, DirectiveId};
use crate::units::Level;

#[derive(Debug, Clone)]
pub struct Target {
    pub id: super::store::TargetId,
    pub directive_id: DirectiveId,
    pub directive_number: String,
    pub indicator_code: String,
    pub comparator: Comparator,
    pub value: Decimal,
    pub value_max: Option<Decimal>,
    pub year: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub scope_level: Option<Level>,
    pub per_unit: bool,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attainment {
    Met,
    AtRisk,
    Missed,
    NoData,
    /// Figures reported, the indicator undefined (a zero denominator: 0/0).
    Undefined,
}

impl Attainment {
    pub fn label(self) -> &'static str {
        match self {
            Attainment::Met => "Đạt",
            Attainment::AtRisk => "Nguy cơ",
            Attainment::Missed => "Chưa đạt",
            Attainment::NoData => "Chưa có số liệu",
            Attainment::Undefined => "Không tính được (mẫu số bằng 0)",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Attainment::Met => "status-dat",
            Attainment::AtRisk => "status-nguy-co",
            Attainment::Missed => "status-chua-dat",
            Attainment::NoData | Attainment::Undefined => "status-no-data",
        }
    }
}

/// How far below a threshold still counts as "at risk" rather than missed (5 %).
const AT_RISK_MARGIN: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

impl Target {
    /// "≥ 54%", "từ 1 đến 2 mô hình", with the indicator's unit (see [`Comparator::wording`]).
    pub fn wording(&self, unit: &str, decimals: usize) -> String {
        self.comparator.wording(self.value, self.value_max, unit, u8::try_from(decimals).unwrap_or(u8::MAX))
    }

    pub fn when(&self) -> String {
        match (self.year, self.deadline) {
            (_, Some(deadline)) => format!("đến {}", crate::format::date(deadline)),
            (Some(year), None) => format!("năm {year}"),
            (None, None) => "hằng năm".to_owned(),
        }
    }

    pub fn attainment(&self, actual: Option<Decimal>) -> Attainment {
        let Some(actual) = actual else { return Attainment::NoData };
        if self.comparator.holds(actual, self.value, self.value_max) {
            return Attainment::Met;
        }
        let near = if self.comparator.aims_high() {
            actual >= self.value * (Decimal::ONE - AT_RISK_MARGIN)
        } else {
            actual <= self.value * (Decimal::ONE + AT_RISK_MARGIN)
        };
        if near { Attainment::AtRisk } else { Attainment::Missed }
    }

    /// The gap to the threshold, for the tile: "−2,05 điểm %".
    pub fn gap(&self, actual: Decimal, is_percentage: bool) -> String {
        let gap = actual - self.value;
        let sign = if gap >= Decimal::ZERO { "+" } else { "−" };
        let unit = if is_percentage { " điểm %" } else { "" };
        format!("{sign}{}{unit}", crate::format::decimal(gap.abs(), 2))
    }
}

/// Targets that bear on a unit (national: `None`): set by its own directives or those of the
/// units above it, for the whole or for its level, not per unit.
pub async fn for_unit(pool: &PgPool, unit_path: Option<&str>, level: Option<Level>) -> sqlx::Result<Vec<Target>> {
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    sqlx::query_as!(
        Target,
        r#"SELECT t.id, t.directive_id AS "directive_id: DirectiveId", d.number AS directive_number, t.indicator_code,
                t.comparator AS "comparator: Comparator", t.value, t.value_max, t.year, t.deadline,
                t.scope_level AS "scope_level: Level", t.per_unit, t.description
         FROM targets t
         JOIN directives d ON d.id = t.directive_id
         LEFT JOIN units issuer ON issuer.id = d.issuing_unit_id
         WHERE NOT t.per_unit AND d.status = 'hieu_luc'
           AND (d.issuing_unit_id IS NULL OR ($1::ltree IS NOT NULL AND $1::ltree <@ issuer.path))
           AND (t.scope_level IS NULL OR t.scope_level = $2)
         ORDER BY t.indicator_code, t.year NULLS LAST, t.id"#,
        unit_path as _,
        level.map(Level::number),
    )
    .fetch_all(pool)
    .await
}

/// Targets each hamlet (level 4) under the unit must reach ("trên 90% tổ chức ở thôn hoàn thành
/// tốt nhiệm vụ"), from the documents in force of the unit and the units above it: measured as
/// "x/y thôn đạt".
pub async fn per_hamlet_for(pool: &PgPool, unit_path: &str) -> sqlx::Result<Vec<Target>> {
    sqlx::query_as!(
        Target,
        r#"SELECT t.id, t.directive_id AS "directive_id: DirectiveId", d.number AS directive_number, t.indicator_code,
                t.comparator AS "comparator: Comparator", t.value, t.value_max, t.year, t.deadline,
                t.scope_level AS "scope_level: Level", t.per_unit, t.description
         FROM targets t
         JOIN directives d ON d.id = t.directive_id
         LEFT JOIN units issuer ON issuer.id = d.issuing_unit_id
         WHERE t.per_unit AND t.scope_level = 4 AND d.status = 'hieu_luc'
           AND (d.issuing_unit_id IS NULL OR $1::ltree <@ issuer.path)
         ORDER BY t.indicator_code, t.year NULLS LAST, t.id"#,
        unit_path as _,
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(value: f64) -> Decimal {
        crate::figures::from_f64(value).expect("a decimal")
    }

    fn target(comparator: Comparator, value: f64, value_max: Option<f64>) -> Target {
        Target {
            id: crate::directives::store::TargetId(1),
            directive_id: DirectiveId(1),
            directive_number: "05-CTr/TU".into(),
            indicator_code: "TL_DVHV".into(),
            comparator,
            value: d(value),
            value_max: value_max.map(d),
            year: Some(2021),
            deadline: None,
            scope_level: None,
            per_unit: false,
            description: String::new(),
        }
    }

    #[test]
    fn measures_against_targets() {
        let t = target(Comparator::AtLeast, 54.0, None);
        assert_eq!(t.attainment(Some(d(55.0))), Attainment::Met);
        assert_eq!(t.attainment(Some(d(54.0))), Attainment::Met);
        assert_eq!(t.attainment(Some(d(51.95))), Attainment::AtRisk, "within 5 % of the threshold");
        assert_eq!(t.attainment(Some(d(40.0))), Attainment::Missed);
        assert_eq!(t.attainment(None), Attainment::NoData);
        assert_eq!(t.gap(d(51.95), true), "−2,05 điểm %");
        // 27/50 = 54% exactly meets ≥ 54, and 0,1 + 0,2 meets = 0,3 (no float residue).
        let rate = Decimal::from(27) * Decimal::ONE_HUNDRED / Decimal::from(50);
        assert_eq!(t.attainment(Some(rate)), Attainment::Met);
        assert_eq!(target(Comparator::Equal, 0.3, None).attainment(Some(d(0.1) + d(0.2))), Attainment::Met);
        assert_eq!(target(Comparator::Below, 0.3, None).attainment(Some(d(0.1) + d(0.2))), Attainment::AtRisk);
        assert_eq!(t.wording("%", 0), "≥ 54%");
        let between = target(Comparator::Between, 1.0, Some(2.0));
        assert_eq!(between.wording("mô hình", 0), "từ 1 đến 2 mô hình");
        assert_eq!(between.attainment(Some(d(1.0))), Attainment::Met);
        assert_eq!(between.attainment(Some(d(0.0))), Attainment::Missed);
    }
}
