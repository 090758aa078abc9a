//! A report's address, `/reports/{unit}/{period}` (and the API's), read at the boundary into a
//! [`UnitCode`] and a [`Quarter`], with the answers for an address that names no report.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use sqlx::PgPool;

use super::{Period, Quarter};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::units::Unit;
pub use crate::units::address::AddressRejection;
use crate::units::address::{UnitAddress, segment};
use crate::units::code::UnitCode;
use crate::web::AppState;

/// The unit code and the quarter a report's address names. Not `Path<(UnitCode, Period)>`:
/// axum would answer a malformed part with a 400 of its own, while an address that names no
/// report is a 404 — a period that is not a quarter (`2021-Q5`, `2020`) plain, a code no unit
/// carries with what the person should know (see [`UnitAddress`]).
#[derive(Debug, Clone)]
pub struct ReportAddress {
    pub code: UnitCode,
    pub quarter: Quarter,
}

impl ReportAddress {
    /// The unit that carries the code at the quarter's end (codes are reused across the 2025
    /// reform); 404 as for an unknown code when none does.
    pub async fn locate(&self, pool: &PgPool) -> AppResult<Unit> {
        let on = self.quarter.last_day();
        match crate::units::queries::resolve(pool, self.code.as_str(), on).await? {
            Some(unit) => Ok(unit),
            None => Err(crate::units::code_not_found(pool, self.code.as_str(), on).await),
        }
    }

    /// [`Self::locate`], then whether `user` may do `action` on that unit's report (403 when
    /// not): how every report route starts.
    pub async fn locate_for(&self, pool: &PgPool, user: &CurrentUser, action: Action) -> AppResult<Unit> {
        let unit = self.locate(pool).await?;
        authz::authorize(user, action, Some(Place::from(&unit)))?;
        Ok(unit)
    }

    /// The quarter as the pages and the API show periods.
    pub fn period(&self) -> Period {
        self.quarter.into()
    }
}

impl FromRequestParts<AppState> for ReportAddress {
    type Rejection = AddressRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(AddressRejection::Path)?;
        // The period first: an address with no quarter is a 404 whatever its code.
        let quarter = segment(&params, &["period"])
            .and_then(|period| period.parse::<Period>().ok())
            .and_then(|period| period.as_quarter())
            .ok_or(AddressRejection::Refused(AppError::NotFound))?;
        // No unit carries a malformed code: the same 404 as for an unknown one at the quarter's end.
        let code = UnitAddress::read(&params, &state.pool, quarter.last_day()).await?;
        Ok(ReportAddress { code, quarter })
    }
}
