//! Reading an upload whatever its format: the file is told apart (XLSX by name or content, CSV
//! otherwise), read by [`super::csv_reader`] or [`super::xlsx_reader`] within the limits, and
//! its header checked against the template. What comes out is rows of cells, not yet values:
//! [`crate::exports::import`] checks those.

use axum::http::StatusCode;

use super::{COLUMNS, MAX_COLUMNS, MAX_DATA_ROWS, MAX_UPLOAD_BYTES, STATUS_COLUMN, csv_reader, xlsx_reader};
use crate::format;

/// One row as read from the file, with its line number (1-based, as Excel shows it).
#[derive(Debug)]
pub struct RawRow {
    pub line: usize,
    pub(in crate::exports) cells: Vec<Cell>,
}

/// One cell as read: CSV cells and workbook strings are text, workbook numbers are numbers.
#[derive(Debug, Clone)]
pub(in crate::exports) enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    /// The cell as text, trimmed; whole numbers without a decimal point.
    pub(in crate::exports) fn text(&self) -> String {
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

/// Why an upload was refused before any row was checked: a Vietnamese message and the status
/// (422 for a file that is not in the template, 413 for one over a limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Refused {
    /// 422: the file is not in the template or cannot be read.
    pub(super) fn format(message: impl Into<String>) -> Self {
        Refused { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into() }
    }

    /// 413: the file is over one of the limits.
    pub(super) fn too_large(message: impl Into<String>) -> Self {
        Refused { status: StatusCode::PAYLOAD_TOO_LARGE, message: message.into() }
    }

    /// 413: more than [`MAX_DATA_ROWS`] data rows.
    pub(super) fn too_many_rows() -> Self {
        Refused::too_large(format!(
            "Tệp vượt quá {} dòng số liệu (không kể dòng tiêu đề). Chia tệp thành nhiều tệp nhỏ hơn.",
            format::integer(MAX_DATA_ROWS as i64)
        ))
    }
}

/// Reads an upload (CSV or XLSX by name or content), checks the header and every limit, and
/// returns the data rows. Blocking and CPU-bound: call it off the async threads.
pub fn parse_upload(filename: &str, bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Refused::too_large(format!("Tệp lớn hơn {} MB.", MAX_UPLOAD_BYTES / 1024 / 1024)));
    }
    let is_xlsx = filename.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04");
    let (rows, what) =
        if is_xlsx { (xlsx_reader::read_xlsx(bytes)?, "Excel") } else { (csv_reader::read_csv(bytes)?, "CSV") };
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
