//! Reading an XLSX upload: every part of the workbook inflated into a counter first (a zip's
//! declared sizes may lie), the shared strings' declared count bounded, then the first sheet
//! streamed cell by cell within the template's columns and [`super::MAX_DATA_ROWS`] — never a
//! rectangle of the sheet's claimed size.

use std::collections::BTreeMap;

use super::upload::{Cell, RawRow, Refused};
use super::{COLUMNS, MAX_COLUMNS, MAX_DATA_ROWS, MAX_XLSX_ENTRY_BYTES, MAX_XLSX_TOTAL_BYTES, STATUS_COLUMN};
use crate::format;

/// Parts a workbook may hold (a plain one has about ten).
const MAX_XLSX_ENTRIES: usize = 1_000;

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
pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
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
