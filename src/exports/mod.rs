//! Exports: the annual summary report of a unit (DOCX in the Party document format, an HTML
//! preview with drill-down links and the narrative form, an XLSX workbook of indicators by
//! sub-unit and raw values), and the import/export of values in a documented template.

pub mod annual;
pub mod docx;
pub mod exchange;
pub mod xlsx;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use annual::{AnnualDocument, AnnualNarrative, Block, Figures, Inline, LayoutSpec};

use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::reports::Period;
use crate::units::{self, Unit, queries};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, Layout, render};

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

/// Resolves the unit code as of the year's end and checks the user may read it.
pub async fn unit_for_year(state: &AppState, user: &CurrentUser, code: &str, year: i32) -> AppResult<Unit> {
    let end = Period::Year { year }.end_date();
    let unit = queries::resolve(&state.pool, code, end).await?.ok_or(AppError::NotFound)?;
    authz::authorize(user, Action::ViewData, Some(Place::from(&unit)))?;
    Ok(unit)
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
}

pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn load_document(
    state: &AppState,
    unit: Unit,
    year: i32,
    date: NaiveDate,
) -> AppResult<(AnnualDocument, Figures, AnnualNarrative)> {
    let layout = LayoutSpec::load()?;
    let narrative = annual::narrative(&state.pool, unit.id, year).await?.unwrap_or_default();
    let figures = Figures::load(&state.pool, unit, year).await?;
    let document = annual::build(&figures, &narrative, &layout, &annual::Options { date });
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
    date_query: String,
    default_recipients: String,
    default_position: String,
}

pub async fn annual_export(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
    Query(query): Query<AnnualQuery>,
) -> AppResult<Response> {
    let (year, ext) = split_year(&year_text)?;
    let unit = unit_for_year(&state, &user, &code, year).await?;
    let date = match query.date.trim() {
        "" => units::today(),
        text => units::parse_date(text)
            .ok_or_else(|| AppError::BadRequest("Ngày không hợp lệ: nhập theo dạng 15/12/2020.".to_owned()))?,
    };
    let can_edit = may_edit(&user, &unit);
    let short = unit.short_name.clone();
    let (document, figures, narrative) = load_document(&state, unit, year, date).await?;
    let name = format!("Báo cáo tổng kết năm {year} - {short}");
    match ext.as_str() {
        "docx" => {
            let bytes = blocking(move || docx::render(&document)).await?;
            Ok(attachment(bytes, DOCX_TYPE, &format!("{name}.docx")))
        }
        "xlsx" => {
            let raw = xlsx::raw_values(&state.pool, &figures.unit, year).await?;
            let bytes = blocking(move || xlsx::annual(&figures, &raw)).await?;
            Ok(attachment(bytes, XLSX_TYPE, &format!("Số liệu năm {year} - {short}.xlsx")))
        }
        "" => {
            let default_recipients = document.layout.default_recipients(figures.unit.level).join("\n");
            let default_position = document.layout.signature.position.clone();
            Ok(render(&AnnualPage {
                layout,
                date_input: date.format("%Y-%m-%d").to_string(),
                date_query: if query.date.trim().is_empty() {
                    String::new()
                } else {
                    format!("?date={}", date.format("%Y-%m-%d"))
                },
                doc: document,
                narrative,
                can_edit,
                default_recipients,
                default_position,
            }))
        }
        _ => Err(AppError::NotFound),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NarrativeForm {
    #[serde(default)]
    version: String,
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
    signer_position: String,
    #[serde(default)]
    signer_name: String,
    #[serde(default)]
    recipients: String,
}

const MAX_SECTION_CHARS: usize = 50_000;

pub async fn save_narrative(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
    Form(form): Form<NarrativeForm>,
) -> AppResult<Response> {
    let (year, ext) = split_year(&year_text)?;
    if !ext.is_empty() {
        return Err(AppError::NotFound);
    }
    let end = Period::Year { year }.end_date();
    let unit = queries::resolve(&state.pool, &code, end).await?.ok_or(AppError::NotFound)?;
    if !may_edit(&user, &unit) {
        return Err(AppError::Forbidden);
    }
    let back = format!("/exports/annual/{}/{year}", unit.code);
    let expected: i32 = form.version.trim().parse().unwrap_or(0);
    let clean = |text: &str| -> String { text.replace("\r\n", "\n").trim().chars().take(MAX_SECTION_CHARS).collect() };
    let new = AnnualNarrative {
        ket_qua: clean(&form.ket_qua),
        han_che: clean(&form.han_che),
        nguyen_nhan: clean(&form.nguyen_nhan),
        phuong_huong: clean(&form.phuong_huong),
        kien_nghi: clean(&form.kien_nghi),
        signer_position: clean(&form.signer_position),
        signer_name: clean(&form.signer_name),
        recipients: clean(&form.recipients),
        version: expected + 1,
    };
    let mut tx = state.pool.begin().await?;
    let existing: Option<AnnualNarrative> = sqlx::query_as(
        "SELECT ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi, signer_position, signer_name, recipients,
                version
         FROM annual_narratives WHERE unit_id = $1 AND year = $2 FOR UPDATE",
    )
    .bind(unit.id)
    .bind(year)
    .fetch_optional(&mut *tx)
    .await?;
    let current = existing.as_ref().map(|n| n.version).unwrap_or(0);
    if current != expected {
        tx.rollback().await.ok();
        return Ok(Flash::error(
            "Nội dung báo cáo năm đã được người khác lưu trong lúc bạn soạn. Trang dưới đây là bản mới nhất; \
             hãy nhập lại phần thay đổi của bạn.",
        )
        .redirect(&back));
    }
    sqlx::query(
        "INSERT INTO annual_narratives (unit_id, year, ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi,
                                        signer_position, signer_name, recipients, version, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
         ON CONFLICT (unit_id, year) DO UPDATE SET
           ket_qua = EXCLUDED.ket_qua, han_che = EXCLUDED.han_che, nguyen_nhan = EXCLUDED.nguyen_nhan,
           phuong_huong = EXCLUDED.phuong_huong, kien_nghi = EXCLUDED.kien_nghi,
           signer_position = EXCLUDED.signer_position, signer_name = EXCLUDED.signer_name,
           recipients = EXCLUDED.recipients, version = EXCLUDED.version, updated_by = EXCLUDED.updated_by,
           updated_at = now()",
    )
    .bind(unit.id)
    .bind(year)
    .bind(&new.ket_qua)
    .bind(&new.han_che)
    .bind(&new.nguyen_nhan)
    .bind(&new.phuong_huong)
    .bind(&new.kien_nghi)
    .bind(&new.signer_position)
    .bind(&new.signer_name)
    .bind(&new.recipients)
    .bind(new.version)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        &user.actor(),
        Entry {
            action: if existing.is_some() { "update" } else { "create" },
            entity: "annual_narrative",
            entity_id: format!("{}/{year}", unit.code),
            unit_id: Some(unit.id),
            before: existing.as_ref().and_then(|n| serde_json::to_value(n).ok()),
            after: serde_json::to_value(&new).ok(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu nội dung báo cáo tổng kết năm.").redirect(&back))
}
