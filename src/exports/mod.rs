//! Exports: the annual summary report of a unit (DOCX in the Party document format, an HTML
//! preview with drill-down links and the narrative form, an XLSX workbook of indicators by
//! sub-unit and raw values), and the import/export of values in a documented template.

pub mod annual;
pub mod docx;
pub mod exchange;
#[cfg(test)]
mod fuzz;
pub mod import;
pub mod xlsx;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use annual::{AnnualDocument, AnnualNarrative, Block, Figures, Inline, LayoutSpec};

use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::Period;
use crate::units::{self, Unit, queries};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, Layout, filters, render};

pub fn routes() -> Vec<RouteSpec> {
    use Access::SignedIn;
    vec![
        RouteSpec::new(
            Method::GET,
            "/exports/annual/{unit}/{year}",
            "/exports/annual/91/2020.docx",
            SignedIn,
            get(annual_export),
        ),
        RouteSpec::new(
            Method::POST,
            "/exports/annual/{unit}/{year}/narrative",
            "/exports/annual/91/2020/narrative",
            SignedIn,
            post(save_narrative),
        ),
        RouteSpec::new(
            Method::GET,
            "/exports/values/{unit}/{year}",
            "/exports/values/91/2020.csv",
            SignedIn,
            get(exchange::export_values),
        ),
        RouteSpec::new(Method::GET, "/imports/values", "/imports/values", SignedIn, get(exchange::import_page)),
        RouteSpec::new(
            Method::POST,
            "/imports/values",
            "/imports/values",
            SignedIn,
            post(exchange::import_values)
                .layer(axum::extract::DefaultBodyLimit::max(crate::directives::pages::UPLOAD_BODY_LIMIT)),
        ),
    ]
}

/// `2020.docx` → (2020, "docx"); `2020` → (2020, "").
pub fn split_year(text: &str) -> AppResult<(i32, String)> {
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

/// The date a `unit_date` names; `None` when empty.
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
/// user may read it. A bad `unit_date` answers 422, a code naming no unit then 404.
pub async fn unit_for_year(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    year: i32,
    unit_date: &str,
) -> Result<Unit, Response> {
    let on = parse_unit_date(unit_date)
        .map_err(IntoResponse::into_response)?
        .unwrap_or_else(|| Period::Year { year }.end_date());
    let unit = match queries::resolve(&state.pool, code, on).await.map_err(|e| AppError::from(e).into_response())? {
        Some(unit) => unit,
        None => return Err(crate::units::code_not_found(&state.pool, code, on).await.into_response()),
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
fn unit_query(unit_date: Option<NaiveDate>) -> String {
    unit_date.map(|d| format!("?unit_date={}", d.format("%Y-%m-%d"))).unwrap_or_default()
}

/// May edit the annual narrative: the unit's own office, or an administrator of its subtree.
pub fn may_edit(user: &CurrentUser, unit: &Unit) -> bool {
    let place = Some(Place::from(unit));
    authz::can(user, Action::EnterReport, place) || authz::can(user, Action::ManageUsers, place)
}

/// Runs CPU-heavy work (building a workbook or a document) on the blocking pool, so the async
/// threads keep answering other requests meanwhile.
pub async fn blocking<T, F>(work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
{
    Ok(tokio::task::spawn_blocking(work).await.map_err(anyhow::Error::from)??)
}

/// A download with a UTF-8 file name and an ASCII fallback.
pub fn attachment(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let ascii: String = crate::text::fold(filename)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '-' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC).to_string();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

#[derive(Debug, Default, Deserialize)]
pub struct AnnualQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    unit_date: String,
}

pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Builds the document issued on `date` by the unit's office at `office_date`, reading through
/// `read` (the replica for the export itself, the primary after a save).
async fn load_document(
    state: &AppState,
    read: &ReadPool,
    unit: Unit,
    year: i32,
    date: NaiveDate,
    office_date: NaiveDate,
) -> AppResult<(AnnualDocument, Figures, AnnualNarrative)> {
    let layout = LayoutSpec::load()?;
    let view = state.aggregates.view_for(read).await?;
    // The narrative and office from the same database as the figures.
    let narrative = annual::narrative(view.pool(), unit.id, year).await?.unwrap_or_default();
    let office = crate::offices::in_force(view.pool(), &unit, office_date).await?;
    let figures = Figures::load(&view, unit, year).await?;
    let document = annual::build(&figures, &narrative, &layout, &annual::Options { date, office });
    Ok((document, figures, narrative))
}

#[derive(Template)]
#[template(path = "exports/annual.html")]
struct AnnualPage {
    layout: Layout,
    doc: AnnualDocument,
    narrative: AnnualNarrative,
    can_edit: bool,
    date_input: String,
    /// `?date=…&unit_date=…` for the DOCX link, or nothing.
    date_query: String,
    /// `?unit_date=…` for the other links and the narrative form, or nothing.
    unit_query: String,
    /// The `unit_date` to keep in the date form.
    unit_date: String,
    default_recipients: String,
    default_position: String,
    /// Set when a save was refused and the form shows the typed text again.
    problem: Option<NarrativeProblem>,
}

impl AnnualPage {
    /// The message next to a narrative field, if any.
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problem.as_ref()?.fields.iter().find(|(n, _)| *n == name).map(|(_, m)| m.as_str())
    }
}

pub async fn annual_export(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
    Query(query): Query<AnnualQuery>,
) -> AppResult<Response> {
    let (year, ext) = split_year(&year_text)?;
    let unit = match unit_for_year(&state, &user, &code, year, &query.unit_date).await {
        Ok(unit) => unit,
        Err(response) => return Ok(response),
    };
    let unit_date = parse_unit_date(&query.unit_date).ok().flatten();
    let issued = match query.date.trim() {
        "" => None,
        text => Some(
            units::parse_date(text)
                .ok_or_else(|| AppError::BadRequest("Ngày không hợp lệ: nhập theo dạng 15/12/2020.".to_owned()))?,
        ),
    };
    let date = issued.unwrap_or_else(units::today);
    let can_edit = may_edit(&user, &unit);
    let short = unit.short_name.clone();
    // The workbook's raw values are read alongside the figures, on a second connection.
    let raw =
        async { if ext == "xlsx" { xlsx::raw_values(read.pool(), &unit, year).await.map(Some) } else { Ok(None) } };
    let (loaded, raw) =
        tokio::join!(load_document(&state, &read, unit.clone(), year, date, report_date(year, issued)), raw);
    let ((document, figures, narrative), raw) = (loaded?, raw?);
    let name = format!("Báo cáo tổng kết năm {year} - {short}");
    match ext.as_str() {
        "docx" => {
            let bytes = blocking(move || docx::render(&document)).await?;
            Ok(attachment(bytes, DOCX_TYPE, &format!("{name}.docx")))
        }
        "xlsx" => {
            let raw = raw.unwrap_or_default();
            let bytes = blocking(move || xlsx::annual(&figures, &raw)).await?;
            Ok(attachment(bytes, XLSX_TYPE, &format!("Số liệu năm {year} - {short}.xlsx")))
        }
        "" => {
            let default_recipients = document.office.recipients.join("\n");
            let default_position = document.office.signer_position.clone();
            let mut params: Vec<String> = Vec::new();
            if let Some(issued) = issued {
                params.push(format!("date={}", issued.format("%Y-%m-%d")));
            }
            if let Some(unit_date) = unit_date {
                params.push(format!("unit_date={}", unit_date.format("%Y-%m-%d")));
            }
            Ok(render(&AnnualPage {
                layout,
                date_input: date.format("%Y-%m-%d").to_string(),
                date_query: if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) },
                unit_query: unit_query(unit_date),
                unit_date: unit_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                doc: document,
                narrative,
                can_edit,
                default_recipients,
                default_position,
                problem: None,
            }))
        }
        _ => Err(AppError::NotFound),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NarrativeForm {
    #[serde(default)]
    version: String,
    /// Set only by the explicit "replace the other save" button of the conflict page: the
    /// version the user chose to overwrite.
    #[serde(default)]
    replace: String,
    #[serde(default)]
    ket_qua: String,
    #[serde(default)]
    han_che: String,
    #[serde(default)]
    nguyen_nhan: String,
    #[serde(default)]
    phuong_huong: String,
    #[serde(default)]
    kien_nghi: String,
    #[serde(default)]
    uu_diem: String,
    #[serde(default)]
    bai_hoc: String,
    #[serde(default)]
    nhiem_vu: String,
    #[serde(default)]
    signer_position: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: String,
}

/// Longest text of one narrative field, in characters.
pub const MAX_SECTION_CHARS: usize = 50_000;

/// The narrative's fields with their labels on the form.
const NARRATIVE_FIELDS: [(&str, &str); 11] = [
    ("ket_qua", "Tình hình chung, kết quả nổi bật"),
    ("uu_diem", "Ưu điểm"),
    ("han_che", "Hạn chế"),
    ("nguyen_nhan", "Nguyên nhân"),
    ("bai_hoc", "Bài học kinh nghiệm"),
    ("phuong_huong", "Phương hướng"),
    ("nhiem_vu", "Nhiệm vụ, giải pháp"),
    ("kien_nghi", "Kiến nghị, đề xuất"),
    ("signer_position", "Chức vụ người ký"),
    ("signer_name", "Họ và tên người ký"),
    ("recipients", "Nơi nhận"),
];

fn narrative_field<'a>(narrative: &'a AnnualNarrative, name: &str) -> &'a str {
    match name {
        "signer_position" => &narrative.signer_position,
        "signer_name" => &narrative.signer_name,
        "recipients" => &narrative.recipients,
        section => narrative.section(section),
    }
}

/// Why a narrative save was not stored; the form is shown again with the typed text.
#[derive(Debug, Default)]
pub struct NarrativeProblem {
    /// A message above the form.
    pub message: String,
    /// Field name → message shown next to it.
    pub fields: Vec<(&'static str, String)>,
    /// On a conflict: the version now stored (the "replace" button names it) and the stored
    /// text of each field that differs from the typed one, as (label, text).
    pub conflict: Option<(i32, Vec<(&'static str, String)>)>,
}

/// Binds a narrative save's parameters in the one order its INSERT and UPDATE share: the unit
/// ($1), the year ($2), the texts ($3 to $10, then $12 to $14, the three of template v3) and the
/// account writing ($11).
fn bind_narrative<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    unit_id: i32,
    year: i32,
    typed: &'q AnnualNarrative,
    by: i32,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(unit_id)
        .bind(year)
        .bind(&typed.ket_qua)
        .bind(&typed.han_che)
        .bind(&typed.nguyen_nhan)
        .bind(&typed.phuong_huong)
        .bind(&typed.kien_nghi)
        .bind(&typed.signer_position)
        .bind(&typed.signer_name)
        .bind(&typed.recipients)
        .bind(by)
        .bind(&typed.uu_diem)
        .bind(&typed.bai_hoc)
        .bind(&typed.nhiem_vu)
}

/// Shows the annual page again with the typed narrative and what went wrong.
#[allow(clippy::too_many_arguments)]
async fn narrative_again(
    state: &AppState,
    layout: Layout,
    unit: Unit,
    year: i32,
    unit_date: Option<NaiveDate>,
    typed: AnnualNarrative,
    problem: NarrativeProblem,
    status: StatusCode,
) -> AppResult<Response> {
    let read = ReadPool::primary_only(state.pool.clone());
    let (document, _, _) = load_document(state, &read, unit, year, units::today(), report_date(year, None)).await?;
    let default_recipients = document.office.recipients.join("\n");
    let default_position = document.office.signer_position.clone();
    let page = AnnualPage {
        layout,
        date_input: units::today().format("%Y-%m-%d").to_string(),
        date_query: unit_query(unit_date),
        unit_query: unit_query(unit_date),
        unit_date: unit_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        doc: document,
        narrative: typed,
        can_edit: true,
        default_recipients,
        default_position,
        problem: Some(problem),
    };
    crate::error::page_with_status(status, render(&page))
}

/// POST /exports/annual/{unit}/{year}/narrative. Saves only over the version the user opened
/// (or the one named by the explicit "replace" button); otherwise, and when a field is too
/// long, the form comes back with every typed character kept.
pub async fn save_narrative(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
    Query(query): Query<UnitDateQuery>,
    Form(form): Form<NarrativeForm>,
) -> AppResult<Response> {
    let (year, ext) = split_year(&year_text)?;
    if !ext.is_empty() {
        return Err(AppError::NotFound);
    }
    let unit_date = match parse_unit_date(&query.unit_date) {
        Ok(date) => date,
        Err(bad) => return Ok(bad.into_response()),
    };
    let on = unit_date.unwrap_or_else(|| Period::Year { year }.end_date());
    let unit = queries::resolve(&state.pool, &code, on).await?.ok_or(AppError::NotFound)?;
    if !may_edit(&user, &unit) {
        return Err(AppError::Forbidden);
    }
    let back = format!("/exports/annual/{}/{year}{}", unit.code, unit_query(unit_date));
    let opened: i32 = form.version.trim().parse().unwrap_or(0);
    let expected: i32 = form.replace.trim().parse().unwrap_or(opened);
    // Word's control characters become the breaks they meant (see `text::from_word`).
    let clean = |text: &str| -> String { crate::text::from_word(text).trim().to_owned() };
    let mut typed = AnnualNarrative {
        ket_qua: clean(&form.ket_qua),
        han_che: clean(&form.han_che),
        nguyen_nhan: clean(&form.nguyen_nhan),
        phuong_huong: clean(&form.phuong_huong),
        kien_nghi: clean(&form.kien_nghi),
        uu_diem: clean(&form.uu_diem),
        bai_hoc: clean(&form.bai_hoc),
        nhiem_vu: clean(&form.nhiem_vu),
        signer_position: clean(&form.signer_position),
        signer_name: clean(&form.signer_name),
        recipients: clean(&form.recipients),
        version: opened,
    };
    let too_long: Vec<(&'static str, String)> = NARRATIVE_FIELDS
        .iter()
        .filter_map(|(name, _)| {
            let length = narrative_field(&typed, name).chars().count();
            (length > MAX_SECTION_CHARS).then(|| {
                (
                    *name,
                    format!(
                        "Phần này dài {} ký tự, vượt quá giới hạn {} ký tự. Hãy rút gọn rồi lưu lại; chưa có gì được lưu.",
                        format::integer(i64::try_from(length).unwrap_or(i64::MAX)),
                        format::integer(MAX_SECTION_CHARS as i64)
                    ),
                )
            })
        })
        .collect();
    if !too_long.is_empty() {
        let problem = NarrativeProblem {
            message: "Chưa lưu: có phần dài quá giới hạn (xem thông báo cạnh ô). Nội dung bạn đã gõ vẫn còn dưới đây."
                .to_owned(),
            fields: too_long,
            conflict: None,
        };
        return narrative_again(
            &state,
            layout,
            unit,
            year,
            unit_date,
            typed,
            problem,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }

    let mut tx = state.pool.begin().await?;
    // The first save inserts only if nobody did meanwhile: a concurrent first save waits on the
    // unique key and then inserts nothing, so it gets the conflict below.
    let inserted = if expected == 0 {
        bind_narrative(
            sqlx::query(
                "INSERT INTO annual_narratives (unit_id, year, ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi,
                                                signer_position, signer_name, recipients, version, updated_by, updated_at,
                                                uu_diem, bai_hoc, nhiem_vu)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, now(), $12, $13, $14)
                 ON CONFLICT (unit_id, year) DO NOTHING",
            ),
            unit.id,
            year,
            &typed,
            user.id,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1
    } else {
        false
    };
    let existing: Option<AnnualNarrative> = if inserted {
        None
    } else {
        sqlx::query_as(
            "SELECT ket_qua, uu_diem, han_che, nguyen_nhan, phuong_huong, kien_nghi, bai_hoc, nhiem_vu,
                    signer_position, signer_name, recipients, version
             FROM annual_narratives WHERE unit_id = $1 AND year = $2 FOR UPDATE",
        )
        .bind(unit.id)
        .bind(year)
        .fetch_optional(&mut *tx)
        .await?
    };
    let updated = match &existing {
        Some(current) if current.version == expected => {
            bind_narrative(
                sqlx::query(
                    "UPDATE annual_narratives SET
                       ket_qua = $3, han_che = $4, nguyen_nhan = $5, phuong_huong = $6, kien_nghi = $7,
                       signer_position = $8, signer_name = $9, recipients = $10, version = version + 1,
                       updated_by = $11, updated_at = now(), uu_diem = $12, bai_hoc = $13, nhiem_vu = $14
                     WHERE unit_id = $1 AND year = $2 AND version = $15",
                ),
                unit.id,
                year,
                &typed,
                user.id,
            )
            .bind(expected)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        _ => false,
    };
    if !inserted && !updated {
        tx.rollback().await.ok();
        let current = existing.unwrap_or_default();
        let differing: Vec<(&'static str, String)> = NARRATIVE_FIELDS
            .iter()
            .filter(|(name, _)| narrative_field(&current, name) != narrative_field(&typed, name))
            .map(|(name, label)| (*label, narrative_field(&current, name).to_owned()))
            .collect();
        let problem = NarrativeProblem {
            message: format!(
                "Chưa lưu: nội dung báo cáo năm đã được người khác lưu trong lúc bạn soạn (nay là phiên bản {}). \
                 Nội dung bạn đã gõ vẫn còn trong các ô dưới đây; phần khác với bản vừa lưu được liệt kê ngay sau đây \
                 để bạn đối chiếu.",
                current.version
            ),
            fields: Vec::new(),
            conflict: Some((current.version, differing)),
        };
        return narrative_again(&state, layout, unit, year, unit_date, typed, problem, StatusCode::CONFLICT).await;
    }
    typed.version = expected + 1;
    audit::record(
        &mut *tx,
        &user.actor(),
        Entry {
            action: if inserted { "create" } else { "update" },
            entity: "annual_narrative",
            entity_id: format!("{}/{year}", unit.code),
            unit_id: Some(unit.id),
            before: existing.as_ref().and_then(|n| serde_json::to_value(n).ok()),
            after: serde_json::to_value(&typed).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu nội dung báo cáo tổng kết năm.").redirect(&back))
}
