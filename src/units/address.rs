//! A unit's address, the `{unit}` segment of `/dashboards/{unit}`, `/reports/{unit}/…`,
//! `/api/v1/aggregates/{unit}` and the exports' paths (`{code}` in `/units/{code}`), read at the
//! boundary into a [`UnitCode`].

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::code::UnitCode;
use crate::error::AppError;
use crate::web::AppState;

/// The names routes give the segment that holds a unit code: `{unit}`, and `{code}` in
/// `/units/{code}…` (the route's name in metrics and logs since the first release).
pub const SEGMENTS: [&str; 2] = ["unit", "code"];

/// The well-formed unit code of a path's `{unit}` (or `{code}`) segment. Not `Path<UnitCode>`: axum would
/// answer a malformed code with a 400 of its own, while a code no unit carries — malformed or
/// unknown — is a 404 that says what the person should know ("Không có mã 4. Có phải 04 — Tỉnh
/// Cao Bằng?", read from the database as of today). Whether a unit carries the code, and on
/// which date, stays the handler's to ask: the date depends on the page (a period's end, a
/// `unit_date`, a report's quarter).
#[derive(Debug, Clone)]
pub struct UnitAddress(pub UnitCode);

/// The value of the path segment named one of `names` (`{year}`, `{period}`), if the route has one.
pub fn segment<'a>(params: &'a RawPathParams, names: &[&str]) -> Option<&'a str> {
    params.iter().find(|(name, _)| names.contains(name)).map(|(_, value)| value)
}

impl UnitAddress {
    /// Reads the unit's segment from already extracted path parameters; a malformed code is
    /// answered as one no unit carries on `on`.
    pub async fn read(
        params: &RawPathParams,
        pool: &sqlx::PgPool,
        on: NaiveDate,
    ) -> Result<UnitCode, AddressRejection> {
        // A route without the segment is a programming error, answered as an unknown page.
        let raw = segment(params, &SEGMENTS).ok_or(AddressRejection::Refused(AppError::NotFound))?;
        match raw.parse::<UnitCode>() {
            Ok(code) => Ok(code),
            // No code has a control character (PostgreSQL refuses NUL in text): nothing to suggest.
            Err(_) if raw.chars().any(char::is_control) => Err(AddressRejection::Refused(AppError::NotFound)),
            Err(_) => Err(AddressRejection::Refused(super::code_not_found(pool, raw, on).await)),
        }
    }
}

/// Why a path names no unit: the path could not be read at all (axum's own answer), or its
/// `{unit}` is no unit's code ([`AppError`]: 404).
#[derive(Debug)]
pub enum AddressRejection {
    Path(RawPathParamsRejection),
    Refused(AppError),
}

impl IntoResponse for AddressRejection {
    fn into_response(self) -> Response {
        match self {
            AddressRejection::Path(rejection) => rejection.into_response(),
            AddressRejection::Refused(error) => error.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for UnitAddress {
    type Rejection = AddressRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(AddressRejection::Path)?;
        UnitAddress::read(&params, &state.pool, super::today()).await.map(UnitAddress)
    }
}
