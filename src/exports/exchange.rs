//! Import and export of values in the documented template, one value a row:
//! `unit_code, period, element_code, organisation, value` (CSV in UTF-8 or XLSX, first sheet,
//! header on line 1). Values are written the Vietnamese way (`585.160`, `46,1`) and read with
//! the same rules as the report form.
//!
//! Import is all-or-nothing: every row is checked (unit resolved against the quarter, element
//! reported at the unit's level, organisation, value, the user's right to enter data for the
//! unit, the report still editable), and nothing is saved when one row is wrong. Rows that
//! equal what is stored change nothing, so a round trip (export, then import the same file)
//! changes nothing; such rows may even name a submitted or accepted report. A row that would
//! change a submitted or accepted report is refused.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::format;
use crate::indicators::{Catalogue, ValueType};
use crate::reports::Period;
use crate::reports::entry::{self, Input};
use crate::reports::store::{self, Draft, SaveError};
use crate::units::{Unit, queries};
use crate::web::{AppState, Layout, render};

pub const COLUMNS: [&str; 5] = ["unit_code", "period", "element_code", "organisation", "value"];
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredValue {
    unit_code: String,
    year: i32,
    quarter: i16,
    element_code: String,
    organisation_code: String,
    value: f64,
}

/// GET /exports/values/{unit}/{year}.csv|.xlsx: every stored value of the subtree for the year.
pub async fn export_values(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
) -> AppResult<Response> {
    let (year, ext) = super::split_year(&year_text)?;
    let unit = super::unit_for_year(&state, &user, &code, year).await?;
    let rows: Vec<StoredValue> = sqlx::query_as(
        "SELECT u.code AS unit_code, r.year, r.quarter, v.element_code, v.organisation_code, v.value
         FROM reports r JOIN units u ON u.id = r.unit_id JOIN report_values v ON v.report_id = r.id
         WHERE u.path <@ $1::ltree AND r.year = $2
         ORDER BY u.path, r.quarter, v.element_code, v.organisation_code",
    )
    .bind(&unit.path)
    .bind(year)
    .fetch_all(&state.pool)
    .await?;
    let name = format!("Số liệu nhập {year} - {}", unit.short_name);
    match ext.as_str() {
        "csv" => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(COLUMNS).map_err(anyhow::Error::from)?;
            for row in &rows {
                writer
                    .write_record([
                        row.unit_code.clone(),
                        format!("{}-Q{}", row.year, row.quarter),
                        row.element_code.clone(),
                        row.organisation_code.clone(),
                        format::format_number(row.value, 6),
                    ])
                    .map_err(anyhow::Error::from)?;
            }
            let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(super::attachment(bytes, "text/csv; charset=utf-8", &format!("{name}.csv")))
        }
        "xlsx" => {
            let bytes = values_workbook(&rows).map_err(anyhow::Error::from)?;
            Ok(super::attachment(bytes, super::XLSX_TYPE, &format!("{name}.xlsx")))
        }
        _ => Err(AppError::NotFound),
    }
}

fn values_workbook(rows: &[StoredValue]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("values")?;
    let bold = Format::new().set_bold();
    for (col, title) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (col, width) in [12.0, 10.0, 28.0, 12.0, 16.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let number = Format::new().set_num_format("#,##0.######");
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_string(r, 0, &row.unit_code)?;
        sheet.write_string(r, 1, format!("{}-Q{}", row.year, row.quarter))?;
        sheet.write_string(r, 2, &row.element_code)?;
        sheet.write_string(r, 3, &row.organisation_code)?;
        sheet.write_number_with_format(r, 4, row.value, &number)?;
    }
    workbook.save_to_buffer()
}

#[derive(Template)]
#[template(path = "exports/import.html")]
struct ImportPage {
    layout: Layout,
    errors: Vec<String>,
    summary: Vec<String>,
    columns: [&'static str; 5],
}

pub async fn import_page(layout: Layout, _user: CurrentUser) -> Response {
    render(&ImportPage { layout, errors: Vec::new(), summary: Vec::new(), columns: COLUMNS })
}

/// One row as read from the file, with its line number.
struct RawRow {
    line: usize,
    cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "Tệp CSV phải được lưu theo mã UTF-8.".to_owned())?;
    let text = text.trim_start_matches('\u{FEFF}');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("Không đọc được tệp CSV: {e}"))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(rows.len() + 1);
        rows.push(RawRow { line, cells: record.iter().map(|c| Cell::Text(c.to_owned())).collect() });
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("Không đọc được tệp Excel: {e}"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| "Tệp Excel không có trang tính nào.".to_owned())?
        .map_err(|e| format!("Không đọc được trang tính đầu tiên: {e}"))?;
    let start_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells = row
            .iter()
            .map(|c| match c {
                Data::Float(f) => Cell::Number(*f),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::Empty => Cell::Text(String::new()),
                other => Cell::Text(other.to_string()),
            })
            .collect();
        rows.push(RawRow { line: start_row + i + 1, cells });
    }
    Ok(rows)
}

/// A checked row, ready to save.
struct Checked {
    line: usize,
    unit: Unit,
    quarter: (i32, u8),
    key: String,
    value: f64,
    typed: String,
}

async fn check_rows(
    pool: &PgPool,
    user: &CurrentUser,
    catalogue: &Catalogue,
    rows: &[RawRow],
) -> sqlx::Result<(Vec<Checked>, Vec<String>)> {
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut units: HashMap<(String, Period), Option<Unit>> = HashMap::new();
    let mut seen: HashMap<(i32, i32, u8, String), usize> = HashMap::new();
    for row in rows {
        let line = row.line;
        let cell = |i: usize| row.cells.get(i).map(Cell::text).unwrap_or_default();
        if row.cells.iter().all(|c| c.text().is_empty()) {
            continue;
        }
        let (code, period_text, element_code, organisation) = (cell(0), cell(1), cell(2), cell(3));
        let period = match period_text.parse::<Period>() {
            Ok(p @ Period::Quarter { .. }) => p,
            _ => {
                errors.push(format!("Dòng {line}: kỳ “{period_text}” không phải là một quý (viết 2020-Q1)."));
                continue;
            }
        };
        let Period::Quarter { year, quarter } = period else { continue };
        let unit = match units.get(&(code.clone(), period)) {
            Some(unit) => unit.clone(),
            None => {
                let unit = queries::resolve(pool, &code, period.end_date()).await?;
                units.insert((code.clone(), period), unit.clone());
                unit
            }
        };
        let Some(unit) = unit else {
            errors.push(format!(
                "Dòng {line}: không có đơn vị mã “{code}” vào ngày {}.",
                format::date(period.end_date())
            ));
            continue;
        };
        let place = Some(Place::from(&unit));
        if !(authz::can(user, Action::EnterReport, place) || authz::can(user, Action::ManageUsers, place)) {
            errors.push(format!("Dòng {line}: bạn không có quyền nhập số liệu của {}.", unit.name));
            continue;
        }
        let Some(element) = catalogue.element(&element_code) else {
            errors.push(format!("Dòng {line}: không có chỉ tiêu mã “{element_code}” trong danh mục."));
            continue;
        };
        if !element.reported_at(unit.level) || element.kind() == ValueType::Text {
            errors.push(format!(
                "Dòng {line}: chỉ tiêu {element_code} không thuộc báo cáo của {} ({}).",
                unit.name,
                unit.level_name().to_lowercase()
            ));
            continue;
        }
        let key = if element.by_organisation {
            if !catalogue.organisations.iter().any(|o| o.code == organisation) {
                errors.push(format!(
                    "Dòng {line}: chỉ tiêu {element_code} nhập theo từng tổ chức; “{organisation}” không phải là mã tổ chức ({}).",
                    catalogue.organisations.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
            format!("{element_code}.{organisation}")
        } else {
            if !organisation.is_empty() {
                errors.push(format!(
                    "Dòng {line}: chỉ tiêu {element_code} không chia theo tổ chức; để trống cột organisation."
                ));
                continue;
            }
            element_code.clone()
        };
        let input = match row.cells.get(4) {
            Some(Cell::Number(n)) => Input::Number(*n),
            Some(Cell::Text(t)) => Input::Text(t.clone()),
            None => Input::Null,
        };
        let value = match entry::parse_input(element, &input) {
            Ok(Some(value)) => value,
            Ok(None) => {
                errors.push(format!("Dòng {line}: thiếu giá trị."));
                continue;
            }
            Err(message) => {
                errors.push(format!("Dòng {line}: giá trị “{}” không hợp lệ: {message}", cell(4)));
                continue;
            }
        };
        let identity = (unit.id, year, quarter, key.clone());
        if let Some(first) = seen.get(&identity) {
            errors.push(format!("Dòng {line}: trùng với dòng {first} (cùng đơn vị, kỳ, chỉ tiêu và tổ chức)."));
            continue;
        }
        seen.insert(identity, line);
        checked.push(Checked { line, unit, quarter: (year, quarter), key, value, typed: cell(4) });
    }
    Ok((checked, errors))
}

/// POST /imports/values: a multipart upload (field `file`).
pub async fn import_values(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let page = |layout: Layout, errors: Vec<String>, summary: Vec<String>, status: StatusCode| -> Response {
        let mut response = render(&ImportPage { layout, errors, summary, columns: COLUMNS }).into_response();
        *response.status_mut() = status;
        response
    };
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
                return Ok(page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST));
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_owned();
        let Ok(bytes) = field.bytes().await else {
            let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
            return Ok(page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST));
        };
        upload = Some((filename, bytes.to_vec()));
    }
    let Some((filename, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return Ok(page(layout, vec!["Chưa chọn tệp để nhập.".to_owned()], Vec::new(), StatusCode::BAD_REQUEST));
    };
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Ok(page(layout, vec!["Tệp lớn hơn 5 MB.".to_owned()], Vec::new(), StatusCode::PAYLOAD_TOO_LARGE));
    }
    let is_xlsx = filename.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04");
    let rows = match if is_xlsx { read_xlsx(&bytes) } else { read_csv(&bytes) } {
        Ok(rows) => rows,
        Err(message) => return Ok(page(layout, vec![message], Vec::new(), StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let Some((header, data)) = rows.split_first() else {
        return Ok(page(layout, vec!["Tệp trống.".to_owned()], Vec::new(), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let header_text: Vec<String> = header.cells.iter().map(|c| c.text().to_ascii_lowercase()).collect();
    if header_text.len() < COLUMNS.len() || header_text[..COLUMNS.len()] != COLUMNS {
        let message = format!("Dòng {}: tiêu đề phải là {}.", header.line, COLUMNS.join(", "));
        return Ok(page(layout, vec![message], Vec::new(), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let catalogue = Catalogue::load(&state.pool).await?;
    let (checked, mut errors) = check_rows(&state.pool, &user, &catalogue, data).await?;

    // Group by report; compare with what is stored.
    let mut by_report: BTreeMap<(i32, i32, u8), Vec<&Checked>> = BTreeMap::new();
    for row in &checked {
        by_report.entry((row.unit.id, row.quarter.0, row.quarter.1)).or_default().push(row);
    }
    struct Plan<'a> {
        unit: &'a Unit,
        quarter: (i32, u8),
        version: i32,
        changed: Vec<&'a Checked>,
        before: BTreeMap<String, f64>,
    }
    let mut plans = Vec::new();
    let mut unchanged = 0usize;
    for ((_, year, quarter), rows) in &by_report {
        let unit = &rows[0].unit;
        let report = store::find(&state.pool, unit.id, *year, *quarter).await?;
        let stored = match &report {
            Some(r) => store::values(&state.pool, r.id).await?,
            None => BTreeMap::new(),
        };
        let changed: Vec<&Checked> =
            rows.iter().copied().filter(|r| stored.get(&r.key).is_none_or(|v| (v - r.value).abs() > 1e-9)).collect();
        unchanged += rows.len() - changed.len();
        if changed.is_empty() {
            continue;
        }
        if let Some(r) = &report
            && !r.status().editable()
        {
            let label = Period::Quarter { year: *year, quarter: *quarter }.label();
            for row in &changed {
                errors.push(format!(
                    "Dòng {}: báo cáo {label} của {} đang ở trạng thái “{}”, không thể nhập đè {} (chỉ nhập được vào báo cáo nháp hoặc bị trả lại).",
                    row.line,
                    unit.name,
                    r.status().label(),
                    row.key
                ));
            }
            continue;
        }
        plans.push(Plan {
            unit,
            quarter: (*year, *quarter),
            version: report.as_ref().map(|r| r.version).unwrap_or(0),
            changed,
            before: stored,
        });
    }
    if !errors.is_empty() {
        errors.insert(0, format!("Không nhập dòng nào: tệp có {} lỗi. Sửa rồi gửi lại cả tệp.", errors.len()));
        return Ok(page(layout, errors, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY));
    }

    let mut tx = state.pool.begin().await?;
    let mut summary = Vec::new();
    for plan in &plans {
        let draft = Draft {
            values: plan.changed.iter().map(|r| (r.key.clone(), r.value)).collect(),
            raw_inputs: plan.changed.iter().map(|r| (r.key.clone(), r.typed.clone())).collect(),
            replace_all: false,
            ..Draft::default()
        };
        let label = Period::Quarter { year: plan.quarter.0, quarter: plan.quarter.1 }.label();
        let saved =
            match store::save(&mut tx, plan.unit.id, plan.quarter, plan.version, &draft, (user.id, &user.username))
                .await
            {
                Ok(saved) => saved,
                Err(SaveError::Database(error)) => return Err(error.into()),
                Err(SaveError::Stale { .. }) | Err(SaveError::Locked(_)) => {
                    tx.rollback().await.ok();
                    let message = format!(
                        "Không nhập dòng nào: báo cáo {label} của {} vừa được người khác thay đổi. Gửi lại tệp.",
                        plan.unit.name
                    );
                    return Ok(page(layout, vec![message], Vec::new(), StatusCode::CONFLICT));
                }
            };
        let before: BTreeMap<&String, Option<f64>> =
            plan.changed.iter().map(|r| (&r.key, plan.before.get(&r.key).copied())).collect();
        audit::record(
            &mut *tx,
            &user.actor(),
            Entry {
                action: "import",
                entity: "report",
                entity_id: saved.id.to_string(),
                unit_id: Some(plan.unit.id),
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&draft.values).ok(),
            },
        )
        .await?;
        summary.push(format!(
            "{} — {label}: {} giá trị (lưu dạng nháp, phiên bản {}).",
            plan.unit.name,
            plan.changed.len(),
            saved.version
        ));
    }
    tx.commit().await?;
    summary.insert(
        0,
        format!(
            "Đã nhập {} giá trị vào {} báo cáo; {} giá trị trùng với số liệu đã lưu nên không đổi.",
            plans.iter().map(|p| p.changed.len()).sum::<usize>(),
            plans.len(),
            unchanged
        ),
    );
    Ok(page(layout, Vec::new(), summary, StatusCode::OK))
}
