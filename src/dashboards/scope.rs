//! What a dashboard page is about, read from its address: the query parameters, the period
//! (the last complete quarter's when none is given), and the unit the code means — codes were
//! reused in the 2025 reform, so `unit_date` may say which — checked against what the user may
//! read. The aggregates API resolves its unit the same way.

use serde::Deserialize;

use super::aggregate::Basis;
use super::cache;
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::reports::Period;
use crate::units::code::UnitCode;
use crate::units::{self, Unit, queries};

/// The query parameters of the dashboard and its drill-down (each page reads what it needs).
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub indicator: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub key: String,
    /// `YYYY-MM-DD`: which unit the code means (codes were reused in the 2025 reform).
    #[serde(default)]
    pub unit_date: String,
}

/// The unit a dashboard is about: `None` for the whole country (code `TW`).
pub struct Scope {
    pub unit: Option<Unit>,
    pub period: Period,
    /// The units that carried the same code at other dates (the switch between an old unit and
    /// the unit of today that took its code).
    pub namesakes: Vec<Unit>,
}

impl Scope {
    pub fn path(&self) -> Option<&str> {
        self.unit.as_ref().map(|u| u.path.as_str())
    }

    pub fn code(&self) -> String {
        self.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned())
    }

    pub fn name(&self) -> String {
        self.unit.as_ref().map(|u| u.name.clone()).unwrap_or_else(|| "Toàn quốc".to_owned())
    }

    /// The unit's path and level, naming what is cached about it (its targets, its agenda).
    pub fn metadata_key(&self) -> String {
        let level = self.unit.as_ref().map(|u| u.level);
        format!("{}|{level:?}", self.path().unwrap_or(""))
    }

    /// `&unit_date=…` naming this unit in links (empty for the country).
    pub fn unit_date_query(&self) -> String {
        self.unit.as_ref().map(|u| unit_date_query(u, self.period)).unwrap_or_default()
    }
}

/// `&unit_date=…`: a date on which `unit` carries its code, so a link opens this unit whatever
/// the period (the period's end when it was in force then).
pub fn unit_date_query(unit: &Unit, period: Period) -> String {
    format!("&unit_date={}", unit.a_valid_date(period.end_date()))
}

/// `&basis=submitted` keeping the basis in links (empty for the default, accepted reports).
pub fn basis_query(basis: Basis) -> &'static str {
    if basis == Basis::Submitted { "&basis=submitted" } else { "" }
}

/// The period a dashboard shows when none is asked for: the last complete quarter.
pub fn default_period() -> Period {
    Period::containing(units::today()).previous()
}

/// Parses `unit_date` (`2025-07-01` or `01/07/2025`; empty: none).
pub fn parse_unit_date(text: &str) -> AppResult<Option<chrono::NaiveDate>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    units::parse_date(text).map(Some).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Ngày đơn vị “{}” không hợp lệ: viết theo dạng 2025-07-01 hoặc 01/07/2025.",
            text.chars().take(20).collect::<String>()
        ))
    })
}

/// Resolves the code (codes are reused across the 2025 reform): at `unit_date` when given;
/// else the user's own unit when the code is theirs; else at the period's end. Then checks the
/// user may read that subtree.
pub async fn scope(
    view: &cache::View<'_>,
    user: &CurrentUser,
    code: &UnitCode,
    period: &str,
    unit_date: &str,
) -> AppResult<Scope> {
    let period = if period.trim().is_empty() {
        default_period()
    } else {
        period.parse::<Period>().map_err(AppError::BadRequest)?
    };
    let unit_date = parse_unit_date(unit_date)?;
    let unit = if code.is_national() {
        None
    } else {
        let code = code.as_str();
        let own = user.unit.as_ref().filter(|own| own.code == code);
        let unit = match (unit_date, own) {
            (Some(date), _) => view.unit(code, date).await?,
            (None, Some(own)) => {
                let pool = view.pool();
                let id = own.id;
                view.metadata("unit_by_id", id.to_string(), || queries::by_id(pool, id)).await?.as_ref().clone()
            }
            (None, None) => view.unit(code, period.end_date()).await?,
        };
        match unit {
            Some(unit) => Some(unit),
            None => {
                let date = unit_date.unwrap_or_else(|| period.end_date());
                return Err(units::code_not_found(view.pool(), code, date).await);
            }
        }
    };
    authz::authorize(user, Action::ViewData, unit.as_ref().map(Place::from))?;
    let namesakes = match &unit {
        Some(unit) => {
            let pool = view.pool();
            let code = unit.code.clone();
            let id = unit.id;
            let all = view.metadata("carriers", code.clone(), || queries::carriers(pool, &code)).await?;
            all.iter().filter(|u| u.id != id && u.code == code).cloned().collect()
        }
        None => Vec::new(),
    };
    Ok(Scope { unit, period, namesakes })
}
