//! What an export's address names, read the same way by every export handler: the year (and
//! the format) in `{year}.docx`, the date `?unit_date=` that says which unit a code means, and
//! the unit itself, resolved and checked against the caller's rights.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::reports::Period;
use crate::units::address::{AddressRejection, UnitAddress, segment};
use crate::units::code::UnitCode;
use crate::units::{self, Unit, queries};
use crate::web::AppState;

/// The unit and the year of `/exports/…/{unit}/{year}`, with the file's extension: `91` and
/// `2020.docx` → 91, 2020, "docx". A year outside 2000–2100 is a 404 (`split_year`),
/// then a malformed code a 404 as for one no unit carries at the year's end (see
/// [`UnitAddress`]); which unit the code means is [`unit_for_year`]'s to say.
#[derive(Debug, Clone)]
pub struct ExportAddress {
    pub code: UnitCode,
    pub year: i32,
    /// Lower-cased; empty for none.
    pub ext: String,
}

impl FromRequestParts<AppState> for ExportAddress {
    type Rejection = AddressRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(AddressRejection::Path)?;
        let year = segment(&params, &["year"]).unwrap_or_default();
        let (year, ext) = split_year(year).map_err(AddressRejection::Refused)?;
        let code = UnitAddress::read(&params, &state.pool, Period::Year { year }.end_date()).await?;
        Ok(ExportAddress { code, year, ext })
    }
}

/// `2020.docx` → (2020, "docx"); `2020` → (2020, ""). The extension is lower-cased; a year
/// outside 2000–2100, or no year, is a 404.
fn split_year(text: &str) -> AppResult<(i32, String)> {
    let (year, ext) = text.split_once('.').unwrap_or((text, ""));
    let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or(AppError::NotFound)?;
    Ok((year, ext.to_ascii_lowercase()))
}

/// `?unit_date=YYYY-MM-DD`: which unit a code means (codes are reused across the 2025 reform;
/// `91` is Kiên Giang until 30/06/2025 and the new An Giang from 01/07/2025).
#[derive(Debug, Default, Deserialize)]
pub struct UnitDateQuery {
    #[serde(default)]
    pub unit_date: String,
}

/// A 422 page with a Vietnamese message (a query parameter the person can correct).
pub fn unprocessable(message: &str) -> Response {
    AppError::invalid(crate::error::FieldErrors::with_summary(message)).into_response()
}

/// A `unit_date` that is not a date: answered 422 with its Vietnamese message.
#[derive(Debug)]
pub struct BadUnitDate(String);

impl IntoResponse for BadUnitDate {
    fn into_response(self) -> Response {
        unprocessable(&self.0)
    }
}

/// The date a `unit_date` names (`2025-07-01` or `01/07/2025`); `None` when empty.
pub fn parse_unit_date(text: &str) -> Result<Option<NaiveDate>, BadUnitDate> {
    match text.trim() {
        "" => Ok(None),
        text => units::parse_date(text).map(Some).ok_or_else(|| {
            BadUnitDate(format!(
                "Ngày xác định đơn vị (unit_date) “{}” không hợp lệ: nhập theo dạng 2025-07-01 hoặc 01/07/2025.",
                text.chars().take(40).collect::<String>()
            ))
        }),
    }
}

/// Resolves the unit code on `unit_date` (default: the year's end, as today) and checks the
/// user may read it. A bad `unit_date` answers 422, a code naming no unit then 404 (with the
/// likely unit, "Có phải 04 — Tỉnh Cao Bằng?", when the code is near one), a unit the user may
/// not read 403.
pub async fn unit_for_year(
    state: &AppState,
    user: &CurrentUser,
    code: &UnitCode,
    year: i32,
    unit_date: &str,
) -> Result<Unit, Response> {
    let on = parse_unit_date(unit_date)
        .map_err(IntoResponse::into_response)?
        .unwrap_or_else(|| Period::Year { year }.end_date());
    let unit =
        match queries::resolve(&state.pool, code.as_str(), on).await.map_err(|e| AppError::from(e).into_response())? {
            Some(unit) => unit,
            None => return Err(units::code_not_found(&state.pool, code.as_str(), on).await.into_response()),
        };
    authz::authorize(user, Action::ViewData, Some(Place::from(&unit))).map_err(IntoResponse::into_response)?;
    Ok(unit)
}

/// The date whose office issues a year's report: the issuing date when one is chosen, else the
/// year's last day, or today while the year runs. (`offices::in_force` then moves a date
/// outside the unit's life to its nearest end: a dissolved unit's report carries its last
/// office.)
pub fn report_date(year: i32, issued: Option<NaiveDate>) -> NaiveDate {
    issued.unwrap_or_else(|| Period::Year { year }.end_date().min(units::today()))
}

/// `?unit_date=…` to carry on links and forms, or nothing.
pub(super) fn unit_query(unit_date: Option<NaiveDate>) -> String {
    unit_date.map(|d| format!("?unit_date={}", d.format("%Y-%m-%d"))).unwrap_or_default()
}
