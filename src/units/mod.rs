//! Administrative units: the GSO trees before and after the 2025 reform, their lineage, and
//! the pages that browse and search them.

pub mod address;
pub mod code;
pub mod hamlets;
pub mod level;
pub mod queries;
pub mod reference;
#[cfg(test)]
pub mod testing;
pub mod tree;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use address::UnitAddress;
pub use level::Level;
pub use queries::{Unit, UnitId};

use crate::error::{AppError, AppResult};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, filters, render};

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/units", "/units?q=duc+trong", Access::SignedIn, get(index)),
        RouteSpec::new(Method::GET, "/units/{code}", "/units/91?date=2020-12-31", Access::SignedIn, get(show)),
        RouteSpec::new(
            Method::GET,
            "/units/{code}/hamlets",
            "/units/30886/hamlets",
            Access::SignedIn,
            get(hamlets::index),
        ),
        RouteSpec::new(
            Method::POST,
            "/units/{code}/hamlets",
            "/units/30886/hamlets",
            Access::SignedIn,
            axum::routing::post(hamlets::create),
        ),
        RouteSpec::new(
            Method::POST,
            "/units/{code}/hamlets/{id}/end",
            "/units/30886/hamlets/10000000/end",
            Access::SignedIn,
            axum::routing::post(hamlets::end),
        ),
    ]
}

/// Today in Vietnam (UTC+7), the default date of every "as of" view.
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&crate::format::VIETNAM).date_naive()
}

/// Accepts `2025-06-30` (date inputs) and `30/06/2025` (typed the Vietnamese way), years 1 to
/// 9999 only: chrono would read `-5000-01-01` and years of six digits, which PostgreSQL (or the
/// person) cannot mean.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
        .filter(|date| (1..=9999).contains(&date.year()))
}

#[derive(Debug, Deserialize)]
pub struct IndexQuery {
    q: Option<String>,
    date: Option<String>,
}

pub struct UnitRow {
    pub unit: Unit,
    pub href: String,
    pub parent_name: String,
}

#[derive(Template)]
#[template(path = "units/index.html")]
struct IndexPage {
    layout: Layout,
    query: String,
    date: NaiveDate,
    date_input: String,
    date_error: Option<String>,
    provinces: Vec<UnitRow>,
    results: Option<Vec<UnitRow>>,
    counts: Vec<LevelCount>,
}

async fn index(State(state): State<AppState>, layout: Layout, Query(params): Query<IndexQuery>) -> AppResult<Response> {
    let date_input = params.date.clone().unwrap_or_default();
    let (date, date_error) = match params.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => (today(), None),
        Some(text) => match parse_date(text) {
            Some(date) => (date, None),
            None => (today(), Some("Ngày không hợp lệ: nhập theo dạng 30/06/2025.".to_owned())),
        },
    };
    let query = params.q.unwrap_or_default();
    let results = if query.trim().is_empty() {
        None
    } else {
        let hits = queries::search(&state.pool, &query, 200).await?;
        Some(
            hits.into_iter()
                .map(|hit| UnitRow {
                    href: hit.unit.link(date),
                    parent_name: hit.parent_name.unwrap_or_default(),
                    unit: hit.unit,
                })
                .collect(),
        )
    };
    let provinces = queries::provinces_on(&state.pool, date)
        .await?
        .into_iter()
        .map(|unit| UnitRow { href: unit.link(date), parent_name: String::new(), unit })
        .collect();
    let counts = queries::counts_on(&state.pool, date)
        .await?
        .into_iter()
        .map(|c| LevelCount::of(c.level, c.count, date))
        .collect();
    Ok(render(&IndexPage {
        layout,
        query,
        date_input: if date_error.is_some() { date_input } else { date.to_string() },
        date,
        date_error,
        provinces,
        results,
        counts,
    }))
}

/// How many units of one level a page counts ("34 tỉnh, thành phố"), named as on the page's
/// date: the template writes the number with `vn_number`.
pub struct LevelCount {
    pub label: &'static str,
    pub count: i64,
}

impl LevelCount {
    fn of(level: Level, count: i64, date: NaiveDate) -> Self {
        LevelCount { label: level.plural_on(date), count }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    date: Option<String>,
}

pub struct LineageRow {
    pub unit: Unit,
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "units/show.html")]
struct ShowPage {
    layout: Layout,
    unit: Unit,
    date: NaiveDate,
    ancestors: Vec<UnitRow>,
    children: Vec<UnitRow>,
    counts: Vec<LevelCount>,
    predecessors: Vec<LineageRow>,
    successors: Vec<LineageRow>,
    other_carriers: Vec<UnitRow>,
}

async fn show(
    State(state): State<AppState>,
    layout: Layout,
    UnitAddress(code): UnitAddress,
    Query(params): Query<ShowQuery>,
) -> AppResult<Response> {
    let requested = params.date.as_deref().and_then(parse_date);
    let code = code.as_str();
    let carriers = queries::carriers(&state.pool, code).await?;
    let date = requested.unwrap_or_else(today);
    // Without a date, a code no unit carries today opens its latest carrier.
    let unit = match carriers.iter().find(|u| u.is_valid_on(date)) {
        Some(unit) => unit.clone(),
        None if requested.is_none() => match carriers.last() {
            Some(unit) => unit.clone(),
            None => return Err(code_not_found(&state.pool, code, date).await),
        },
        None => return Err(AppError::NotFound),
    };
    let date = unit.a_valid_date(date);
    let to_row = |unit: Unit| UnitRow { href: unit.link(date), parent_name: String::new(), unit };
    let ancestors = queries::ancestors(&state.pool, &unit).await?.into_iter().map(to_row).collect();
    let children = queries::children(&state.pool, unit.id).await?.into_iter().map(to_row).collect();
    let counts = queries::subtree_counts(&state.pool, &unit)
        .await?
        .into_iter()
        .map(|c| LevelCount::of(c.level, c.count, date))
        .collect();
    let lineage_row = |link: queries::LineageLink| LineageRow {
        href: link.unit.link(link.effective_on),
        label: link.merge_label().to_owned(),
        unit: link.unit,
    };
    let predecessors = queries::predecessors(&state.pool, unit.id).await?.into_iter().map(lineage_row).collect();
    let successors = queries::successors(&state.pool, unit.id).await?.into_iter().map(lineage_row).collect();
    let other_carriers = carriers
        .into_iter()
        .filter(|u| u.id != unit.id)
        .map(|u| UnitRow { href: u.link(date), parent_name: String::new(), unit: u })
        .collect();
    Ok(render(&ShowPage { layout, unit, date, ancestors, children, counts, predecessors, successors, other_carriers }))
}

/// The code that stands for the whole country where an account or a view is national.
pub const NATIONAL_CODE: &str = "TW";

/// A database failure during a look-up: logged, and told to the person without its text.
fn lookup_failed(error: sqlx::Error) -> String {
    tracing::error!(%error, "không tra cứu được mã đơn vị");
    "Chưa tra cứu được mã đơn vị lúc này (cơ sở dữ liệu không trả lời). Vui lòng thử lại sau ít phút.".to_owned()
}

/// Resolves a unit code typed by a person against a date. `TW` means the whole country
/// (`Ok(None)`). A code that names no unit on that date is refused with a message listing the
/// units that carried it and when.
pub async fn resolve_for_person(pool: &sqlx::PgPool, code: &str, date: NaiveDate) -> Result<Option<Unit>, String> {
    let code = code.trim();
    if code.eq_ignore_ascii_case(NATIONAL_CODE) {
        return Ok(None);
    }
    if code.is_empty() {
        return Err("Nhập mã đơn vị (ví dụ 91, 905, 30883) hoặc TW cho toàn quốc.".to_owned());
    }
    let unit = queries::resolve(pool, code, date).await.map_err(lookup_failed)?;
    if let Some(unit) = unit {
        return Ok(Some(unit));
    }
    let carriers = queries::carriers(pool, code).await.map_err(lookup_failed)?;
    if carriers.is_empty() {
        return Err(unknown_code(pool, code, date).await.map_err(lookup_failed)?);
    }
    let list = carriers
        .iter()
        .map(|u| format!("{} ({}, {})", u.name, u.code, u.validity_text()))
        .collect::<Vec<_>>()
        .join("; ");
    Err(format!(
        "Mã {code} không thuộc đơn vị nào vào ngày {}. Các đơn vị đã mang mã này: {list}.",
        crate::format::date(date)
    ))
}

/// The unit a form names: `code` as [`resolve_for_person`] reads it, on the date typed as
/// `as_of` (`default` when it is empty). `None` once the problem is next to its field: `as_of`
/// for a date it cannot read (`date_example` shows how to write one), else `unit_code`.
/// `Some(None)` is the whole country.
pub async fn resolve_typed(
    pool: &sqlx::PgPool,
    code: &str,
    as_of: &str,
    default: NaiveDate,
    date_example: &str,
    errors: &mut crate::error::FieldErrors,
) -> Option<Option<Unit>> {
    let date = match as_of.trim() {
        "" => default,
        text => match parse_date(text) {
            Some(date) => date,
            None => {
                errors.set("as_of", format!("Ngày không hợp lệ: nhập theo dạng {date_example}."));
                return None;
            }
        },
    };
    match resolve_for_person(pool, code, date).await {
        Ok(found) => Some(found),
        Err(message) => {
            errors.set("unit_code", message);
            None
        }
    }
}

/// What to tell a person about a code no unit has ever carried, with the unit it most likely
/// meant: "Không có mã 4. Có phải 04 — Tỉnh Cao Bằng?". Codes are matched as written, so the
/// suggestion is only ever a question.
pub async fn unknown_code(pool: &sqlx::PgPool, code: &str, date: NaiveDate) -> sqlx::Result<String> {
    let code = code.trim();
    let hint = likely_hint(pool, code, date).await?;
    Ok(if hint.is_empty() {
        format!(
            "Không có mã {code}. Mã đơn vị gồm 2 chữ số (tỉnh), 3 chữ số (huyện) hoặc 5 chữ số (xã), \
             ví dụ 91, 905, 30883."
        )
    } else {
        format!("Không có mã {code}.{hint}")
    })
}

/// " Có phải 04 — Tỉnh Cao Bằng?" for a code no unit ever carried whose likely meaning is a
/// unit (see [`queries::likely_unit`]); empty otherwise.
pub async fn likely_hint(pool: &sqlx::PgPool, code: &str, date: NaiveDate) -> sqlx::Result<String> {
    if !queries::carriers(pool, code).await?.is_empty() {
        return Ok(String::new());
    }
    Ok(match queries::likely_unit(pool, code, date).await? {
        Some(unit) => {
            let name = if unit.is_valid_on(date) { unit.name.clone() } else { unit.dated_name() };
            format!(" Có phải {} — {name}?", unit.code)
        }
        None => String::new(),
    })
}

/// The 404 for a unit code in an address (`/dashboards/{code}`, `/reports/{code}/…`, the API)
/// that names no unit on `date`: with [`unknown_code`]'s message when no unit ever carried it.
pub async fn code_not_found(pool: &sqlx::PgPool, code: &str, date: NaiveDate) -> AppError {
    match queries::carriers(pool, code).await {
        Ok(carriers) if carriers.is_empty() => match unknown_code(pool, code, date).await {
            Ok(message) => AppError::NotFoundWith(message),
            Err(error) => AppError::Database(error),
        },
        Ok(_) => AppError::NotFound,
        Err(error) => AppError::Database(error),
    }
}
