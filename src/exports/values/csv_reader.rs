//! Reading a CSV upload: UTF-8 (with or without a byte order mark) or UTF-16 (Excel's
//! "Unicode Text"), `,` `;` or tab between fields as the header shows, streamed record by
//! record within the template's columns and [`super::MAX_DATA_ROWS`].

use super::upload::{Cell, RawRow, Refused};
use super::{COLUMNS, MAX_COLUMNS, MAX_DATA_ROWS, STATUS_COLUMN, UTF8_BOM};

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
pub(super) fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, Refused> {
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
            return Err(Refused::too_many_rows());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::values::parse_upload;

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
}
