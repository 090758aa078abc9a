//! `GET /exports/annual/{unit}/{year}`: the annual report as the preview page (figures linked
//! to their drill-down, the narrative form for those who may edit it), and `….docx` / `….xlsx`
//! as downloads.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use super::narrative::{NarrativeProblem, may_edit};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::exports::annual::{self, AnnualDocument, AnnualNarrative, Block, Figures, Inline, LayoutSpec};
use crate::exports::download::{DOCX_TYPE, XLSX_TYPE, attachment, blocking};
use crate::exports::scope::{ExportAddress, parse_unit_date, report_date, unit_for_year, unit_query};
use crate::exports::{docx, xlsx};
use crate::replica::routing::ReadPool;
use crate::units::{self, Unit};
use crate::web::{AppState, Layout, filters, render};

/// `?date=…` (the issuing date, `2020-12-15` or `15/12/2020`; today when empty) and
/// `?unit_date=…` (see [`crate::exports::UnitDateQuery`]).
#[derive(Debug, Default, Deserialize)]
pub struct AnnualQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    unit_date: String,
}

/// Builds the document issued on `date` by the unit's office at `office_date`, reading through
/// `read` (the replica for the export itself, the primary after a save).
pub(super) async fn load_document(
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
pub(super) struct AnnualPage {
    pub(super) layout: Layout,
    pub(super) doc: AnnualDocument,
    pub(super) narrative: AnnualNarrative,
    pub(super) can_edit: bool,
    pub(super) date_input: String,
    /// `?date=…&unit_date=…` for the DOCX link, or nothing.
    pub(super) date_query: String,
    /// `?unit_date=…` for the other links and the narrative form, or nothing.
    pub(super) unit_query: String,
    /// The `unit_date` to keep in the date form.
    pub(super) unit_date: String,
    pub(super) default_recipients: String,
    pub(super) default_position: String,
    /// Set when a save was refused and the form shows the typed text again.
    pub(super) problem: Option<NarrativeProblem>,
}

impl AnnualPage {
    /// The message next to a narrative field, if any.
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problem.as_ref()?.fields.iter().find(|(n, _)| *n == name).map(|(_, m)| m.as_str())
    }
}

/// GET /exports/annual/{unit}/{year}[.docx|.xlsx]: the preview page, the DOCX, or the workbook
/// (indicators by sub-unit, then the raw values of the accepted reports). Another extension is
/// a 404, an issuing date that is not a date a 400, a bad `unit_date` a 422.
pub async fn annual_export(
    State(state): State<AppState>,
    read: ReadPool,
    layout: Layout,
    user: CurrentUser,
    ExportAddress { code, year, ext }: ExportAddress,
    Query(query): Query<AnnualQuery>,
) -> AppResult<Response> {
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
