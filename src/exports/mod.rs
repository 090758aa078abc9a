//! Exports: the annual summary report of a unit (DOCX in the Party document format, an HTML
//! preview with drill-down links and the narrative form, an XLSX workbook of indicators by
//! sub-unit and raw values), and the import/export of values in a documented template.
//!
//! One file per purpose:
//! - [`annual`]: the report as one data structure (layout template, narrative, figures, the
//!   blocks both writers read); [`docx`] and [`xlsx`] write it;
//! - [`pages`](self::pages): its handlers, the report (`GET /exports/annual/…`, preview, `.docx`,
//!   `.xlsx`) and the narrative's save (`POST …/narrative`), whose SQL is [`store`]'s;
//! - [`values`]: the values template, its export (`GET /exports/values/…`), the import page
//!   and upload (`/imports/values`) and the reading of CSV and XLSX files within their limits;
//!   [`import`] checks and saves the rows read, for the upload and `danvan import FILE` alike;
//! - [`scope`]: what an export's address names (year and format, `?unit_date=`, the unit, the
//!   caller's right to read it); [`download`]: the file sent back, built off the async threads.

pub mod annual;
pub mod docx;
pub mod download;
#[cfg(test)]
mod fuzz;
pub mod import;
mod pages;
pub mod scope;
mod store;
pub mod values;
pub mod xlsx;

use axum::http::Method;
use axum::routing::{get, post};

pub use download::{DOCX_TYPE, XLSX_TYPE, attachment, blocking};
pub use pages::{
    AnnualQuery, MAX_SECTION_CHARS, NarrativeForm, NarrativeProblem, annual_export, may_edit, save_narrative,
};
pub use scope::{
    BadUnitDate, ExportAddress, UnitDateQuery, parse_unit_date, report_date, unit_for_year, unprocessable,
};

use crate::web::routes::{Access, RouteSpec};

/// The exports' routes, for the route table (`web::routes`): every one needs a signed-in user.
pub fn routes() -> Vec<RouteSpec> {
    use Access::SignedIn;
    vec![
        RouteSpec::new(
            Method::GET,
            "/exports/annual/{unit}/{year}",
            "/exports/annual/91/2020.docx",
            SignedIn,
            get(pages::annual_export),
        ),
        RouteSpec::new(
            Method::POST,
            "/exports/annual/{unit}/{year}/narrative",
            "/exports/annual/91/2020/narrative",
            SignedIn,
            post(pages::save_narrative),
        ),
        RouteSpec::new(
            Method::GET,
            "/exports/values/{unit}/{year}",
            "/exports/values/91/2020.csv",
            SignedIn,
            get(values::export_values),
        ),
        RouteSpec::new(Method::GET, "/imports/values", "/imports/values", SignedIn, get(values::import_page)),
        RouteSpec::new(
            Method::POST,
            "/imports/values",
            "/imports/values",
            SignedIn,
            post(values::import_values)
                .layer(axum::extract::DefaultBodyLimit::max(crate::directives::pages::UPLOAD_BODY_LIMIT)),
        ),
    ]
}
