//! Random uploads for [`crate::exports::values::parse_upload`]: CSV files and workbooks, mostly
//! well formed so that most reach the rows, sometimes hostile (far or malformed references, past
//! the row cap, parts missing, repeated or oversized, the finished bytes mutated).

use std::io::Write;

use rand::Rng;
use rand::rngs::StdRng;

use super::inputs::{mutate, pick, random_text};
use crate::exports::values::{MAX_DATA_ROWS, MAX_XLSX_ENTRY_BYTES};

const HEADER: &str = "unit_code,period,element_code,organisation,value";

pub(super) fn csv_input(rng: &mut StdRng) -> Vec<u8> {
    if rng.random_bool(0.05) {
        return (0..rng.random_range(0..512)).map(|_| rng.random()).collect();
    }
    let mut out = String::new();
    if rng.random_bool(0.2) {
        out.push('\u{FEFF}');
    }
    match rng.random_range(0..4) {
        0 => out.push_str(HEADER),
        1 => out.push_str(&format!("{HEADER},status")),
        2 => out.push_str(&format!("{HEADER},status,{}", random_text(rng))),
        _ => out.push_str(&random_text(rng)),
    }
    out.push('\n');
    // Now and then a file at the row cap, to time the limit itself.
    let rows = if rng.random_bool(0.002) { MAX_DATA_ROWS + rng.random_range(0..3) } else { rng.random_range(0..60) };
    for _ in 0..rows {
        let columns = if rng.random_bool(0.95) { rng.random_range(4..6) } else { rng.random_range(0..40) };
        let cells: Vec<String> = (0..columns)
            .map(|_| {
                let text = random_text(rng);
                if rng.random_bool(0.2) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
            })
            .collect();
        out.push_str(&cells.join(if rng.random_bool(0.95) { "," } else { ";" }));
        out.push_str(if rng.random_bool(0.9) { "\n" } else { "\r\n" });
    }
    let mut bytes = out.into_bytes();
    if rng.random_bool(0.2) {
        mutate(rng, &mut bytes);
    }
    bytes
}

fn column_name(col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        letters.push((b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A cell reference: in a hostile sheet sometimes far, malformed or past the row cap.
fn cell_ref(rng: &mut StdRng, row: u32, hostile: bool) -> Option<String> {
    Some(match rng.random_range(if hostile { 0 } else { 5 }..20) {
        0 => return None,
        1 => "XFD1048576".to_owned(),
        2 => format!("{}{}", column_name(rng.random_range(0..16_384)), rng.random_range(1..=1_048_576u32)),
        3 => (*pick(rng, &["A0", "1A", "", "A", "ZZZZZZZZ1", "A99999999999999", "A-1", "a1", "$A$1", "A1:B2"]))
            .to_owned(),
        4 => format!("A{}", MAX_DATA_ROWS as u32 + rng.random_range(0..4)),
        // Column F only now and then: it needs the `status` header.
        _ => {
            let columns = if rng.random_bool(0.05) { 6 } else { 5 };
            format!("{}{}", column_name(rng.random_range(0..columns)), row + 1)
        }
    })
}

/// Text for XML, escaped by askama's escaper (the one the DOCX templates use).
fn xml_escape(text: &str) -> String {
    let Ok(escaped) = askama::filters::escape(text, askama::filters::Html);
    escaped.to_string()
}

/// Text for an XML part: now and then something XML forbids (the whole part is then refused),
/// mostly text that is legal XML, so most workbooks reach the cells.
fn xml_text(rng: &mut StdRng) -> String {
    if rng.random_bool(0.003) {
        return match rng.random_range(0..2) {
            0 => (*pick(rng, &["&#x0;", "&#1114112;", "&bogus;", "<b>x</b>", "]]>", "\u{1}"])).to_owned(),
            _ => xml_escape(&random_text(rng)),
        };
    }
    let text: String = random_text(rng)
        .chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect();
    if rng.random_bool(0.05) { format!("{}&amp;&#65;", xml_escape(&text)) } else { xml_escape(&text) }
}

fn sheet_xml(rng: &mut StdRng, strings: usize) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    if rng.random_bool(0.3) {
        out.push_str(&format!(r#"<dimension ref="A1:{}"/>"#, cell_ref(rng, 0, true).unwrap_or_default()));
    }
    out.push_str("<sheetData>");
    let hostile = rng.random_bool(0.3);
    let header: Vec<&str> = match rng.random_range(0..10) {
        0..=6 => HEADER.split(',').collect(),
        7 | 8 => HEADER.split(',').chain(["status"]).collect(),
        _ => vec!["unit_code", "x", "status"],
    };
    out.push_str(r#"<row r="1">"#);
    for (col, title) in header.iter().enumerate() {
        out.push_str(&format!(r#"<c r="{}1" t="inlineStr"><is><t>{title}</t></is></c>"#, column_name(col as u32)));
    }
    out.push_str("</row>");
    let rows = rng.random_range(0..40u32);
    for row in 1..=rows {
        match rng.random_range(0..10) {
            0 => out.push_str("<row>"),
            1 => out.push_str(&format!(r#"<row r="{}">"#, rng.random::<u32>())),
            _ => out.push_str(&format!(r#"<row r="{}">"#, row + 1)),
        }
        for _ in 0..rng.random_range(0..8) {
            let r = cell_ref(rng, row, hostile).map(|r| format!(r#" r="{r}""#)).unwrap_or_default();
            let style =
                if rng.random_bool(0.3) { format!(r#" s="{}""#, rng.random_range(0..5)) } else { String::new() };
            let cell = match rng.random_range(0..9) {
                0 => {
                    let index = if hostile {
                        rng.random_range(0..strings.max(1) * 2 + 2)
                    } else {
                        rng.random_range(0..strings.max(1))
                    };
                    format!(r#"<c{r}{style} t="s"><v>{index}</v></c>"#)
                }
                1 => format!(r#"<c{r}{style} t="inlineStr"><is><t>{}</t></is></c>"#, xml_text(rng)),
                2 => format!(r#"<c{r}{style} t="b"><v>{}</v></c>"#, rng.random_range(0..if hostile { 3 } else { 2 })),
                3 => format!(r#"<c{r}{style} t="e"><v>#DIV/0!</v></c>"#),
                4 => format!(r#"<c{r}{style} t="str"><f>A1+1</f><v>{}</v></c>"#, xml_text(rng)),
                5 => {
                    let date = if hostile {
                        xml_text(rng)
                    } else {
                        (*pick(rng, &["2020-01-31", "2020-12-31T10:00:00", "1900-02-29"])).to_owned()
                    };
                    format!(r#"<c{r}{style} t="d"><v>{date}</v></c>"#)
                }
                6 => format!(r#"<c{r}{style}/>"#),
                7 => format!(r#"<c{r}{style}><v>{}</v></c>"#, xml_text(rng)),
                _ => format!(r#"<c{r}{style}><v>{}</v></c>"#, rng.random::<f64>() * 1e6),
            };
            out.push_str(&cell);
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData></worksheet>");
    out
}

fn shared_strings_xml(rng: &mut StdRng, count: usize) -> String {
    let unique = match rng.random_range(0..40) {
        0 => rng.random::<u64>().to_string(),
        1 => "-1".to_owned(),
        2 => "x".to_owned(),
        _ => count.to_string(),
    };
    let mut out = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{unique}">"#
    );
    for _ in 0..count {
        match rng.random_range(0..6) {
            0 => out.push_str(&format!(
                "<si><r><rPr><b/></rPr><t>{}</t></r><r><t>{}</t></r></si>",
                xml_text(rng),
                xml_text(rng)
            )),
            1 => out.push_str("<si/>"),
            2 => out.push_str(&format!(
                r#"<si><t xml:space="preserve"> {} </t><rPh><t>ruby</t></rPh></si>"#,
                xml_text(rng)
            )),
            _ => out.push_str(&format!("<si><t>{}</t></si>", xml_text(rng))),
        }
    }
    out.push_str("</sst>");
    out
}

fn styles_xml(rng: &mut StdRng) -> String {
    let formats =
        ["0.00", "yyyy-mm-dd", "[h]:mm:ss", "#,##0", "@", "dd/mm/yyyy hh:mm", "\"x\"0;[Red]-0", "[$-409]mmmm", ";;;"];
    let mut out =
        String::from(r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>"#);
    for (i, code) in formats.iter().enumerate() {
        out.push_str(&format!(r#"<numFmt numFmtId="{}" formatCode="{}"/>"#, 164 + i, xml_escape(code)));
    }
    out.push_str("</numFmts><cellXfs>");
    for _ in 0..5 {
        let id =
            if rng.random_bool(0.5) { rng.random_range(0..50) } else { 164 + rng.random_range(0..formats.len() + 2) };
        out.push_str(&format!(r#"<xf numFmtId="{id}" applyNumberFormat="1"/>"#));
    }
    out.push_str("</cellXfs></styleSheet>");
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="values" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// A workbook that is mostly well formed: the usual parts with random cells, references, shared
/// strings and styles; sometimes a part missing, repeated, stored or oversized, sometimes the
/// finished bytes mutated.
pub(super) fn xlsx_input(rng: &mut StdRng) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let strings = rng.random_range(1..30);
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), CONTENT_TYPES.into()),
        ("_rels/.rels".into(), ROOT_RELS.into()),
        ("xl/workbook.xml".into(), WORKBOOK.into()),
        ("xl/_rels/workbook.xml.rels".into(), WORKBOOK_RELS.into()),
        ("xl/worksheets/sheet1.xml".into(), sheet_xml(rng, strings).into_bytes()),
    ];
    if rng.random_bool(0.97) {
        parts.push(("xl/sharedStrings.xml".into(), shared_strings_xml(rng, strings).into_bytes()));
    }
    if rng.random_bool(0.5) {
        parts.push(("xl/styles.xml".into(), styles_xml(rng).into_bytes()));
    }
    if rng.random_bool(0.02) {
        // Highly compressible and over the per-part limit.
        let size = MAX_XLSX_ENTRY_BYTES as usize + rng.random_range(1..1024);
        parts.push(("xl/sharedStrings.xml".into(), vec![b'A'; size]));
    }
    if rng.random_bool(0.1) {
        let at = rng.random_range(0..parts.len());
        if rng.random_bool(0.5) {
            parts.remove(at);
        } else {
            let mut bytes = parts[at].1.clone();
            mutate(rng, &mut bytes);
            parts[at].1 = bytes;
        }
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in &parts {
        let method =
            if rng.random_bool(0.8) { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        let options = SimpleFileOptions::default().compression_method(method).large_file(bytes.len() > 1 << 30);
        if zip.start_file(name.as_str(), options).is_err() || zip.write_all(bytes).is_err() {
            // A repeated name: the zip writer refuses it; keep going without it.
            continue;
        }
    }
    let mut bytes = zip.finish().map(|c| c.into_inner()).unwrap_or_default();
    if rng.random_bool(0.15) {
        mutate(rng, &mut bytes);
    }
    bytes
}
