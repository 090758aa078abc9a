//! The home page.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;

use crate::auth::{CurrentUser, Role};
use crate::error::AppResult;
use crate::reports::Period;
use crate::units::{self, queries};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Layout, filters, render};

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/", "/", Access::SignedIn, get(home)),
        RouteSpec::new(Method::GET, "/about", "/about", Access::SignedIn, get(about)),
    ]
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    today: chrono::NaiveDate,
    /// How many units of each level are in force today, with the level's name in running text.
    counts: Vec<(&'static str, String)>,
    unit_name: String,
    dashboard: String,
    own_report: Option<(String, String, String, String)>,
    awaiting_review: Option<(i64, String)>,
    dissolved: Option<Dissolved>,
}

/// When the account's unit no longer exists: what to tell, and links to its successors.
struct Dissolved {
    message: String,
    successors: Vec<Successor>,
}

struct Successor {
    name: String,
    code: String,
    href: String,
}

/// The home page by role: my report due and its state, reviews waiting, my dashboard.
async fn home(State(state): State<AppState>, mut layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let today = units::today();
    let counts = queries::counts_on(&state.pool, today)
        .await?
        .into_iter()
        .map(|c| (c.level.plural_on(today), crate::format::integer(c.count)))
        .collect();
    let period = Period::containing(today).previous();
    let quarter = period.final_quarter();
    let mut own_report = None;
    let mut awaiting_review = None;
    let mut dissolved = None;
    if let Some(own) = &user.unit
        && let Some(gone) = crate::auth::login::dissolved_unit(&state.pool, own.id).await?
    {
        let successors = gone
            .successors
            .iter()
            .map(|link| Successor {
                name: link.unit.name.clone(),
                code: link.unit.code.clone(),
                href: link.unit.link(today),
            })
            .collect();
        let message = gone.message();
        // Right after sign-in the same words came as the flash: the card says them once.
        if layout.flash.as_ref().is_some_and(|flash| message.starts_with(&flash.text)) {
            layout.flash = None;
        }
        dissolved = Some(Dissolved { message, successors });
    }
    if let Some(own) = &user.unit {
        if user.has(Role::DataEntry) {
            let status = crate::reports::store::find(&state.pool, own.id, quarter)
                .await?
                .map(|r| r.status.label())
                .unwrap_or("Chưa nhập");
            let due = crate::reports::calendar(&state.pool).await?.due(quarter);
            own_report = Some((
                period.label(),
                status.to_owned(),
                crate::format::date(due),
                format!("/reports/{}/{}", own.code, period.code()),
            ));
        }
        if user.has(Role::Reviewer) {
            let waiting =
                crate::reports::store::count_below(&state.pool, own.id, crate::reports::workflow::Status::Submitted)
                    .await?;
            awaiting_review = Some((waiting, format!("/reviews?period={}", period.code())));
        }
    }
    Ok(render(&HomePage {
        layout,
        today,
        counts,
        unit_name: user.unit_name(),
        dashboard: "/dashboards".to_owned(),
        own_report,
        awaiting_review,
        dissolved,
    }))
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    layout: Layout,
    version: &'static str,
    database_time: String,
}

/// About the application: also the benchmark's baseline, one trivial query through the layout.
async fn about(State(state): State<AppState>, layout: Layout) -> AppResult<Response> {
    let now: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar!(r#"SELECT now() AS "now!""#).fetch_one(&state.pool).await?;
    let database_time = now.with_timezone(&crate::format::VIETNAM).format("%H:%M:%S ngày %d/%m/%Y").to_string();
    Ok(render(&AboutPage { layout, version: env!("CARGO_PKG_VERSION"), database_time }))
}
