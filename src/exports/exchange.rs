//! Import and export of values in the documented template, one value a row:
//! `unit_code, period, element_code, organisation, value` (CSV in UTF-8 or XLSX, first sheet,
//! header on line 1), optionally followed by `status`: the export writes the state of each
//! value's report there, the import ignores it. Values are written the Vietnamese way
//! (`585.160`, `46,1`) and read with the same rules as the report form.
//!
//! Uploads are bounded before any row is checked: only data-entry staff may send one (checked
//! before the body is read), at most 5 MB, 200 000 data rows and columns A–F; a workbook's parts
//! are inflated into a counter first (50 MB a part, 100 MB in all, whatever the zip declares),
//! and its first sheet is streamed cell by cell, never as a rectangle of its claimed size.
//! Parsing runs on the blocking pool, two uploads at a time.
//!
//! Checking and saving the rows is [`super::import`]'s, shared with `danvan import FILE`.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;

use super::import::{self, Author, Outcome};
use crate::auth::authz::{self, Action, Place};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::format;
use crate::replica::routing::ReadPool;
use crate::reports::workflow::Status;
use crate::units::Unit;
use crate::web::{AppState, Layout, render};

pub const COLUMNS: [&str; 5] = ["unit_code", "period", "element_code", "organisation", "value"];
/// The optional sixth column: the state of the report a value comes from. Written by the export
/// on every row, ignored by the import, so a round trip still works.
pub const STATUS_COLUMN: &str = "status";
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// The field separator of the CSV export (the import accepts `,`, `;` and tab).
pub const CSV_DELIMITER: u8 = b';';
/// The byte order mark that tells Excel a CSV is UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Data rows an import may hold: a province's year is about 100 000 values.
pub const MAX_DATA_ROWS: usize = 200_000;
/// Uncompressed size of one part of an uploaded workbook, counted while inflating it (the sizes
/// a zip declares may lie).
pub const MAX_XLSX_ENTRY_BYTES: u64 = 50 * 1024 * 1024;
/// Uncompressed size of a whole uploaded workbook, counted the same way.
pub const MAX_XLSX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;
/// Parts a workbook may hold (a plain one has about ten).
const MAX_XLSX_ENTRIES: usize = 1_000;
/// Columns read from a file: the five of the template and `status`.
const MAX_COLUMNS: usize = COLUMNS.len() + 1;

/// Only one upload is parsed at a time per core or so: each may hold tens of MB while parsed.
static PARSE_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredValue {
    unit_id: i32,
    parent_id: Option<i32>,
    path: String,
    unit_code: String,
    year: i32,
    quarter: i16,
    element_code: String,
    organisation_code: String,
    value: Decimal,
    status: String,
}

/// Whether a value of `unit` from a report in `status` goes into the caller's export.
///
/// Every row needs `ViewData` on its own unit (the report page's rule), so data-entry staff get
/// their own unit only and reviewers their own unit and the units directly below. Values of
/// reports not yet accepted go only to the people who work on those reports: the same rule
/// applied to the caller's data-entry and reviewer roles. Leaders and administrators, who read
/// drafts one report page at a time, export accepted figures only.
fn may_export(user: &CurrentUser, workflow: &CurrentUser, row: &StoredValue) -> bool {
    let place = Some(Place { id: row.unit_id, parent_id: row.parent_id, path: &row.path });
    authz::can(user, Action::ViewData, place)
        && (Status::parse(&row.status) == Status::Accepted || authz::can(workflow, Action::ViewData, place))
}

/// GET /exports/values/{unit}/{year}.csv|.xlsx: the stored values of the subtree for the year
/// that the caller may read (see [`may_export`]), each with the state of its report.
pub async fn export_values(
    State(state): State<AppState>,
    read: ReadPool,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
    Query(query): Query<super::UnitDateQuery>,
) -> AppResult<Response> {
    let (year, ext) = super::split_year(&year_text)?;
    if ext != "csv" && ext != "xlsx" {
        return Err(AppError::NotFound);
    }
    let unit = match super::unit_for_year(&state, &user, &code, year, &query.unit_date).await {
        Ok(unit) => unit,
        Err(response) => return Ok(response),
    };
    let rows: Vec<StoredValue> = sqlx::query_as(
        // Units ranked in tree order first: sorting a province's 100 000 values by their
        // units' paths took twice as long.
        "WITH u AS (SELECT id, parent_id, path, code, row_number() OVER (ORDER BY path) AS rank
                    FROM units WHERE path <@ $1::ltree)
         SELECT u.id AS unit_id, u.parent_id, u.path::text AS path, u.code AS unit_code, r.year, r.quarter,
                v.element_code, v.organisation_code, v.value, r.status
         FROM u JOIN reports r ON r.unit_id = u.id JOIN report_values v ON v.report_id = r.id
         WHERE r.year = $2
         ORDER BY u.rank, r.quarter, v.element_code COLLATE \"C\", v.organisation_code COLLATE \"C\"",
    )
    .bind(&unit.path)
    .bind(year)
    .fetch_all(read.pool())
    .await?;
    let workflow = CurrentUser {
        roles: user.roles.iter().copied().filter(|r| matches!(r, Role::DataEntry | Role::Reviewer)).collect(),
        ..user.clone()
    };
    let rows: Vec<StoredValue> = rows.into_iter().filter(|row| may_export(&user, &workflow, row)).collect();
    let name = format!("Số liệu nhập {year} - {}", unit.short_name);
    let bytes = super::blocking({
        let ext = ext.clone();
        move || if ext == "csv" { values_csv(&rows) } else { values_workbook(&rows).map_err(anyhow::Error::from) }
    })
    .await?;
    if ext == "csv" {
        Ok(super::attachment(bytes, "text/csv; charset=utf-8", &format!("{name}.csv")))
    } else {
        Ok(super::attachment(bytes, super::XLSX_TYPE, &format!("{name}.xlsx")))
    }
}

fn header() -> [&'static str; MAX_COLUMNS] {
    let [a, b, c, d, e] = COLUMNS;
    [a, b, c, d, e, STATUS_COLUMN]
}

/// The CSV as Excel writes and reads it on a Vietnamese machine: a UTF-8 byte order mark (without
/// it Excel reads the letters as Windows-1258), `;` between fields (the list separator there;
/// the decimal mark is the comma) and CRLF line ends.
fn values_csv(rows: &[StoredValue]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(CSV_DELIMITER)
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    writer.write_record(header())?;
    for row in rows {
        writer.write_record([
            row.unit_code.clone(),
            format!("{}-Q{}", row.year, row.quarter),
            row.element_code.clone(),
            row.organisation_code.clone(),
            format::format_number(row.value, 6),
            Status::parse(&row.status).label().to_owned(),
        ])?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn values_workbook(rows: &[StoredValue]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("values")?;
    let bold = Format::new().set_bold();
    for (col, title) in header().iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (col, width) in [12.0, 10.0, 28.0, 12.0, 16.0, 12.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Counts and money with thousands separators; figures with decimals with up to six.
    let integer = Format::new().set_num_format(super::xlsx::INTEGER_FORMAT);
    let decimal = Format::new().set_num_format(super::xlsx::DECIMAL_FORMAT);
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        sheet.write_string(r, 0, &row.unit_code)?;
        sheet.write_string(r, 1, format!("{}-Q{}", row.year, row.quarter))?;
        sheet.write_string(r, 2, &row.element_code)?;
        sheet.write_string(r, 3, &row.organisation_code)?;
        // XLSX numbers are doubles: exact for the 15 significant digits a figure may have.
        let number =
            if super::xlsx::figure_format(row.value) == super::xlsx::INTEGER_FORMAT { &integer } else { &decimal };
        sheet.write_number_with_format(r, 4, crate::figures::to_f64(row.value), number)?;
        sheet.write_string(r, 5, Status::parse(&row.status).label())?;
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
    status_column: &'static str,
    max_rows: String,
    /// Whether the form is offered (see [`may_import`]).
    may_import: bool,
}

impl ImportPage {
    fn new(layout: Layout, errors: Vec<String>, summary: Vec<String>) -> Self {
        ImportPage {
            layout,
            errors,
            summary,
            columns: COLUMNS,
            status_column: STATUS_COLUMN,
            max_rows: format::integer(MAX_DATA_ROWS as i64),
            may_import: true,
        }
    }
}

pub async fn import_page(layout: Layout, user: CurrentUser) -> Response {
    render(&ImportPage { may_import: may_import(&user), ..ImportPage::new(layout, Vec::new(), Vec::new()) })
}

/// Whether the user may import at all: only those who enter some unit's report (the report form
/// and the API ask the same, `EnterReport`, row by row).
pub fn may_import(user: &CurrentUser) -> bool {
    user.unit.as_ref().is_some_and(|own| authz::can(user, Action::EnterReport, Some(Place::from(own))))
}

/// One row as read from the file, with its line number.
#[derive(Debug)]
pub struct RawRow {
    pub line: usize,
    pub(super) cells: Vec<Cell>,
}

/// One cell as read: CSV cells and workbook strings are text, workbook numbers are numbers.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    /// The cell as text, trimmed; whole numbers without a decimal point.
    pub(super) fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Cell::Text(t) if t.trim().is_empty())
    }
}

/// Why an upload was refused before any row was checked: a Vietnamese message and the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Refused {
    fn format(message: impl Into<String>) -> Self {
        Refused { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into() }
    }

    fn too_large(message: impl Into<String>) -> Self {
        Refused { status: StatusCode::PAYLOAD_TOO_LARGE, message: message.into() }
    }
}

fn too_many_rows() -> Refused {
    Refused::too_large(format!(
        "Tệp vượt quá {} dòng số liệu (không kể dòng tiêu đề). Chia tệp thành nhiều tệp nhỏ hơn.",
        format::integer(MAX_DATA_ROWS as i64)
    ))
}

/// `A1`-style name of a cell (0-based row and column).
fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push((b'A' + rem) as char);
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(u64::from(row) + 1).to_string()
}

/// Reads an upload (CSV or XLSX by name or content), checks the header and every limit, and
/// returns the data rows. Blocking and CPU-bound: call it off the async threads.
pub fn parse_upload(filename: &str, bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Refused::too_large(format!("Tệp lớn hơn {} MB.", MAX_UPLOAD_BYTES / 1024 / 1024)));
    }
    let is_xlsx = filename.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04");
    let (rows, what) = if is_xlsx { (read_xlsx(bytes)?, "Excel") } else { (read_csv(bytes)?, "CSV") };
    let Some((header, data)) = rows.split_first() else {
        return Err(Refused::format("Tệp trống."));
    };
    let header_text: Vec<String> = header.cells.iter().map(|c| c.text().to_ascii_lowercase()).collect();
    let named = header_text.iter().rposition(|t| !t.is_empty()).map_or(0, |last| last + 1);
    let with_status = named == MAX_COLUMNS && header_text[COLUMNS.len()] == STATUS_COLUMN;
    if !(named == COLUMNS.len() || with_status) || header_text[..COLUMNS.len()] != COLUMNS {
        return Err(Refused::format(format!(
            "Dòng {}: tiêu đề phải là {} (có thể thêm cột {STATUS_COLUMN}).",
            header.line,
            COLUMNS.join(", ")
        )));
    }
    if !with_status && let Some(row) = data.iter().find(|r| r.cells.get(COLUMNS.len()).is_some_and(|c| !c.is_blank())) {
        // The usual cause in a CSV: a decimal comma in a file whose fields are separated by commas.
        let hint = if is_xlsx {
            ""
        } else {
            " Nếu cột value có dấu phẩy thập phân (51,95) mà các cột ngăn cách bằng dấu phẩy, đặt giá trị trong ngoặc kép (\"51,95\") hoặc ngăn cách các cột bằng dấu chấm phẩy (;)."
        };
        return Err(Refused::format(format!(
            "Tệp {what} có số liệu ngoài 5 cột A–E (dòng {}, cột F): mẫu chỉ có các cột {} và cột {STATUS_COLUMN} (không bắt buộc).{hint}",
            row.line,
            COLUMNS.join(", ")
        )));
    }
    Ok(data.iter().map(|r| RawRow { line: r.line, cells: r.cells.clone() }).collect())
}

/// The text of a CSV upload: UTF-8 with or without a byte order mark, or UTF-16 with one (what
/// Excel's "Unicode Text" writes).
fn csv_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, Refused> {
    let utf16 = |bytes: &[u8], read: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks(2).map(|pair| read([pair[0], *pair.get(1).unwrap_or(&0)])).collect();
        String::from_utf16(&units).map_err(|_| Refused::format("Tệp CSV mã UTF-16 bị hỏng."))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(std::borrow::Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(std::borrow::Cow::Owned);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    std::str::from_utf8(bytes).map(std::borrow::Cow::Borrowed).map_err(|_| {
        Refused::format(
            "Tệp CSV phải được lưu theo mã UTF-8: trong Excel chọn Lưu thành “CSV UTF-8 (Comma delimited)”.",
        )
    })
}

/// The field separator of a CSV: `,`, `;` or tab, whichever the first line (the header) holds
/// most of outside quotes; `,` when it holds none.
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(count) = counts.iter_mut().find(|(d, _)| *d == byte) {
                    count.1 += 1;
                }
            }
            _ => {}
        }
    }
    // Ties go to the first: the comma.
    counts.iter().fold((b',', 0), |best, &(d, n)| if n > best.1 { (d, n) } else { best }).0
}

/// Streams the CSV record by record; stops at the first cell beyond the allowed columns or the
/// first row beyond the cap. Reads what Excel writes: a byte order mark, CRLF, `,` `;` or tab
/// between fields, fields in double quotes with `""` for a quote inside.
fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
    let text = csv_text(bytes)?;
    let text = text.trim_start_matches('\u{FEFF}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    // Line numbers counted here: after a CRLF line end (how Excel writes them) the csv crate's
    // own count runs one behind, and the position it gives is that of the `\n` before the
    // record, so the byte at the position is counted too.
    let (mut counted_to, mut line) = (0usize, 1usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(Refused::format(format!("Không đọc được tệp CSV: {e}"))),
        }
        if let Some(start) = record.position().and_then(|p| usize::try_from(p.byte()).ok()) {
            let end = (start + 1).min(text.len());
            line += text.as_bytes()[counted_to.min(end)..end].iter().filter(|&&b| b == b'\n').count();
            counted_to = end;
        }
        if rows.len() > MAX_DATA_ROWS {
            return Err(too_many_rows());
        }
        if let Some(col) = record.iter().skip(MAX_COLUMNS).position(|c| !c.trim().is_empty()) {
            return Err(Refused::format(format!(
                "Tệp CSV có ô ngoài {MAX_COLUMNS} cột A–F (dòng {line}, cột thứ {}): mẫu chỉ có các cột {} và cột {STATUS_COLUMN} (không bắt buộc).",
                col + MAX_COLUMNS + 1,
                COLUMNS.join(", ")
            )));
        }
        rows.push(RawRow { line, cells: record.iter().take(MAX_COLUMNS).map(|c| Cell::Text(c.to_owned())).collect() });
    }
    Ok(rows)
}

/// Inflates every part of the workbook into a counter, refusing any part over
/// [`MAX_XLSX_ENTRY_BYTES`] and a whole over [`MAX_XLSX_TOTAL_BYTES`]: what calamine later
/// holds in memory (shared strings, styles) is bounded by this.
fn check_zip(bytes: &[u8]) -> Result<(), Refused> {
    use std::io::Read;
    let unreadable = |e: &dyn std::fmt::Display| Refused::format(format!("Không đọc được tệp Excel: {e}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    if archive.len() > MAX_XLSX_ENTRIES {
        return Err(Refused::too_large(format!(
            "Tệp Excel có hơn {MAX_XLSX_ENTRIES} phần; đây không phải tệp số liệu."
        )));
    }
    let mb = |n: u64| n / 1024 / 1024;
    let mut total = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name: String = entry.name().map(|n| n.chars().take(80).collect()).unwrap_or_default();
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buffer).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > MAX_XLSX_ENTRY_BYTES {
                return Err(Refused::too_large(format!(
                    "Phần “{name}” của tệp Excel giải nén vượt quá {} MB.",
                    mb(MAX_XLSX_ENTRY_BYTES)
                )));
            }
            if total > MAX_XLSX_TOTAL_BYTES {
                return Err(Refused::too_large(format!(
                    "Tệp Excel giải nén vượt quá {} MB.",
                    mb(MAX_XLSX_TOTAL_BYTES)
                )));
            }
        }
    }
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = entry.name().map(|n| n.replace('\\', "/").to_lowercase()).unwrap_or_default();
        if name.ends_with("sharedstrings.xml") {
            check_shared_strings(entry)?;
        }
    }
    Ok(())
}

/// Shared strings a workbook may declare: calamine reserves memory for `uniqueCount` before
/// reading a single string, so a tiny file claiming 10¹⁰ strings would abort the process.
const MAX_SHARED_STRINGS: usize = 2_000_000;

fn check_shared_strings(entry: impl std::io::Read) -> Result<(), Refused> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().into_inner() == "sst" => {
                for attribute in e.attributes().flatten() {
                    if attribute.key.local_name().into_inner() == "uniqueCount" {
                        let value: &str = &attribute.value;
                        let count = (value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit()))
                            .then(|| value.parse::<usize>().ok())
                            .flatten();
                        if count.is_none_or(|n| n > MAX_SHARED_STRINGS) {
                            return Err(Refused::too_large(format!(
                                "Tệp Excel khai báo hơn {} chuỗi dùng chung; tệp số liệu không cần nhiều như vậy.",
                                format::integer(MAX_SHARED_STRINGS as i64)
                            )));
                        }
                    }
                }
                return Ok(());
            }
            // Unreadable XML: calamine refuses it too.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Streams the first sheet cell by cell (never a `Range` of the claimed dimensions) and keeps
/// only cells within the allowed columns and rows.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
    check_zip(bytes)?;
    // calamine's own arithmetic on cell references (e.g. `ZZZZZZZZ1`) can overflow; where that
    // panics (debug builds, future versions), the file is refused instead of answering 500.
    std::panic::catch_unwind(|| read_sheet(bytes))
        .unwrap_or_else(|_| Err(Refused::format("Không đọc được tệp Excel: tệp hỏng hoặc không đúng định dạng .xlsx.")))
}

fn read_sheet(bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
    use calamine::{DataRef, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| Refused::format(format!("Không đọc được tệp Excel: {e}"));
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let first =
        workbook.sheet_names().first().cloned().ok_or_else(|| Refused::format("Tệp Excel không có trang tính nào."))?;
    let mut reader = workbook
        .worksheet_cells_reader(&first)
        .map_err(|e| Refused::format(format!("Không đọc được trang tính đầu tiên: {e}")))?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    while let Some(cell) =
        reader.next_cell().map_err(|e| Refused::format(format!("Không đọc được trang tính đầu tiên: {e}")))?
    {
        let (row, col) = cell.get_position();
        if col as usize >= MAX_COLUMNS {
            return Err(Refused::format(format!(
                "Tệp Excel có ô ngoài {MAX_COLUMNS} cột A–F (ô {}): mẫu chỉ có 5 cột A–E ({}) và cột F {STATUS_COLUMN} (không bắt buộc). Xoá các ô thừa rồi gửi lại.",
                cell_ref(row, col),
                COLUMNS.join(", ")
            )));
        }
        // Row 0 is the header.
        if row as usize > MAX_DATA_ROWS {
            return Err(Refused::too_large(format!(
                "Tệp Excel có ô {} ở dòng vượt quá {} dòng số liệu (không kể dòng tiêu đề). Chia tệp thành nhiều tệp nhỏ hơn.",
                cell_ref(row, col),
                format::integer(MAX_DATA_ROWS as i64)
            )));
        }
        let value = match cell.get_value() {
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Empty => continue,
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(calamine::Data::from(other.clone()).to_string()),
        };
        let cells = rows.entry(row).or_insert_with(|| vec![Cell::Text(String::new()); MAX_COLUMNS]);
        cells[col as usize] = value;
    }
    Ok(rows.into_iter().map(|(row, cells)| RawRow { line: row as usize + 1, cells }).collect())
}

/// POST /imports/values: a multipart upload (field `file`). The caller's right to import is
/// checked before the body is read; the file is parsed off the async threads within the limits
/// of [`parse_upload`].
pub async fn import_values(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    // Before the first byte of the body (the multipart stream is only read below), and before
    // even its content type is judged.
    if !may_import(&user) {
        return Err(AppError::Forbidden);
    }
    // The page with what was imported or why not: 409 and 422 are refusals (`AppError`).
    let page = |layout: Layout, errors: Vec<String>, summary: Vec<String>, status: StatusCode| {
        crate::error::page_with_status(status, render(&ImportPage::new(layout, errors, summary)))
    };
    let Ok(mut multipart) = multipart else {
        let message = "Gửi tệp bằng biểu mẫu trên trang này (multipart/form-data).".to_owned();
        return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
    };
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
                return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_owned();
        let mut field = field;
        let mut bytes = Vec::new();
        // Counted while streaming: the body limit alone would let a 12 MB file in.
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES => {
                    let message = format!("Tệp lớn hơn {} MB.", MAX_UPLOAD_BYTES / 1024 / 1024);
                    return page(layout, vec![message], Vec::new(), StatusCode::PAYLOAD_TOO_LARGE);
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => {
                    let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
                    return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
                }
            }
        }
        upload = Some((filename, bytes));
    }
    let Some((filename, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return page(layout, vec!["Chưa chọn tệp để nhập.".to_owned()], Vec::new(), StatusCode::BAD_REQUEST);
    };
    let parsed = {
        let _slot = PARSE_SLOTS.acquire().await.map_err(anyhow::Error::from)?;
        tokio::task::spawn_blocking(move || parse_upload(&filename, &bytes)).await.map_err(anyhow::Error::from)?
    };
    let data = match parsed {
        Ok(rows) => rows,
        Err(refused) => return page(layout, vec![refused.message], Vec::new(), refused.status),
    };
    let author = Author::user(&user);
    // The same rule as the report form and the API.
    let may_enter = |unit: &Unit| authz::can(&user, Action::EnterReport, Some(Place::from(unit)));
    match import::import(&state.pool, &data, may_enter, &author).await? {
        Outcome::Imported(summary) => {
            let mut lines = vec![summary.headline()];
            if !summary.problems.is_empty() {
                lines.push(format!(
                    "Số liệu đã lưu nháp nhưng {} quy tắc kiểm tra chưa đạt; sửa trên biểu mẫu báo cáo trước khi gửi:",
                    summary.problems.len()
                ));
                lines.extend(summary.problems);
            }
            lines.extend(summary.lines);
            page(layout, Vec::new(), lines, StatusCode::OK)
        }
        Outcome::Refused(mut errors) => {
            errors.insert(0, format!("Không nhập dòng nào: tệp có {} lỗi. Sửa rồi gửi lại cả tệp.", errors.len()));
            page(layout, errors, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Outcome::Changed { label, unit_name } => {
            let message = format!(
                "Không nhập dòng nào: báo cáo {label} của {unit_name} vừa được người khác thay đổi. Gửi lại tệp."
            );
            page(layout, vec![message], Vec::new(), StatusCode::CONFLICT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[RawRow]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.cells.iter().map(Cell::text).collect()).collect()
    }

    #[test]
    fn delimiters_are_read_from_the_header() {
        assert_eq!(detect_delimiter("unit_code;period;element_code;organisation;value\r\n1,5;x"), b';');
        assert_eq!(detect_delimiter("unit_code,period,element_code,organisation,value\n"), b',');
        assert_eq!(detect_delimiter("unit_code\tperiod\telement_code\torganisation\tvalue\n"), b'\t');
        assert_eq!(detect_delimiter("\"a;b\",c,d\n"), b',', "quoted separators do not count");
        assert_eq!(detect_delimiter("unit_code"), b',');
    }

    #[test]
    fn a_csv_saved_by_excel_on_a_vietnamese_machine_is_read() {
        let file = "\u{feff}unit_code;period;element_code;organisation;value\r\n\
                    30886;2023-Q1;TD_DINH_KY;;1.234\r\n\
                    30886;2023-Q1;DUONG_GTNT_KM;;51,95\r\n\
                    30886;2023-Q1;DVHV_HIEN_CO;HND;\"1.234\"\r\n";
        let rows = parse_upload("so-lieu.csv", file.as_bytes()).expect("read");
        assert_eq!(
            cells(&rows),
            vec![
                vec!["30886", "2023-Q1", "TD_DINH_KY", "", "1.234"],
                vec!["30886", "2023-Q1", "DUONG_GTNT_KM", "", "51,95"],
                vec!["30886", "2023-Q1", "DVHV_HIEN_CO", "HND", "1.234"],
            ]
        );
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4], "line numbers as Excel shows them");
        let lf = parse_upload("lf.csv", file.replace("\r\n", "\n").as_bytes()).expect("LF");
        assert_eq!(lf.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn commas_tabs_quotes_and_utf16() {
        let comma = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,DUONG_GTNT_KM,,\"46,1\"\n";
        let rows = parse_upload("a.csv", comma.as_bytes()).expect("comma");
        assert_eq!(cells(&rows)[0][4], "46,1");
        let tab =
            "unit_code\tperiod\telement_code\torganisation\tvalue\r\n30883\t2017-Q1\tGHI_CHU\t\t\"a \"\"b\"\"; c\"\r\n";
        let rows = parse_upload("a.csv", tab.as_bytes()).expect("tab");
        assert_eq!(cells(&rows)[0][4], "a \"b\"; c");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(tab.encode_utf16().flat_map(u16::to_le_bytes));
        let rows = parse_upload("unicode.txt", &utf16).expect("utf-16");
        assert_eq!(cells(&rows)[0][2], "GHI_CHU");
        // An unquoted decimal comma in a comma file: refused, and told why.
        let bad = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,DUONG_GTNT_KM,,46,1\n";
        let refused = parse_upload("a.csv", bad.as_bytes()).expect_err("a sixth column");
        assert!(refused.message.contains("ngoặc kép"), "{}", refused.message);
        let latin = b"unit_code,period,element_code,organisation,value\n30883,2017-Q1,X,,\xE0\n";
        assert!(parse_upload("a.csv", latin).expect_err("not UTF-8").message.contains("UTF-8"));
    }

    #[test]
    fn the_csv_export_opens_in_excel() {
        let row = StoredValue {
            unit_id: 1,
            parent_id: None,
            path: "1".to_owned(),
            unit_code: "30883".to_owned(),
            year: 2023,
            quarter: 1,
            element_code: "DUONG_GTNT_KM".to_owned(),
            organisation_code: String::new(),
            value: Decimal::new(5195, 2),
            status: "da_duyet".to_owned(),
        };
        let bytes = values_csv(&[row]).expect("csv");
        assert!(bytes.starts_with(UTF8_BOM), "a byte order mark");
        let text = std::str::from_utf8(&bytes[3..]).expect("utf-8");
        assert_eq!(
            text,
            "unit_code;period;element_code;organisation;value;status\r\n30883;2023-Q1;DUONG_GTNT_KM;;51,95;Đã duyệt\r\n"
        );
        // And reads back as it was written.
        let rows = parse_upload("x.csv", &bytes).expect("round trip");
        assert_eq!(cells(&rows)[0][4], "51,95");
    }
}
