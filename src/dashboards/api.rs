//! `GET /api/v1/aggregates/{unit_code}?period=2020[&basis=submitted]`: a dashboard's figures as
//! JSON, under the same permission as the dashboard page, by session or personal token.
//!
//! ```json
//! {"unit": {"code": "91", "name": "Tỉnh Kiên Giang", "level": 1}, "period": "2020", "basis": "accepted",
//!  "values": {"ELEMENT": 12, "ELEMENT.ORG": 3}, "own": {…},
//!  "indicators": {"CODE": {"numerator": 81, "denominator": 117, "value": 69.23…}},
//!  "children": [{"unit": {…}, "values": {…}, "indicators": {…}}],
//!  "completeness": {"expected": 15, "submitted": 14, "accepted": 12}}
//! ```
//!
//! `values` are the unit's subtree totals: flows summed over the period's quarters and every
//! unit of the subtree; stocks as each unit's latest value within the period, then summed.
//! `children` are the units directly below at the period's end (for a period that ended before
//! the unit existed: the predecessors whose figures count in it); `own` is the unit's own report
//! (an office that reports its own work besides its sub-units'; across the 2025 reform also the
//! predecessors' figures that belong to no unit below), so that for every flow and stock
//! `values = own + Σ children.values` (the drill-down invariant). `unit_date=YYYY-MM-DD` says
//! which unit the code means (default: the caller's own unit for its own code, else the unit
//! at the period's end); `sources` lists the predecessors a unit of today reaches back to and
//! `estimated` says whether an old unit split between several counts here (see
//! `dashboards::history`). `completeness` counts
//! the children's reports of the period's last quarter. The country has code `TW` and no own
//! report.
//!
//! Errors: 404 for an unknown code, 403/404 outside the caller's scope (as the page), 422 with a
//! Vietnamese message for a bad period or basis.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::aggregate::{Basis, Totals};
use super::scope::{parse_unit_date, scope};
use crate::auth::CurrentUser;
use crate::catalogue::{Catalogue, Indicator};
use crate::error::AppResult;
use crate::replica::routing::ReadPool;
use crate::reports::Period;
use crate::reports::store::Status;
use crate::units::UnitId;
use crate::units::address::UnitAddress;
use crate::units::{self, Unit};
use crate::web::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AggregatesQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    unit_date: String,
}

#[derive(Debug, Serialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    /// 0 the country, 1 province, 2 district, 3 commune, 4 hamlet.
    pub level: i16,
    /// The unit's validity (`null`: open), since codes were reused in the 2025 reform.
    pub valid_from: Option<chrono::NaiveDate>,
    pub valid_to: Option<chrono::NaiveDate>,
}

impl UnitRef {
    fn of(unit: &Unit) -> Self {
        UnitRef {
            code: unit.code.clone(),
            name: unit.name.clone(),
            level: unit.level.number(),
            valid_from: unit.valid_from,
            valid_to: unit.valid_to,
        }
    }

    fn country() -> Self {
        UnitRef {
            code: units::NATIONAL_CODE.to_owned(),
            name: "Toàn quốc".to_owned(),
            level: 0,
            valid_from: None,
            valid_to: None,
        }
    }
}

/// Exact figures, written as JSON numbers (see [`crate::figures::json`]).
#[derive(Debug, Serialize)]
pub struct IndicatorFigure {
    #[serde(serialize_with = "crate::figures::serialize")]
    pub numerator: rust_decimal::Decimal,
    #[serde(serialize_with = "crate::figures::option::serialize")]
    pub denominator: Option<rust_decimal::Decimal>,
    /// `null` when the denominator is 0.
    #[serde(serialize_with = "crate::figures::option::serialize")]
    pub value: Option<rust_decimal::Decimal>,
}

/// Every indicator whose numerator (and denominator, if it has one) the totals can give.
fn indicators(catalogue: &Catalogue, totals: &Totals) -> BTreeMap<String, IndicatorFigure> {
    catalogue
        .indicators
        .iter()
        .filter_map(|indicator| Some((indicator.code.clone(), figure(indicator, totals)?)))
        .collect()
}

fn figure(indicator: &Indicator, totals: &Totals) -> Option<IndicatorFigure> {
    let numerator = indicator.numerator_expression()?.evaluate(totals)?;
    let denominator = match indicator.denominator_expression() {
        Some(expression) => Some(expression.evaluate(totals)?),
        None => None,
    };
    Some(IndicatorFigure { numerator, denominator, value: indicator.compute(numerator, denominator) })
}

fn unprocessable(message: String) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": message }))).into_response()
}

/// GET /api/v1/aggregates/{unit}: see the module docs.
pub async fn aggregates(
    State(state): State<AppState>,
    read: ReadPool,
    user: CurrentUser,
    UnitAddress(code): UnitAddress,
    Query(query): Query<AggregatesQuery>,
) -> AppResult<Response> {
    if query.period.trim().is_empty() {
        return Ok(unprocessable("Thiếu kỳ báo cáo: thêm ?period=2020, 2020-Q1, 2020-H1 hoặc 2020-9M.".to_owned()));
    }
    if let Err(message) = query.period.parse::<Period>() {
        return Ok(unprocessable(message));
    }
    let basis = match query.basis.as_str() {
        "" | "accepted" => Basis::Accepted,
        "submitted" => Basis::Submitted,
        other => {
            return Ok(unprocessable(format!(
                "Cơ sở số liệu “{}” không hợp lệ: dùng accepted (đã duyệt) hoặc submitted (gồm cả đã gửi).",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    if let Err(crate::error::AppError::BadRequest(message)) = parse_unit_date(&query.unit_date) {
        return Ok(unprocessable(message));
    }
    let view = state.aggregates.view_for(&read).await?;
    let scope = scope(&view, &user, &code, &query.period, &query.unit_date).await?;
    let period = scope.period;
    let catalogue = view.catalogue().await?;
    let composite = super::history::composite(&view, scope.unit.as_ref(), period, basis).await?;
    let totals = composite.totals();
    let own = composite.own(scope.path());
    let children = composite.children.clone();
    let quarter = period.final_quarter();
    let ids: Vec<UnitId> = children.iter().map(|u| u.id).collect();
    let overview = crate::reports::store::overview(view.pool(), &ids, quarter).await?;
    let submitted = overview.iter().filter(|r| r.first_submitted_at.is_some()).count();
    let accepted = overview.iter().filter(|r| r.status == Some(Status::Accepted)).count();
    let empty = Totals::new();
    let children_json: Vec<serde_json::Value> = children
        .iter()
        .map(|child| {
            let part = composite.child(&child.path);
            // Zero, missing and being corrected are three different things.
            let row = overview.iter().find(|r| r.unit_id == child.id);
            let reporting = match (part, row) {
                (_, Some(row)) if row.is_being_corrected() => "being_corrected",
                (Some(_), _) => "reported",
                (None, _) => "not_reported",
            };
            let part = part.unwrap_or(&empty);
            json!({
                "unit": UnitRef::of(child),
                "reporting": reporting,
                "values": sorted(part),
                "indicators": indicators(&catalogue, part),
            })
        })
        .collect();
    let unit = scope.unit.as_ref().map(UnitRef::of).unwrap_or_else(UnitRef::country);
    let mut body = json!({
        "unit": unit,
        "period": period.code(),
        "basis": if basis == Basis::Submitted { "submitted" } else { "accepted" },
        "values": sorted(&totals),
        "indicators": indicators(&catalogue, &totals),
        "children": children_json,
        "completeness": {
            "expected": children.len(),
            "submitted": submitted,
            "accepted": accepted,
            "being_corrected": overview.iter().filter(|r| r.is_being_corrected()).count(),
        },
        "estimated": composite.estimated(),
        "sources": composite.sources.iter().map(|p| json!({
            "unit": UnitRef::of(&p.unit),
            "counted": p.counted,
            "split": p.is_split(),
            "counted_in": p.counted_in,
        })).collect::<Vec<_>>(),
    });
    if scope.unit.is_some() {
        body["own"] = json!(sorted(&own));
    }
    Ok(Json(body).into_response())
}

fn sorted(totals: &Totals) -> BTreeMap<&str, crate::figures::Json> {
    totals.iter().map(|(key, value)| (key.as_str(), crate::figures::Json(*value))).collect()
}
