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
//! One file per purpose: the export ([`export`], `GET /exports/values/…`), the import page and
//! its upload ([`import_page`], `GET`/`POST /imports/values`), reading an upload whatever its
//! format ([`upload`]: the header, the limits, the rows), and the two readers it calls
//! ([`csv_reader`], [`xlsx_reader`]). Checking and saving the rows is [`super::import`]'s,
//! shared with `danvan import FILE`.

mod csv_reader;
mod export;
mod import_page;
mod upload;
mod xlsx_reader;

pub use csv_reader::detect_delimiter;
pub use export::export_values;
pub use import_page::{import_page, import_values, may_import};
pub use upload::{RawRow, Refused, parse_upload};

pub(super) use upload::Cell;

/// The template's five columns, in order, as the header names them.
pub const COLUMNS: [&str; 5] = ["unit_code", "period", "element_code", "organisation", "value"];
/// The optional sixth column: the state of the report a value comes from. Written by the export
/// on every row, ignored by the import, so a round trip still works.
pub const STATUS_COLUMN: &str = "status";
/// Bytes an upload may hold (5 MB), whether sent to the page or read by `danvan import`.
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
/// Columns read from a file: the five of the template and `status`.
const MAX_COLUMNS: usize = COLUMNS.len() + 1;

/// The header row, `status` included, as the export writes it.
fn header() -> [&'static str; MAX_COLUMNS] {
    let [a, b, c, d, e] = COLUMNS;
    [a, b, c, d, e, STATUS_COLUMN]
}
