//! Offices: who speaks for a unit, and under which heading, on a given date.
//!
//! The rule (issue 13, part 5): the office that issues a unit's documents is data with validity
//! dates, per unit: the superior body and the office's name (the two heading lines of a Party
//! document), the symbol after the slash of document numbers, the signature block and the
//! default recipients ("Nơi nhận"). Annual reports take the office of their unit at the report's
//! date; the page header shows the office of the signed-in user's unit today.
//!
//! Sources (see `../shared/DOMAIN.md`, "After 1 July 2025" and "The Party document format"):
//! Hướng dẫn 36-HD/VPTW (2018) for the heading ("TỈNH ỦY KIÊN GIANG" / "BAN DÂN VẬN" / `*` /
//! "Số …-BC/BDVTU"); the merger of every provincial Ban Dân vận with the Ban Tuyên giáo into a
//! Ban Tuyên giáo và Dân vận in February–March 2025 ("TỈNH ỦY AN GIANG" / "BAN TUYÊN GIÁO VÀ DÂN
//! VẬN" / `-BC/BTGDVTU`); Quy định 298-QĐ/TW for the communes of the two-tier system from
//! 1 July 2025, whose Party committee speaks for them under the province ("ĐẢNG BỘ TỈNH AN
//! GIANG" / "ĐẢNG ỦY XÃ …"), while a special zone has a Ban Tuyên giáo và Dân vận of its own.
//!
//! A unit without an office row for a date gets the office [`default::derive`] makes from its
//! kind, level, name and the date; an administrator of the unit's subtree records the real one
//! (with its own dates, e.g. the day a province's boards actually merged) on `/admin/offices`.
//! Hamlets have no office: their commune's speaks for them.

pub mod admin;
pub mod default;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::Method;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};

use crate::auth::UserId;
use crate::units::{Level, Unit, UnitId, queries};
use crate::vocabulary::id;

id! {
    /// A stored office's id (`offices.id`): one period of one unit's office.
    pub struct OfficeId;
}
use crate::web::routes::{Access, RouteSpec};

pub fn routes() -> Vec<RouteSpec> {
    use Access::Admin;
    vec![
        RouteSpec::new(Method::GET, "/admin/offices", "/admin/offices?unit=91", Admin, get(admin::list)),
        RouteSpec::new(
            Method::GET,
            "/admin/offices/new",
            "/admin/offices/new?unit=91&date=2020-12-31",
            Admin,
            get(admin::new_form),
        ),
        RouteSpec::new(Method::POST, "/admin/offices", "/admin/offices", Admin, post(admin::create)),
        RouteSpec::new(
            Method::GET,
            "/admin/offices/{id}",
            "/admin/offices/{some_office}",
            Admin,
            get(admin::edit_form),
        ),
        RouteSpec::new(Method::POST, "/admin/offices/{id}", "/admin/offices/{some_office}", Admin, post(admin::update)),
    ]
}

/// The office of a unit over a period: stored (`id` set) or derived (`id` None).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Office {
    pub id: Option<OfficeId>,
    pub unit_id: UnitId,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// First heading line, in capitals: "TỈNH ỦY AN GIANG".
    pub superior: String,
    /// Second heading line, in capitals: "BAN TUYÊN GIÁO VÀ DÂN VẬN".
    pub name: String,
    /// After the slash of document numbers: "BTGDVTU".
    pub symbol: String,
    /// As pages write it: "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang".
    pub display_name: String,
    pub on_behalf: String,
    pub signer_position: String,
    pub recipients: Vec<String>,
    pub note: String,
    pub version: i32,
}

impl Office {
    fn empty(unit_id: UnitId) -> Office {
        Office {
            id: None,
            unit_id,
            valid_from: None,
            valid_to: None,
            superior: String::new(),
            name: String::new(),
            symbol: String::new(),
            display_name: String::new(),
            on_behalf: String::new(),
            signer_position: String::new(),
            recipients: Vec::new(),
            note: String::new(),
            version: 0,
        }
    }

    /// "01/07/2025 – nay"; "đến 30/06/2025" without a start, as units write it.
    pub fn validity_text(&self) -> String {
        let to = self.valid_to.map(crate::format::date).unwrap_or_else(|| "nay".to_owned());
        match self.valid_from {
            Some(from) => format!("{} – {to}", crate::format::date(from)),
            None => format!("đến {to}"),
        }
    }

    pub fn is_stored(&self) -> bool {
        self.id.is_some()
    }

    /// "Số      -BC/BTGDVTU" from a pattern with `{symbol}`.
    pub fn number_line(&self, pattern: &str) -> String {
        pattern.replace("{symbol}", &self.symbol)
    }
}

/// Splits the recipients as typed or stored, one a line, dropping the leading "- ".
pub fn recipient_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().trim_start_matches('-').trim().to_owned()).filter(|l| !l.is_empty()).collect()
}

struct OfficeRow {
    id: OfficeId,
    unit_id: UnitId,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    superior: String,
    name: String,
    symbol: String,
    display_name: String,
    on_behalf: String,
    signer_position: String,
    recipients: String,
    note: String,
    version: i32,
}

/// An [`Office`] from a record whose columns are those of [`OfficeRow`] (a `query!` record or
/// an [`OfficeRow`] itself).
macro_rules! office_of {
    ($row:ident) => {
        Office {
            id: Some($row.id.into()),
            unit_id: $row.unit_id.into(),
            valid_from: $row.valid_from,
            valid_to: $row.valid_to,
            superior: $row.superior,
            name: $row.name,
            symbol: $row.symbol,
            display_name: $row.display_name,
            on_behalf: $row.on_behalf,
            signer_position: $row.signer_position,
            recipients: recipient_lines(&$row.recipients),
            note: $row.note,
            version: $row.version,
        }
    };
}

impl From<OfficeRow> for Office {
    fn from(row: OfficeRow) -> Office {
        office_of!(row)
    }
}

/// The stored office of a unit on a date, if any.
pub async fn stored_on(pool: &PgPool, unit_id: UnitId, date: NaiveDate) -> sqlx::Result<Option<Office>> {
    let row = sqlx::query_as!(
        OfficeRow,
        "SELECT id, unit_id, valid_from, valid_to, superior, name, symbol, display_name, on_behalf,
                signer_position, recipients, note, version
         FROM offices
         WHERE unit_id = $1 AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)",
        unit_id as UnitId,
        date,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Office::from))
}

pub async fn by_id(pool: &PgPool, id: OfficeId) -> sqlx::Result<Option<Office>> {
    by_id_in(pool, id).await
}

/// [`by_id`] on any executor (a transaction, say).
pub async fn by_id_in<'e>(executor: impl sqlx::PgExecutor<'e>, id: OfficeId) -> sqlx::Result<Option<Office>> {
    let row = sqlx::query_as!(
        OfficeRow,
        "SELECT id, unit_id, valid_from, valid_to, superior, name, symbol, display_name, on_behalf,
                signer_position, recipients, note, version
         FROM offices WHERE id = $1",
        id as OfficeId,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Office::from))
}

/// Every stored office of the units under `path` (the whole country when `None`), with its
/// unit, by unit then date.
pub async fn stored_within(pool: &PgPool, path: Option<&str>, unit_text: &str) -> sqlx::Result<Vec<(Office, Unit)>> {
    let pattern = format!("%{}%", crate::text::like_escape(&crate::text::fold(unit_text)));
    // The ltree path is bound as text (`as _`: the macros' check expects PgLTree).
    let rows = sqlx::query!(
        r#"SELECT o.id, o.unit_id, o.valid_from, o.valid_to, o.superior, o.name, o.symbol, o.display_name, o.on_behalf,
                o.signer_position, o.recipients, o.note, o.version,
                u.code AS u_code, u.name AS u_name, u.short_name AS u_short_name, u.kind AS u_kind,
                u.level AS "u_level: Level", u.parent_id AS u_parent_id, u.path::text AS "u_path!",
                u.valid_from AS u_valid_from, u.valid_to AS u_valid_to
         FROM offices o JOIN units u ON u.id = o.unit_id
         WHERE ($1::ltree IS NULL OR u.path <@ $1::ltree) AND ($2 = '%%' OR u.search_key LIKE $2)
         ORDER BY u.level, u.path, o.valid_from NULLS FIRST
         LIMIT 1000"#,
        path as _,
        pattern,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let unit = Unit {
                id: UnitId(row.unit_id),
                code: row.u_code,
                name: row.u_name,
                short_name: row.u_short_name,
                kind: row.u_kind,
                level: row.u_level,
                parent_id: row.u_parent_id.map(UnitId),
                path: row.u_path,
                valid_from: row.u_valid_from,
                valid_to: row.u_valid_to,
            };
            (office_of!(row), unit)
        })
        .collect())
}

/// The office that speaks for `unit` on `date`: its stored row, or the derived default. A date
/// outside the unit's life is moved to its nearest end (a dissolved unit's last office); a
/// hamlet's office is its commune's.
pub async fn in_force(pool: &PgPool, unit: &Unit, date: NaiveDate) -> sqlx::Result<Office> {
    let date = unit.a_valid_date(date);
    if unit.level < Level::Hamlet
        && let Some(office) = stored_on(pool, unit.id, date).await?
    {
        return Ok(office);
    }
    let ancestors = queries::ancestors(pool, unit).await?;
    // Hamlets have no office of their own: their commune's speaks for them.
    let commune = ancestors.iter().position(|a| a.level == Level::Commune).filter(|_| unit.level >= Level::Hamlet);
    let (unit, above) = match commune {
        Some(i) => (&ancestors[i], &ancestors[..i]),
        None => (unit, &ancestors[..]),
    };
    if commune.is_some()
        && let Some(office) = stored_on(pool, unit.id, date).await?
    {
        return Ok(office);
    }
    let province = above.iter().find(|a| a.level == Level::Province);
    let district = above.iter().find(|a| a.level == Level::District);
    Ok(default::derive(unit, province, district, date))
}

/// Key of the header cache: the database (tests run several apps in one process), the unit and
/// the day.
type HeaderKey = (String, UnitId, NaiveDate);

/// How long the header's office name is reused without asking the database again: a bound for
/// when announcements are lost. An edit of an office starts a new metadata generation (migration
/// 0028), whose announcement clears the cache on every server (`dashboards::changes`); the
/// server that made the edit clears its own at once.
const HEADER_TTL: Duration = Duration::from_secs(300);
const HEADER_CACHE_MAX: usize = 10_000;

static HEADER_CACHE: LazyLock<Mutex<HashMap<HeaderKey, (Instant, String)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn database_key(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or(""))
}

/// Forgets every cached header name (after an office is created or changed).
pub fn clear_header_cache() {
    if let Ok(mut cache) = HEADER_CACHE.lock() {
        cache.clear();
    }
}

/// The office name the page header shows for an account of `unit_id` today: "Ban Tuyên giáo
/// và Dân vận Tỉnh ủy An Giang". Cached per unit and day, so pages cost no query for it.
pub async fn header_name(pool: &PgPool, unit_id: UnitId) -> sqlx::Result<Option<String>> {
    let today = crate::units::today();
    let key: HeaderKey = (database_key(pool), unit_id, today);
    if let Ok(cache) = HEADER_CACHE.lock()
        && let Some((at, name)) = cache.get(&key)
        && at.elapsed() < HEADER_TTL
    {
        return Ok(Some(name.clone()));
    }
    let Some(unit) = queries::by_id(pool, unit_id).await? else {
        return Ok(None);
    };
    let office = in_force(pool, &unit, today).await?;
    if let Ok(mut cache) = HEADER_CACHE.lock() {
        if cache.len() >= HEADER_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), office.display_name.clone()));
    }
    Ok(Some(office.display_name))
}

/// What an administrator may set on an office row.
#[derive(Debug, Clone)]
pub struct OfficeFields {
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub superior: String,
    pub name: String,
    pub symbol: String,
    pub display_name: String,
    pub on_behalf: String,
    pub signer_position: String,
    pub recipients: String,
    pub note: String,
}

/// Why a row could not be stored.
#[derive(Debug)]
pub enum SaveProblem {
    /// Another row of the unit covers part of the period.
    Overlap,
    /// The row changed since the form was opened.
    Stale,
}

fn is_overlap(error: &sqlx::Error) -> bool {
    crate::error::violates(error, "offices_once_at_a_time")
}

/// A `query!`-family statement (`$query`) whose parameters are an office's fields in their one
/// order ($1 to $10), then the account writing ($11), then `$arg`s ($12, …).
macro_rules! with_fields {
    ($query:ident, $sql:literal, $fields:ident, $by:expr $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            $sql,
            $fields.valid_from,
            $fields.valid_to,
            &$fields.superior,
            &$fields.name,
            &$fields.symbol,
            &$fields.display_name,
            &$fields.on_behalf,
            &$fields.signer_position,
            &$fields.recipients,
            &$fields.note,
            $by as Option<UserId>,
            $($arg),*
        )
    };
}

pub async fn insert(
    tx: &mut PgConnection,
    unit_id: UnitId,
    fields: &OfficeFields,
    by: Option<UserId>,
) -> sqlx::Result<Result<OfficeId, SaveProblem>> {
    let result = with_fields!(
        query_scalar,
        r#"INSERT INTO offices (valid_from, valid_to, superior, name, symbol, display_name, on_behalf,
                              signer_position, recipients, note, updated_by, unit_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id AS "id: OfficeId""#,
        fields,
        by,
        unit_id as UnitId,
    )
    .fetch_one(&mut *tx)
    .await;
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(error) if is_overlap(&error) => Ok(Err(SaveProblem::Overlap)),
        Err(error) => Err(error),
    }
}

pub async fn update(
    tx: &mut PgConnection,
    id: OfficeId,
    version: i32,
    fields: &OfficeFields,
    by: Option<UserId>,
) -> sqlx::Result<Result<(), SaveProblem>> {
    let result = with_fields!(
        query,
        "UPDATE offices SET valid_from = $1, valid_to = $2, superior = $3, name = $4, symbol = $5, display_name = $6,
                on_behalf = $7, signer_position = $8, recipients = $9, note = $10, updated_by = $11,
                updated_at = now(), version = version + 1
         WHERE id = $12 AND version = $13",
        fields,
        by,
        id as OfficeId,
        version,
    )
    .execute(&mut *tx)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => Ok(Ok(())),
        Ok(_) => Ok(Err(SaveProblem::Stale)),
        Err(error) if is_overlap(&error) => Ok(Err(SaveProblem::Overlap)),
        Err(error) => Err(error),
    }
}

const DEMO_OFFICES: &str = include_str!("../../reference/demo/offices.csv");

#[derive(Deserialize)]
struct DemoOffice {
    unit_code: String,
    /// A date on which the code names the unit meant.
    as_of: String,
    valid_from: String,
    valid_to: String,
    superior: String,
    name: String,
    symbol: String,
    display_name: String,
    on_behalf: String,
    signer_position: String,
    /// Recipients separated by `|`.
    recipients: String,
    note: String,
}

/// Loads the demo's offices (`reference/demo/offices.csv`).
pub async fn load_demo(tx: &mut PgConnection) -> anyhow::Result<()> {
    let mut reader = csv::Reader::from_reader(DEMO_OFFICES.as_bytes());
    for (line, row) in reader.deserialize::<DemoOffice>().enumerate() {
        let row = row.with_context(|| format!("offices.csv, dòng {}", line + 2))?;
        let date = |text: &str| -> anyhow::Result<Option<NaiveDate>> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            crate::units::parse_date(text).map(Some).with_context(|| format!("offices.csv: ngày {text} không hợp lệ"))
        };
        let as_of = date(&row.as_of)?.with_context(|| format!("offices.csv: thiếu ngày tra mã {}", row.unit_code))?;
        let unit = queries::resolve_in(&mut *tx, &row.unit_code, as_of)
            .await?
            .with_context(|| format!("offices.csv: không có đơn vị {} ngày {as_of}", row.unit_code))?;
        let fields = OfficeFields {
            valid_from: date(&row.valid_from)?,
            valid_to: date(&row.valid_to)?,
            superior: row.superior,
            name: row.name,
            symbol: row.symbol,
            display_name: row.display_name,
            on_behalf: row.on_behalf,
            signer_position: row.signer_position,
            recipients: row.recipients.split('|').map(str::trim).collect::<Vec<_>>().join("\n"),
            note: row.note,
        };
        if let Err(problem) = insert(tx, unit.id, &fields, None).await? {
            anyhow::bail!("offices.csv: đơn vị {} — {problem:?}", row.unit_code);
        }
    }
    clear_header_cache();
    Ok(())
}

#[cfg(test)]
mod validity_tests {
    use super::*;

    #[test]
    fn validity_reads_as_units_write_it() {
        let mut office = Office::empty(UnitId(1));
        office.valid_to = chrono::NaiveDate::from_ymd_opt(2025, 6, 30);
        assert_eq!(office.validity_text(), "đến 30/06/2025");
        office.valid_from = chrono::NaiveDate::from_ymd_opt(2025, 3, 1);
        assert_eq!(office.validity_text(), "01/03/2025 – 30/06/2025");
    }
}
