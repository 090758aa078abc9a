//! Random-input loops over the parsers that read what users send: the CSV and XLSX importer
//! ([`super::values::parse_upload`]), the Vietnamese number parser and the directive-number
//! parser. cargo-fuzz needs a nightly toolchain; these loops run on stable.
//!
//! Run through `scripts/fuzz [seconds]`, or directly:
//! `DANVAN_FUZZ_SECONDS=60 cargo test --release --lib fuzz -- --ignored --nocapture`.
//! Every target gets an equal share of the time. A crash is a panic or a single input that takes
//! longer than [`SLOW`]; the input is written to `target/fuzz-crashes/` and the run fails.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::directives::number::{DirectiveNumber, ISSUERS, KINDS};
use crate::format::{NumberKind, NumberRules, parse_quantity, parse_vietnamese_number};
use crate::reports::Period;

use super::values::parse_upload;

/// One input taking longer than this is a failure (an upload at the limits parses in well
/// under a second in a release build).
const SLOW: Duration = Duration::from_secs(5);
/// A watchdog ends the whole run if one input takes longer than this (a hang cannot be caught).
const HANG: Duration = Duration::from_secs(60);

struct Outcome {
    tried: u64,
    crashes: u64,
}

/// Runs `check` on inputs from `generate` until `budget` is spent.
fn run(
    name: &str,
    budget: Duration,
    rng: &mut StdRng,
    generate: impl Fn(&mut StdRng) -> Vec<u8>,
    check: impl Fn(&[u8]) -> bool,
) -> Outcome {
    let deadline = Instant::now() + budget;
    let (mut tried, mut crashes, mut accepted) = (0u64, 0u64, 0u64);
    // The watchdog sees when the current input started (ms since `epoch`, 0: idle).
    let epoch = Instant::now();
    let started = Arc::new(AtomicU64::new(0));
    let current: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (started, current, done, name) = (started.clone(), current.clone(), done.clone(), name.to_owned());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let at = started.load(Ordering::Relaxed);
                if at != 0 && epoch.elapsed().as_millis() as u64 > at + HANG.as_millis() as u64 {
                    let input = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save(&name, "hang", &input);
                    eprintln!("{name}: an input has been running for over {HANG:?}; saved to {path}");
                    println!("{name}: crashes: 1 (hang)");
                    std::process::exit(2);
                }
            }
        })
    };
    while Instant::now() < deadline {
        let input = generate(rng);
        if let Ok(mut slot) = current.lock() {
            slot.clone_from(&input);
        }
        started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let begun = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let took = begun.elapsed();
        started.store(0, Ordering::Relaxed);
        tried += 1;
        let failure = match result {
            Err(payload) => Some(format!(
                "panic: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            )),
            Ok(_) if took > SLOW => Some(format!("slow: {took:?} for {} bytes", input.len())),
            Ok(ok) => {
                accepted += u64::from(ok);
                None
            }
        };
        if let Some(failure) = failure {
            crashes += 1;
            let path = save(name, &crashes.to_string(), &input);
            eprintln!("{name}: {failure}; input saved to {path}");
        }
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().ok();
    println!("{name}: inputs tried: {tried}, crashes: {crashes} ({accepted} parsed without error)");
    Outcome { tried, crashes }
}

fn save(name: &str, tag: &str, input: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join(format!("{name}-{tag}.bin"));
    std::fs::write(&path, input).ok();
    path.display().to_string()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Random bytes, insertions, deletions and overwrites on `data`.
fn mutate(rng: &mut StdRng, data: &mut Vec<u8>) {
    for _ in 0..rng.random_range(1..8) {
        if data.is_empty() {
            data.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..data.len());
        match rng.random_range(0..5) {
            0 => data[at] = rng.random(),
            1 => data.insert(at, rng.random()),
            2 => {
                data.remove(at);
            }
            3 => data.truncate(at),
            _ => {
                // Copy a slice elsewhere (repeats structure).
                let end = (at + rng.random_range(1..64)).min(data.len());
                let piece = data[at..end].to_vec();
                let to = rng.random_range(0..data.len());
                data.splice(to..to, piece);
            }
        }
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    "30883",
    "905",
    "91",
    "2020-Q1",
    "2022-Q4",
    "2020-Q5",
    "2020",
    "-Q1",
    "99999999999-Q1",
    "DVHV_HIEN_CO",
    "TD_DINH_KY",
    "HND",
    "MTTQ",
    "585.160",
    "46,1",
    "1.000.000,5",
    "-0",
    "1e308",
    "NaN",
    "∞",
    "١٢٣",
    "Đã duyệt",
    "Nháp",
    "status",
    "value",
    "unit_code",
    "\"",
    "\"\"",
    "a\"b",
    "\r\n",
    "\n",
    "\u{FEFF}",
    "\u{0}",
    "ﬀ",
    "𝟙𝟚",
];

fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0..=2 => (*pick(rng, TEXTS)).to_owned(),
        3 => (0..rng.random_range(0..12)).map(|_| rng.random_range(' '..='~')).collect(),
        4 => (0..rng.random_range(0..6)).map(|_| rng.random::<char>()).collect(),
        _ => pick(rng, TEXTS).repeat(rng.random_range(0..200)),
    }
}

const HEADER: &str = "unit_code,period,element_code,organisation,value";

fn csv_input(rng: &mut StdRng) -> Vec<u8> {
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
    let rows = if rng.random_bool(0.002) {
        super::values::MAX_DATA_ROWS + rng.random_range(0..3)
    } else {
        rng.random_range(0..60)
    };
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
        4 => format!("A{}", super::values::MAX_DATA_ROWS as u32 + rng.random_range(0..4)),
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
fn xlsx_input(rng: &mut StdRng) -> Vec<u8> {
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
        let size = super::values::MAX_XLSX_ENTRY_BYTES as usize + rng.random_range(1..1024);
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

fn number_input(rng: &mut StdRng) -> Vec<u8> {
    let pieces =
        ["1", "0", "9", ".", ",", "-", "+", " ", "\u{a0}", "e", "E", "%", "000", "1.000", "123,45", "٫", "x", "∞"];
    let text: String = match rng.random_range(0..4) {
        0 => random_text(rng),
        1 => (0..rng.random_range(0..400)).map(|_| *pick(rng, &pieces)).collect(),
        _ => (0..rng.random_range(0..24)).map(|_| *pick(rng, &pieces)).collect(),
    };
    text.into_bytes()
}

fn directive_input(rng: &mut StdRng) -> Vec<u8> {
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let issuers: Vec<&str> = ISSUERS.iter().map(|(k, _)| *k).collect();
    let text = match rng.random_range(0..5) {
        0 => random_text(rng),
        1 => format!("{}-{}/{}", rng.random::<u64>(), pick(rng, &kinds), pick(rng, &issuers)),
        2 => format!(
            "{}{}-{}{}/{} ",
            " ".repeat(rng.random_range(0..3)),
            rng.random_range(0..100),
            pick(rng, &["QD", "qd", "QDi", "nq", "ĐU", "du"]),
            pick(rng, &["", " ", "\t"]),
            pick(rng, &["du", "Du", "ĐU", "tw", "X", ""])
        ),
        _ => {
            let mut bytes =
                format!("{}-{}/{}", rng.random_range(0..100), pick(rng, &kinds), pick(rng, &issuers)).into_bytes();
            mutate(rng, &mut bytes);
            return bytes;
        }
    };
    text.into_bytes()
}

#[test]
#[ignore = "long: run through scripts/fuzz"]
fn fuzz() {
    let seconds: u64 = std::env::var("DANVAN_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    let seed: u64 = std::env::var("DANVAN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("fuzz: {seconds} s, seed {seed}");
    // Panics are counted and reported below, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let share = Duration::from_secs(seconds) / 4;
    let mut rng = StdRng::seed_from_u64(seed);
    let rules = [
        NumberRules::count(),
        NumberRules { kind: NumberKind::Decimal, allow_negative: true, max_decimals: Some(2) },
        NumberRules { kind: NumberKind::Decimal, allow_negative: false, max_decimals: None },
    ];
    let outcomes = [
        run("csv", share, &mut rng, csv_input, |bytes| parse_upload("so-lieu.csv", bytes).is_ok()),
        run("xlsx", share, &mut rng, xlsx_input, |bytes| parse_upload("so-lieu.xlsx", bytes).is_ok()),
        run("vietnamese-number", share, &mut rng, number_input, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let mut ok = false;
            for rules in &rules {
                if let Ok(Some(value)) = parse_vietnamese_number(&text, rules) {
                    let _ = crate::format::format_number(value, 6);
                    ok = true;
                }
                let _ = parse_quantity(&text, rules);
            }
            let _ = text.parse::<Period>();
            ok
        }),
        run("directive-number", share, &mut rng, directive_input, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            match text.parse::<DirectiveNumber>() {
                Ok(number) => number.to_string().parse::<DirectiveNumber>().is_ok(),
                Err(_) => false,
            }
        }),
    ];
    let _ = std::panic::take_hook();
    let tried: u64 = outcomes.iter().map(|o| o.tried).sum();
    let crashes: u64 = outcomes.iter().map(|o| o.crashes).sum();
    println!("total: inputs tried: {tried}, crashes: {crashes} (seed {seed})");
    assert_eq!(crashes, 0, "crashing inputs are in target/fuzz-crashes/");
}
