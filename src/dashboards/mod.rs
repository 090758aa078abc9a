//! Dashboards: indicators against targets for a unit (or the whole country) and a period,
//! trends, sub-unit ranking, reporting completeness, overdue tasks, and drill-down to the
//! report and field each figure came from.
//!
//! Where the figures come from, fastest first:
//! - [`cache`]: whole dashboard bodies and their parts, per key, dropped per affected unit,
//!   year and basis the moment a report moves (an optimisation only);
//! - [`rollup`]: subtree totals of the country, provinces and districts, kept exact in the
//!   transaction that accepts, reopens, submits or returns a report — what makes a cold view
//!   fast;
//! - [`aggregate`]: the plain computation from the reports (communes, a unit's own report,
//!   and the reference `rollup verify` compares with).
//!
//! The pages: [`page`] (the dashboard, whose [`body`] is computed in named parts and cached),
//! [`drill`] (what a figure is made of) and [`api`] (the same figures as JSON); [`scope`] reads
//! what they are about (the unit, the period, the parameters).

pub mod aggregate;
pub mod api;
pub mod body;
pub mod cache;
pub mod changes;
pub mod charts;
pub mod drill;
pub mod history;
pub mod page;
pub mod rollup;
pub mod scope;
pub mod synth;

use axum::http::Method;
use axum::routing::get;

pub use body::{CORRECTING, DashboardBody, NOT_REPORTED, change_text, indicator_text};

use crate::web::routes::{Access, RouteSpec};

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/dashboards", "/dashboards", Access::SignedIn, get(page::own)),
        RouteSpec::new(
            Method::GET,
            "/dashboards/{unit}",
            "/dashboards/91?period=2020",
            Access::SignedIn,
            get(page::show),
        ),
        RouteSpec::new(
            Method::GET,
            "/dashboards/{unit}/drill",
            "/dashboards/91/drill?period=2020&key=DVHV_HIEN_CO",
            Access::SignedIn,
            get(drill::drill),
        ),
        RouteSpec::new(
            Method::GET,
            "/api/v1/aggregates/{unit}",
            "/api/v1/aggregates/91?period=2020",
            Access::SignedIn,
            get(api::aggregates),
        ),
    ]
}
