//! Test builders: the accounts and reports a test starts from, written directly into its
//! database (the sign-up and report workflows are tested where they are the subject), with
//! the usual values unless the test names others.
//!
//! ```ignore
//! let clerk = app.user("mt.nhaplieu", "30883").role("nhap_lieu").signed_in().await;
//! app.report("678", 2017, 1).status(Status::Submitted).values(&[("DON_TIEP_NHAN", "", "4")]).insert().await;
//! ```

use chrono::NaiveDate;
use danvan::auth::UserId;
use danvan::directives::store::{DirectiveStatus, NewDirective};
use danvan::directives::{self, DirectiveId, DirectiveNumber};
use danvan::format::NumberRules;
use danvan::reports::store::{self, ReportId, Status};

use super::TestApp;

/// The day unit codes are resolved on unless a builder says otherwise: the units as they were
/// before the 2025 reform (codes were reused after it).
const BEFORE_THE_REFORM: &str = "2020-12-31";

impl TestApp {
    /// An account named `username` at the unit carrying `unit_code` (`TW` for national).
    pub fn user<'a>(&'a self, username: &'a str, unit_code: &'a str) -> NewUser<'a> {
        NewUser { app: self, username, unit_code, as_of: BEFORE_THE_REFORM, roles: Vec::new() }
    }

    /// A directive numbered `number` (`99-NQ/TW`: its kind and issuer are read from it), in
    /// force, issued by `issuing_body` on `issued_on` (`YYYY-MM-DD`); see [`NewDirectiveRow`].
    pub fn directive<'a>(&'a self, number: &'a str, issuing_body: &'a str, issued_on: &str) -> NewDirectiveRow<'a> {
        NewDirectiveRow {
            app: self,
            number,
            issuing_body,
            issued_on: NaiveDate::parse_from_str(issued_on, "%Y-%m-%d").expect("a YYYY-MM-DD date"),
            title: "Văn bản thử",
            body: "",
        }
    }

    /// A report of the unit carrying `unit_code` for quarter `quarter` of `year`: accepted, no
    /// values, the unit resolved on 31 December of `year` unless the builder says otherwise.
    pub fn report<'a>(&'a self, unit_code: &'a str, year: i32, quarter: i16) -> NewReport<'a> {
        NewReport { app: self, unit_code, on: None, year, quarter, status: Status::Accepted, values: Vec::new() }
    }
}

/// An account to create: see [`TestApp::user`].
#[must_use = "an account is created by `create` or `signed_in`"]
pub struct NewUser<'a> {
    app: &'a TestApp,
    username: &'a str,
    unit_code: &'a str,
    as_of: &'a str,
    roles: Vec<&'a str>,
}

impl<'a> NewUser<'a> {
    /// Resolves the unit code on `as_of` (`YYYY-MM-DD`) instead of 31/12/2020.
    pub fn on(mut self, as_of: &'a str) -> Self {
        self.as_of = as_of;
        self
    }

    /// Gives the account `role` (`nhap_lieu`, `duyet`, `lanh_dao`, `quan_tri`) besides any before.
    pub fn role(mut self, role: &'a str) -> Self {
        self.roles.push(role);
        self
    }

    /// Creates the account (password [`super::PASSWORD`]) and returns its id.
    pub async fn create(self) -> danvan::auth::UserId {
        let pool = &self.app.pool;
        let date = danvan::units::parse_date(self.as_of).expect("a YYYY-MM-DD date");
        let unit = danvan::units::resolve_for_person(pool, self.unit_code, date).await.expect("unit code");
        let roles: Vec<String> = self.roles.iter().map(|role| role.to_string()).collect();
        let new_user = danvan::auth::users::NewUser {
            username: self.username,
            full_name: &format!("Người thử {}", self.username),
            unit_id: unit.map(|u| u.id),
            roles: &roles,
            password_hash: super::password_hash().await,
        };
        danvan::auth::users::insert(pool, &new_user).await.expect("insert user")
    }

    /// Creates the account and returns a new client signed in as it.
    pub async fn signed_in(self) -> reqwest::Client {
        let (app, username) = (self.app, self.username);
        self.create().await;
        app.client_for(username).await
    }
}

/// A directive to write: see [`TestApp::directive`].
#[must_use = "a directive is written by `insert`"]
pub struct NewDirectiveRow<'a> {
    app: &'a TestApp,
    number: &'a str,
    issuing_body: &'a str,
    issued_on: NaiveDate,
    title: &'a str,
    body: &'a str,
}

impl<'a> NewDirectiveRow<'a> {
    pub fn title(mut self, title: &'a str) -> Self {
        self.title = title;
        self
    }

    pub fn body(mut self, body: &'a str) -> Self {
        self.body = body;
        self
    }

    /// Writes it through the directives' store (with its search key), without an issuing unit.
    pub async fn insert(self) -> DirectiveId {
        let number: DirectiveNumber = self.number.parse().expect("a directive number");
        let directive = NewDirective {
            number: self.number,
            kind: number.kind,
            issuer: number.issuer,
            issuing_body: self.issuing_body,
            issuing_unit_id: None,
            issued_on: self.issued_on,
            title: self.title,
            body: self.body,
            status: DirectiveStatus::InForce,
            replaced_by_id: None,
            number_is_assumed: false,
        };
        let mut conn = self.app.pool.acquire().await.expect("connection");
        directives::store::insert(&mut conn, &directive).await.expect("directive")
    }
}

/// A report to write: see [`TestApp::report`].
#[must_use = "a report is written by `insert`"]
pub struct NewReport<'a> {
    app: &'a TestApp,
    unit_code: &'a str,
    on: Option<&'a str>,
    year: i32,
    quarter: i16,
    status: Status,
    values: Vec<(&'a str, &'a str, &'a str)>,
}

impl<'a> NewReport<'a> {
    /// Resolves the unit code on `on` (`YYYY-MM-DD`): codes were reused in 2025.
    pub fn on(mut self, on: &'a str) -> Self {
        self.on = Some(on);
        self
    }

    /// The report's status (accepted unless a test says otherwise).
    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Figures: data element, organisation (`""` for none) and the value as a user types it
    /// (`585.160`, `0,1`), read exactly by the app's one parser.
    pub fn values(mut self, values: &[(&'a str, &'a str, &'a str)]) -> Self {
        self.values.extend_from_slice(values);
        self
    }

    /// Writes the report and its values with SQL (the roll-ups are not touched: see
    /// [`TestApp::rebuild_rollups`]) and returns its id.
    pub async fn insert(self) -> ReportId {
        let on = match self.on {
            Some(on) => NaiveDate::parse_from_str(on, "%Y-%m-%d").expect("a YYYY-MM-DD date"),
            None => NaiveDate::from_ymd_opt(self.year, 12, 31).expect("date"),
        };
        let pool = &self.app.pool;
        let unit = danvan::units::queries::resolve(pool, self.unit_code, on).await.expect("query").expect("unit");
        let id: ReportId = sqlx::query_scalar(
            "INSERT INTO reports (unit_id, year, quarter, status) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(unit.id)
        .bind(self.year)
        .bind(self.quarter)
        .bind(self.status.as_str())
        .fetch_one(pool)
        .await
        .expect("report");
        for (element, organisation, value) in self.values {
            sqlx::query(
                "INSERT INTO report_values (report_id, element_code, organisation_code, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(element)
            .bind(organisation)
            .bind(figure(value))
            .execute(pool)
            .await
            .expect("value");
        }
        id
    }
}

impl TestApp {
    /// Moves report `id` to `to` through the reports' store as a reviewer's action does (the
    /// event, the roll-ups' delta, the announcement to other servers), without the page's
    /// checks; commits, and applies the move to this server's dashboard cache.
    pub async fn move_report(&self, id: ReportId, to: Status) {
        let mut tx = self.pool.begin().await.expect("tx");
        let report = store::by_id(&mut tx, id).await.expect("report");
        let change = store::transition(&mut tx, &report, to, (UserId(1), "kiểm tra"), "", &Default::default())
            .await
            .expect("move");
        tx.commit().await.expect("commit");
        self.cache.apply(&change);
    }

    /// Recomputes the dashboards' roll-ups from the reports, after reports were written with SQL
    /// instead of moving through the workflow.
    pub async fn rebuild_rollups(&self) {
        danvan::dashboards::rollup::rebuild(&self.pool).await.expect("rebuild roll-ups");
    }
}

/// `typed` read as the report form reads a figure (any sign, any decimals), exactly.
fn figure(typed: &str) -> danvan::figures::Decimal {
    let any = NumberRules::decimal(true, None);
    danvan::format::parse_vietnamese_number(typed, &any)
        .unwrap_or_else(|error| panic!("{typed:?} is not a figure typed the Vietnamese way: {error:?}"))
        .expect("a figure, not an empty field")
}
