//! Exports: the annual report as DOCX (Party format, footnotes, Vietnamese figures) and XLSX
//! (numeric cells), the preview, the narrative, import/export of values, permissions.

use std::io::Read;

use crate::common::{self, Page, TestApp};

/// The text of a part of an OOXML package, tags stripped.
fn part_text(bytes: &[u8], name: &str) -> Option<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut file = archive.by_name(name).ok()?;
    let mut xml = String::new();
    file.read_to_string(&mut xml).expect("utf-8 part");
    let mut text = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some((xml, text.replace("&amp;", "&")))
}

async fn download(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let response = client.get(app.url(path)).send().await.expect("GET");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.bytes().await.expect("body").to_vec(), headers)
}

#[tokio::test]
async fn the_annual_docx_follows_the_party_format_and_carries_the_figures() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (status, bytes, headers) = download(&client, &app, "/exports/annual/91/2020.docx?date=2020-12-15").await;
    assert_eq!(status, 200);
    let disposition = headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");

    let (xml, text) = part_text(&bytes, "word/document.xml").expect("document.xml");
    let (foot_xml, foot) = part_text(&bytes, "word/footnotes.xml").expect("footnotes.xml");
    for needle in
        ["ĐẢNG CỘNG SẢN VIỆT NAM", "TỈNH ỦY KIÊN GIANG", "BAN DÂN VẬN", "BÁO CÁO", "Nơi nhận:", "T/M BAN THƯỜNG VỤ"]
    {
        assert!(text.contains(needle), "document lacks {needle}");
    }
    assert!(text.contains("Số      -BC/BDVTU"), "number left blank for the office");
    assert!(text.contains("Kiên Giang, ngày 15 tháng 12 năm 2020"), "place-and-date line");
    assert!(
        xml.contains("<w:i/><w:iCs/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr><w:t xml:space=\"preserve\">Kiên Giang, ngày 15"),
        "the date line is italic 14 pt"
    );
    assert!(text.contains("tổng kết công tác dân vận năm 2020 và chương trình công tác năm 2021"));
    // The membership sentence in the body, with the change in percentage points.
    assert!(text.contains("585.160 đoàn viên, hội viên"), "members");
    assert!(text.contains("chiếm 51,95% so với đối tượng"), "rate");
    assert!(text.contains("điểm phần trăm so với cuối năm 2019"), "change stated in percentage points");
    assert!(text.contains("60.948"), "new members");
    // Footnotes: real Word footnotes carrying the figures.
    assert!(xml.contains("<w:footnoteReference w:id=\"1\"/>"));
    assert!(foot_xml.contains("<w:footnoteRef/>"));
    assert!(foot.contains("340/436 đơn khiếu nại, tố cáo, đạt 77,98%"), "{foot}");
    assert!(foot.contains("81/117 xã (69,23%)"), "{foot}");
    assert!(foot.contains("cấp huyện tiếp định kỳ 67 cuộc"), "{foot}");
    assert!(foot.contains("101.325 suất quà tết") && foot.contains("trị giá 39,48 tỷ đồng"), "{foot}");
    // Supervision: the total is the sum of its parts (the seed's 143 was a slip).
    assert!(
        foot.contains("129 cuộc giám sát (trong đó cấp tỉnh 11 cuộc, cấp huyện 36 cuộc, cấp xã 32 cuộc, Ban Thanh tra nhân dân 17 cuộc, Ban giám sát đầu tư của cộng đồng 33 cuộc)"),
        "{foot}"
    );
    // Next year's target from the directives.
    assert!(text.contains("phấn đấu đạt 54% trở lên so với đối tượng"), "2021 target");
    // Font, page size and margins.
    let (styles, _) = part_text(&bytes, "word/styles.xml").expect("styles.xml");
    assert!(styles.contains("w:ascii=\"Times New Roman\""));
    assert!(xml.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), "A4");
    assert!(xml.contains("<w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\""), "margins");
    let (footer, _) = part_text(&bytes, "word/footer1.xml").expect("footer");
    assert!(footer.contains(" PAGE "), "page numbers");
}

#[tokio::test]
async fn the_annual_xlsx_holds_numeric_cells_equal_to_the_database() {
    use calamine::{Data, Reader, Xlsx};
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (status, bytes, _) = download(&client, &app, "/exports/annual/91/2020.xlsx").await;
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let names = workbook.sheet_names().to_vec();
    assert_eq!(names, vec!["Chỉ số theo đơn vị".to_owned(), "Số liệu gốc".to_owned()]);
    let sheet = workbook.worksheet_range(&names[0]).expect("sheet 1");
    let header: Vec<String> = sheet.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    let col = header.iter().position(|h| h == "Tỷ lệ đoàn viên, hội viên so với đối tượng").expect("TL_DVHV column");
    let total = sheet.rows().find(|r| r[1].to_string().starts_with("Tổng ")).expect("total row");
    match &total[col] {
        Data::Float(v) => assert!((v - 0.5195).abs() < 0.0001, "a rate is stored as its ratio: {v}"),
        other => panic!("not numeric: {other:?}"),
    }
    // 2021 has a membership target (≥ 54%) to measure against: words as well as colour.
    let (_, bytes_2021, _) = download(&client, &app, "/exports/annual/91/2021.xlsx").await;
    let mut book_2021: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes_2021)).expect("xlsx");
    let first = book_2021.worksheet_range("Chỉ số theo đơn vị").expect("sheet 1 of 2021");
    let status_row = first.rows().find(|r| r[1] == "Đánh giá").expect("attainment row");
    assert_eq!(status_row[col].to_string(), "Nguy cơ", "52,75% against ≥ 54%");

    let raw = workbook.worksheet_range(&names[1]).expect("sheet 2");
    let on = chrono::NaiveDate::from_ymd_opt(2020, 12, 31).expect("date");
    let province = danvan::units::queries::resolve(&app.pool, "91", on).await.expect("query").expect("unit 91");
    let stored: f64 = sqlx::query_scalar(
        "SELECT sum(v.value)::float8 FROM reports r JOIN units u ON u.id = r.unit_id JOIN report_values v ON v.report_id = r.id
         WHERE u.path <@ $1::ltree AND r.year = 2020 AND r.status = 'da_duyet' AND v.element_code = 'QUA_TET_SUAT'",
    )
    .bind(&province.path)
    .fetch_one(&app.pool)
    .await
    .expect("sum");
    let sheet_sum: f64 = raw
        .rows()
        .skip(1)
        .filter(|r| r[3] == "QUA_TET_SUAT")
        .map(|r| match &r[6] {
            Data::Float(v) => *v,
            other => panic!("value not numeric: {other:?}"),
        })
        .sum();
    assert_eq!(sheet_sum, stored);
    assert_eq!(stored, 101_325.0);
}

#[tokio::test]
async fn a_commune_cannot_download_the_province_report() {
    let app = TestApp::spawn_with_demo().await;
    let commune = app.user("xa.thu", "30883").role("nhap_lieu").create().await;
    let _ = commune;
    let client = app.client_for("xa.thu").await;
    for path in ["/exports/annual/91/2020.docx", "/exports/annual/91/2020.xlsx", "/exports/annual/91/2020"] {
        let (status, _, _) = download(&client, &app, path).await;
        assert_eq!(status, 403, "{path}");
    }
}

/// With LibreOffice installed, the DOCX converts to a PDF of a sane length.
#[tokio::test]
async fn the_annual_docx_converts_to_a_sane_pdf() {
    let Ok(soffice) = which("soffice") else {
        println!("soffice absent: PDF conversion not checked");
        return;
    };
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (status, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx?date=2020-12-15").await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let docx = dir.path().join("bao-cao.docx");
    std::fs::write(&docx, &bytes).expect("write docx");
    let output = std::process::Command::new(soffice)
        .env("HOME", dir.path())
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&docx)
        .output()
        .expect("run soffice");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pdf = std::fs::read(dir.path().join("bao-cao.pdf")).expect("pdf written");
    if let Ok(keep) = std::env::var("DANVAN_KEEP_PDF") {
        std::fs::write(keep, &pdf).ok();
    }
    // pdfinfo when present (object streams may hide the page objects), else count them.
    let pages = match which("pdfinfo").ok().and_then(|pdfinfo| {
        let out = std::process::Command::new(pdfinfo).arg(dir.path().join("bao-cao.pdf")).output().ok()?;
        let info = String::from_utf8_lossy(&out.stdout).into_owned();
        info.lines().find_map(|l| l.strip_prefix("Pages:").and_then(|n| n.trim().parse::<usize>().ok()))
    }) {
        Some(pages) => pages,
        None => {
            let text = String::from_utf8_lossy(&pdf);
            text.matches("/Type /Page").count().saturating_sub(text.matches("/Type /Pages").count())
        }
    };
    assert!((2..=30).contains(&pages), "{pages} pages");
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file()).ok_or(())
}

async fn report_state(app: &TestApp) -> Vec<(i32, i32, String, danvan::figures::Decimal)> {
    sqlx::query_as(
        "SELECT r.id, r.version, v.element_code || '.' || v.organisation_code, v.value
         FROM reports r JOIN report_values v ON v.report_id = r.id ORDER BY 1, 3",
    )
    .fetch_all(&app.pool)
    .await
    .expect("state")
}

#[tokio::test]
async fn an_import_with_one_bad_row_is_refused_with_its_line_and_changes_nothing() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let before = report_state(&app).await;
    let csv = "unit_code,period,element_code,organisation,value\n\
               30883,2017-Q1,TD_DINH_KY,,12\n\
               30883,2017-Q1,KHAU_TRANG_DA_MAY,,245.00\n\
               30883,2017-Q1,DVHV_HIEN_CO,XYZ,1.000\n";
    let (status, page) = app.upload_values(&client, "so-lieu.csv", csv.as_bytes()).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Dòng 3: giá trị “245.00” không hợp lệ"), "{page}");
    assert!(page.contains("Dòng 4:"), "{page}");
    assert!(!page.contains("Dòng 2:"), "the good row is not an error");
    assert_eq!(report_state(&app).await, before, "nothing imported");

    // The same file without the bad rows lands as a draft.
    let good = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,TD_DINH_KY,,12\n";
    let (status, page) = app.upload_values(&client, "so-lieu.csv", good.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    let (state, value): (String, danvan::figures::Decimal) = app
        .row(
            "SELECT r.status, v.value FROM reports r JOIN units u ON u.id = r.unit_id
         JOIN report_values v ON v.report_id = r.id
         WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1 AND v.element_code = 'TD_DINH_KY'",
        )
        .await;
    assert_eq!((state.as_str(), value), ("nhap", danvan::figures::Decimal::from(12)));
    // Another commune's data is refused.
    let other = "unit_code,period,element_code,organisation,value\n30886,2017-Q1,TD_DINH_KY,,3\n";
    let (status, page) = app.upload_values(&client, "khac.csv", other.as_bytes()).await;
    assert_eq!(status, 422);
    assert!(page.contains("Dòng 2:"), "{page}");
}

#[tokio::test]
async fn exporting_then_importing_the_same_file_changes_nothing() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let before = report_state(&app).await;
    for ext in ["csv", "xlsx"] {
        let (status, bytes, _) = download(&client, &app, &format!("/exports/values/30883/2020.{ext}")).await;
        assert_eq!(status, 200);
        if ext == "csv" {
            let text = String::from_utf8(bytes.clone()).expect("utf-8");
            assert!(text.starts_with("\u{feff}unit_code;period;element_code;organisation;value;status\r\n"), "{text}");
            assert!(text.lines().count() > 10);
        }
        let (status, page) = app.upload_values(&client, &format!("so-lieu.{ext}"), &bytes).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Đã nhập 0 giá trị vào 0 báo cáo"), "{page}");
        assert_eq!(report_state(&app).await, before, "round trip through {ext} changed nothing");
    }
}

#[tokio::test]
async fn the_office_edits_the_annual_narrative_with_optimistic_locking() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let form = [
        ("version", "0"),
        ("ket_qua", "Năm 2020, công tác dân vận đạt nhiều kết quả."),
        ("han_che", "Còn hạn chế."),
        ("signer_name", "Mai Văn Huỳnh"),
    ];
    let response = client.post(app.url("/exports/annual/91/2020/narrative")).form(&form).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    // A second save from the same stale version is refused.
    let response = client.post(app.url("/exports/annual/91/2020/narrative")).form(&form).send().await.expect("POST");
    assert_eq!(response.status(), 409);
    let version: i32 = app.scalar("SELECT version FROM annual_narratives").await;
    assert_eq!(version, 1, "the stale save was refused");
    let audited: i64 = app.scalar("SELECT count(*) FROM audit_log WHERE entity = 'annual_narrative'").await;
    assert_eq!(audited, 1);
    let (status, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    assert_eq!(status, 200);
    let (_, text) = part_text(&bytes, "word/document.xml").expect("document");
    assert!(text.contains("Năm 2020, công tác dân vận đạt nhiều kết quả.") && text.contains("Mai Văn Huỳnh"));
    let (status, page) = common::text(client.get(app.url("/exports/annual/91/2020")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("/dashboards/91/drill?period=2020&#38;key=DVHV_HIEN_CO")
            || page.contains("/dashboards/91/drill?period=2020&amp;key=DVHV_HIEN_CO"),
        "figures link to their drill-down"
    );
    // The leader may read but not edit.
    let leader = app.demo_client("tinh.lanhdao").await;
    let response = leader.post(app.url("/exports/annual/91/2020/narrative")).form(&form).send().await.expect("POST");
    assert_eq!(response.status(), 403);
    // So does the administrator of today's An Giang: old Kiên Giang's 2020 report is history.
    let successor = app.demo_client("angiang.quantri").await;
    let (status, page) =
        common::text(successor.get(app.url("/exports/annual/91/2020")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Năm 2020, công tác dân vận đạt nhiều kết quả."));
    let response = successor.post(app.url("/exports/annual/91/2020/narrative")).form(&form).send().await.expect("POST");
    assert_eq!(response.status(), 403);
}

// ---- Hostile uploads, reading rights, and the narrative's conflicts (issue 11) ----

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="values" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A workbook with one sheet of the given `<sheetData>` rows and, if given, a shared-strings
/// part written by `shared` (streamed, so a large part never sits in memory).
type PartWriter<'a> = &'a dyn Fn(&mut dyn std::io::Write);

fn workbook(rows: &str, shared: Option<PartWriter<'_>>) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    );
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ] {
        zip.start_file(name, options).expect("start part");
        zip.write_all(text.as_bytes()).expect("write part");
    }
    if let Some(write) = shared {
        zip.start_file("xl/sharedStrings.xml", options).expect("start shared strings");
        write(&mut zip);
    }
    zip.finish().expect("finish zip").into_inner()
}

fn inline(cell: &str, text: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// The header row of the template, as inline strings.
fn header_row() -> String {
    let cells: String = ["unit_code", "period", "element_code", "organisation", "value"]
        .iter()
        .zip(["A1", "B1", "C1", "D1", "E1"])
        .map(|(text, cell)| inline(cell, text))
        .collect();
    format!(r#"<row r="1">{cells}</row>"#)
}

async fn healthy(app: &TestApp) {
    let (status, _) = app.get_text("/healthz").await;
    assert_eq!(status, 200, "the server is still up");
}

#[tokio::test]
async fn hostile_workbooks_are_refused_within_limits_and_the_server_stays_up() {
    let app = TestApp::spawn_with_demo().await;
    let before = report_state(&app).await;
    let clerk = app.demo_client("xa.nhaplieu").await;

    // One cell at A1 and one at XFD1048576: a dense rectangle would be 512 GiB.
    let grid = workbook(&format!(r#"{}<row r="1048576">{}</row>"#, header_row(), inline("XFD1048576", "x")), None);
    assert!(grid.len() < 4096, "a tiny file: {} bytes", grid.len());
    let (status, page) = app.upload_values(&clerk, "luoi.xlsx", &grid).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("ngoài 6 cột A–F (ô XFD1048576)"), "{page}");
    healthy(&app).await;

    // Within the columns but past the row cap.
    let far = workbook(&format!(r#"{}<row r="200002">{}</row>"#, header_row(), inline("A200002", "30883")), None);
    let (status, page) = app.upload_values(&clerk, "xa.xlsx", &far).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("vượt quá 200.000 dòng"), "{page}");

    // A deflate bomb in sharedStrings.xml: 120 MB of 'A' in a file of a few hundred KB.
    let bomb = workbook(
        &header_row(),
        Some(&|out: &mut dyn std::io::Write| {
            out.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#).expect("w");
            let chunk = vec![b'A'; 1024 * 1024];
            for _ in 0..120 {
                out.write_all(&chunk).expect("w");
            }
            out.write_all(b"</t></si></sst>").expect("w");
        }),
    );
    assert!(bomb.len() < 1024 * 1024, "compressed to {} bytes", bomb.len());
    let (status, page) = app.upload_values(&clerk, "bom.xlsx", &bomb).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("giải nén vượt quá 50 MB"), "{page}");
    healthy(&app).await;

    // A shared-strings part that claims ten billion strings (calamine reserves for them).
    let claim = workbook(
        &header_row(),
        Some(&|out: &mut dyn std::io::Write| {
            out.write_all(br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="10000000000"></sst>"#).expect("w");
        }),
    );
    let (status, page) = app.upload_values(&clerk, "dem.xlsx", &claim).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("chuỗi dùng chung"), "{page}");
    healthy(&app).await;
    assert_eq!(report_state(&app).await, before, "nothing imported");

    // The same workbook from a leader is refused before its body is read: even a body that is
    // not multipart at all gets 403, not 400.
    let leader = app.demo_client("xa.lanhdao").await;
    let (status, _) = app.upload_values(&leader, "luoi.xlsx", &grid).await;
    assert_eq!(status, 403);
    let response = leader
        .post(app.url("/imports/values"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("this is not multipart")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 403, "refused before the body is parsed");
    let response = leader.post(app.url("/imports/values")).form(&[("file", "x")]).send().await.expect("POST a form");
    assert_eq!(response.status(), 403, "refused before the content type is judged");
    // The import page tells the leader so instead of offering a form that would be refused.
    let (status, page) = common::text(leader.get(app.url("/imports/values")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(!page.contains(r#"action="/imports/values""#) && page.contains("vai trò nhập liệu"), "{page}");
    healthy(&app).await;
}

#[tokio::test]
async fn csv_uploads_are_held_to_the_template_columns_and_the_row_cap() {
    let app = TestApp::spawn_with_demo().await;
    let before = report_state(&app).await;
    let clerk = app.demo_client("xa.nhaplieu").await;
    let header = "unit_code,period,element_code,organisation,value";
    // A sixth column without the `status` header.
    let extra = format!("{header}\n30883,2017-Q1,TD_DINH_KY,,12,x\n");
    let (status, page) = app.upload_values(&clerk, "thua.csv", extra.as_bytes()).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("ngoài 5 cột A–E (dòng 2, cột F)"), "{page}");
    // A seventh, even with `status`.
    let seventh = format!("{header},status\n30883,2017-Q1,TD_DINH_KY,,12,Nháp,y\n");
    let (status, page) = app.upload_values(&clerk, "thua.csv", seventh.as_bytes()).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("ngoài 6 cột A–F (dòng 2, cột thứ 7)"), "{page}");
    // One row over the cap (short rows, so the file stays under 5 MB).
    let mut big = format!("{header}\n");
    for _ in 0..200_001 {
        big.push_str("1,2,3,4,5\n");
    }
    assert!(big.len() < 5 * 1024 * 1024);
    let (status, page) = app.upload_values(&clerk, "lon.csv", big.as_bytes()).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("vượt quá 200.000 dòng"), "{page}");
    assert_eq!(report_state(&app).await, before, "nothing imported");
    // With the status column (as exported), the file is accepted and the status ignored.
    let with_status = format!("{header},status\n30883,2017-Q1,TD_DINH_KY,,12,Đã duyệt\n");
    let (status, page) = app.upload_values(&clerk, "dung.csv", with_status.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Đã nhập 1 giá trị vào 1 báo cáo"), "{page}");
}

#[tokio::test]
async fn only_data_entry_staff_import_and_only_into_their_own_unit() {
    let app = TestApp::spawn_with_demo().await;
    let before = report_state(&app).await;
    let csv = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,TD_DINH_KY,,12\n";
    // The national administrator, the province's and the commune's: administrators, not data entry.
    for admin in ["quantri", "tinh.quantri", "xa.quantri", "tinh.lanhdao", "huyen.duyet"] {
        let client = app.demo_client(admin).await;
        let (status, page) = app.upload_values(&client, "so-lieu.csv", csv.as_bytes()).await;
        assert_eq!(status, 403, "{admin}: {page}");
    }
    // Data entry of the district may not write the commune's figures.
    let district = app.demo_client("huyen.nhaplieu").await;
    let (status, page) = app.upload_values(&district, "so-lieu.csv", csv.as_bytes()).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Dòng 2: bạn không có quyền nhập số liệu của"), "{page}");
    assert_eq!(report_state(&app).await, before, "nothing imported");
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).delimiter(b';').from_reader(bytes);
    reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect()
}

#[tokio::test]
async fn value_exports_hold_only_what_the_caller_may_read() {
    let app = TestApp::spawn_with_demo().await;
    // A commune draft for 2017.
    let clerk = app.demo_client("xa.nhaplieu").await;
    let draft = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,TD_DINH_KY,,12\n";
    let (status, page) = app.upload_values(&clerk, "nhap.csv", draft.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    let is_draft = |row: &Vec<String>| row[0] == "30883" && row[1] == "2017-Q1" && row[2] == "TD_DINH_KY";

    // District data entry: its own unit only, not the communes' drafts (nor their accepted rows).
    let district = app.demo_client("huyen.nhaplieu").await;
    for year in [2020, 2017] {
        let (status, bytes, _) = download(&district, &app, &format!("/exports/values/905/{year}.csv")).await;
        assert_eq!(status, 200);
        let rows = csv_rows(&bytes);
        assert!(rows.iter().all(|r| r[0] == "905"), "{year}: only the district's own rows");
    }
    // The commune's own clerk sees the draft, marked.
    let (status, bytes, _) = download(&clerk, &app, "/exports/values/30883/2017.csv").await;
    assert_eq!(status, 200);
    let rows = csv_rows(&bytes);
    let own = rows.iter().find(|r| is_draft(r)).expect("own draft exported");
    assert_eq!(own[5], "Nháp");

    // Its reviewer gets the communes' drafts it reviews, marked.
    let reviewer = app.demo_client("huyen.duyet").await;
    let (_, bytes, _) = download(&reviewer, &app, "/exports/values/905/2017.csv").await;
    assert!(csv_rows(&bytes).iter().any(|r| is_draft(r) && r[5] == "Nháp"), "the reviewer's commune");

    // The province leader: accepted figures only, never the draft.
    let leader = app.demo_client("tinh.lanhdao").await;
    let accepted: i64 = app
        .scalar(
            "SELECT count(*) FROM reports r JOIN report_values v ON v.report_id = r.id
         WHERE r.year = 2020 AND r.status = 'da_duyet'",
        )
        .await;
    assert!(accepted > 0);
    let (status, bytes, _) = download(&leader, &app, "/exports/values/91/2020.csv").await;
    assert_eq!(status, 200);
    let rows = csv_rows(&bytes);
    assert!(rows.iter().all(|r| r[5] == "Đã duyệt"), "accepted only");
    let (_, bytes, _) = download(&leader, &app, "/exports/values/91/2017.csv").await;
    let rows = csv_rows(&bytes);
    assert!(!rows.iter().any(is_draft), "the leader does not get the commune's draft");
    assert!(rows.iter().all(|r| r[5] == "Đã duyệt"), "accepted only");
    // The XLSX carries the same rule.
    let (status, bytes, _) = download(&leader, &app, "/exports/values/91/2017.xlsx").await;
    assert_eq!(status, 200);
    let (_, text) = part_text(&bytes, "xl/sharedStrings.xml").unwrap_or_default();
    assert!(!text.contains("Nháp"), "no draft in the workbook");
}

async fn post_narrative(client: &reqwest::Client, app: &TestApp, form: &[(&str, &str)]) -> (u16, String) {
    common::text(client.post(app.url("/exports/annual/91/2020/narrative")).form(form).send().await.expect("POST")).await
}

#[tokio::test]
async fn a_stale_narrative_save_keeps_the_typed_text_and_replacing_is_explicit() {
    let app = TestApp::spawn_with_demo().await;
    let first = app.demo_client("tinh.nhaplieu").await;
    let second = app.demo_client("tinh.nhaplieu").await;
    let (status, _) = post_narrative(&first, &app, &[("version", "0"), ("ket_qua", "Bản của người thứ nhất.")]).await;
    assert_eq!(status, 303);
    // The second person opened version 0 and typed five sections.
    let typed = [
        ("version", "0"),
        ("ket_qua", "Kết quả tôi đã gõ rất lâu."),
        ("han_che", "Hạn chế tôi đã gõ."),
        ("nguyen_nhan", "Nguyên nhân tôi đã gõ."),
        ("phuong_huong", "Phương hướng tôi đã gõ."),
        ("kien_nghi", "Kiến nghị tôi đã gõ."),
    ];
    let (status, page) = post_narrative(&second, &app, &typed).await;
    assert_eq!(status, 409, "{page}");
    for (_, text) in &typed[1..] {
        assert!(page.contains(text), "typed text kept: {text}");
    }
    assert!(page.contains("đã được người khác lưu"), "{page}");
    assert!(page.contains("Bản của người thứ nhất."), "what the other person saved is shown");
    assert!(page.contains(r#"name="version" value="0""#), "the form keeps the opened version");
    let stored: String = app.scalar("SELECT ket_qua FROM annual_narratives").await;
    assert_eq!(stored, "Bản của người thứ nhất.", "nothing overwritten");
    // Pressing the ordinary save again is still a conflict; the explicit button replaces.
    let (status, _) = post_narrative(&second, &app, &typed).await;
    assert_eq!(status, 409);
    let mut replace = typed.to_vec();
    replace.push(("replace", "1"));
    let (status, _) = post_narrative(&second, &app, &replace).await;
    assert_eq!(status, 303);
    let (stored, version): (String, i32) = app.row("SELECT ket_qua, version FROM annual_narratives").await;
    assert_eq!((stored.as_str(), version), ("Kết quả tôi đã gõ rất lâu.", 2));
}

#[tokio::test]
async fn two_first_narrative_saves_at_once_do_not_both_succeed() {
    let app = TestApp::spawn_with_demo().await;
    for round in 0..3 {
        sqlx::query("DELETE FROM annual_narratives").execute(&app.pool).await.expect("reset");
        let a = app.demo_client("tinh.nhaplieu").await;
        let b = app.demo_client("tinh.nhaplieu").await;
        let text_a = format!("Bản A lượt {round}");
        let text_b = format!("Bản B lượt {round}");
        let form_a = [("version", "0"), ("ket_qua", text_a.as_str())];
        let form_b = [("version", "0"), ("ket_qua", text_b.as_str())];
        let ((status_a, _), (status_b, _)) =
            tokio::join!(post_narrative(&a, &app, &form_a), post_narrative(&b, &app, &form_b));
        let mut statuses = [status_a, status_b];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "round {round}: one saves, the other is told");
        let version: i32 = app.scalar("SELECT version FROM annual_narratives").await;
        assert_eq!(version, 1);
    }
}

#[tokio::test]
async fn an_over_long_narrative_section_is_refused_with_the_text_kept() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let long = format!("Đoạn mở đầu riêng. {}", "x".repeat(50_001));
    let form = [("version", "0"), ("ket_qua", "Ngắn."), ("han_che", long.as_str())];
    let (status, page) = post_narrative(&client, &app, &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(&long), "the whole text is kept");
    assert!(page.contains("vượt quá giới hạn 50.000 ký tự"), "{page}");
    assert!(page.contains(r#"aria-describedby="han_che-error""#), "the message sits next to the field");
    let saved: i64 = app.scalar("SELECT count(*) FROM annual_narratives").await;
    assert_eq!(saved, 0, "nothing cut and saved");
}

/// The text of word/document.xml of a DOCX answer.
async fn docx_text(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let (status, bytes, _) = download(client, app, path).await;
    assert_eq!(status, 200, "{path}");
    part_text(&bytes, "word/document.xml").expect("document.xml").1
}

#[tokio::test]
async fn the_docx_heading_is_the_office_of_the_unit_at_the_report_date() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.user("tw.lanhdao", "TW").role("lanh_dao").signed_in().await;

    // Kiên Giang in 2020: its Ban Dân vận, with the seed's recipients from the demo office.
    let doc = docx_text(&client, &app, "/exports/annual/91/2020.docx").await;
    for needle in
        ["TỈNH ỦY KIÊN GIANG", "BAN DÂN VẬN", "-BC/BDVTU", "T/M BAN THƯỜNG VỤ", "Ban Dân vận TW, Văn phòng TW (HN)"]
    {
        assert!(doc.contains(needle), "2020 lacks {needle}");
    }
    assert!(!doc.contains("TUYÊN GIÁO"), "no merged board in 2020");

    // The code 91 on 01/07/2025 is the new An Giang: its Ban Tuyên giáo và Dân vận, whatever the year.
    let doc = docx_text(&client, &app, "/exports/annual/91/2026.docx?unit_date=2025-07-01").await;
    for needle in ["TỈNH ỦY AN GIANG", "BAN TUYÊN GIÁO VÀ DÂN VẬN", "-BC/BTGDVTU", "Đảng ủy các xã, phường, đặc khu"]
    {
        assert!(doc.contains(needle), "2026 lacks {needle}");
    }
    assert!(!doc.contains("TỈNH ỦY KIÊN GIANG"), "not Kiên Giang's heading");
    // The new An Giang's 2020 (its predecessors' year) is issued by today's office.
    let doc = docx_text(&client, &app, "/exports/annual/91/2020.docx?unit_date=01/07/2025").await;
    assert!(doc.contains("TỈNH ỦY AN GIANG") && doc.contains("BAN TUYÊN GIÁO VÀ DÂN VẬN"), "{doc:.300}");
    // Kiên Giang's last months, after the provincial boards merged: the demo row of March–June 2025.
    let doc = docx_text(&client, &app, "/exports/annual/91/2025.docx?unit_date=2025-06-30").await;
    assert!(doc.contains("TỈNH ỦY KIÊN GIANG") && doc.contains("BAN TUYÊN GIÁO VÀ DÂN VẬN"), "{doc:.300}");
    // An issuing date chosen before the merger brings back the Ban Dân vận.
    let doc = docx_text(&client, &app, "/exports/annual/91/2024.docx?date=2025-01-10").await;
    assert!(doc.contains("BAN DÂN VẬN") && !doc.contains("TUYÊN GIÁO"), "{doc:.300}");

    // A commune of today speaks through its Party committee, under the province's Party organisation.
    let doc = docx_text(&client, &app, "/exports/annual/30313/2026.docx").await;
    for needle in ["ĐẢNG BỘ TỈNH AN GIANG", "ĐẢNG ỦY XÃ MỸ HÒA HƯNG", "-BC/ĐU"] {
        assert!(doc.contains(needle), "commune lacks {needle}");
    }
    // A commune without an office row gets the derived default.
    let doc = docx_text(&client, &app, "/exports/annual/30886/2026.docx").await;
    assert!(doc.contains("ĐẢNG BỘ TỈNH AN GIANG") && doc.contains("ĐẢNG ỦY XÃ THẠNH LỘC"), "{doc:.300}");

    // The preview names the office and keeps unit_date on its links.
    let (status, page) =
        common::text(client.get(app.url("/exports/annual/91/2026?unit_date=2025-07-01")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("do Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang ban hành"), "preview names the office");
    assert!(page.contains("2026.xlsx?unit_date=2025-07-01"), "links keep the unit");

    // A bad unit_date is told in Vietnamese; a code naming no unit on that date is not found.
    let (status, page) = common::text(
        client.get(app.url("/exports/annual/91/2026.docx?unit_date=31-02-2025")).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Ngày xác định đơn vị (unit_date)"), "{page:.500}");
    let (status, _) = common::text(
        client.get(app.url("/exports/annual/30883/2026.docx?unit_date=2025-07-01")).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 404, "30883 names no unit after the reform");
    let (status, _) = common::text(
        client.get(app.url("/exports/values/91/2026.csv?unit_date=2025-07-01")).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) =
        common::text(client.get(app.url("/exports/values/91/2026.csv?unit_date=hôm-qua")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 422);
}

/// The stored office of unit `code` (on `as_of`) in force on `on`.
async fn office_id(app: &TestApp, code: &str, as_of: &str, on: &str) -> (danvan::offices::OfficeId, i32) {
    let as_of = danvan::units::parse_date(as_of).expect("date");
    let unit = danvan::units::queries::resolve(&app.pool, code, as_of).await.expect("query").expect("unit");
    let on = danvan::units::parse_date(on).expect("date");
    let office = danvan::offices::stored_on(&app.pool, unit.id, on).await.expect("query").expect("office row");
    (office.id.expect("stored"), office.version)
}

/// The office name in the page header follows an edit made on another server (or with SQL)
/// within seconds, not after the header cache's five minutes: an office row's change starts a
/// new metadata generation, whose announcement every server hears.
#[tokio::test]
async fn the_page_header_follows_an_office_edited_elsewhere() {
    let app = TestApp::spawn_with_demo().await;
    let other_server = app.restart().await;
    let leader = other_server.demo_client("angiang.lanhdao").await;
    let (_, header) = common::text(leader.get(other_server.url("/")).send().await.expect("GET")).await;
    assert!(header.contains("Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang<"), "cached for the header");
    let (id, _) = office_id(&app, "91", "2025-07-01", &danvan::units::today().format("%Y-%m-%d").to_string()).await;
    sqlx::query("UPDATE offices SET display_name = 'Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang (mới)' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("office change");
    let seen = other_server.page_until(&leader, "/", |page| page.contains("Tỉnh ủy An Giang (mới)")).await;
    assert!(seen.contains("Tỉnh ủy An Giang (mới)"), "the other server's header names the office as it is now");
}

#[tokio::test]
async fn an_office_edited_by_an_administrator_shows_up_in_the_next_export() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.user("tw.quantri", "TW").role("quan_tri").signed_in().await;
    let (id, version) = office_id(&app, "91", "2025-07-01", "2026-01-01").await;

    let (status, page) =
        common::text(admin.get(app.url("/admin/offices?unit=91&date=2025-07-01")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang") && page.contains("đã ghi nhận"),
        "{page:.2000}"
    );
    let (status, page) =
        common::text(admin.get(app.url(&format!("/admin/offices/{id}"))).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert_eq!(Page::parse(&page).field("symbol").value, "BTGDVTU", "the form holds the row");

    // Wrong input comes back with Vietnamese messages next to the fields and the typed text kept.
    let bad = [
        ("version", version.to_string()),
        ("valid_from", "2025-07-01".to_owned()),
        ("valid_to", "2025-01-01".to_owned()),
        ("superior", "TỈNH ỦY AN GIANG".to_owned()),
        ("name", "  ".to_owned()),
        ("symbol", "BTG DV".to_owned()),
        ("display_name", "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang".to_owned()),
        ("recipients", "- Nơi nhận đang gõ dở".to_owned()),
    ];
    let (status, page) =
        common::text(admin.post(app.url(&format!("/admin/offices/{id}"))).form(&bad).send().await.expect("POST")).await;
    assert_eq!(status, 422);
    let page = Page::parse(&page);
    let message = |name: &str| page.field(name).message.unwrap_or_else(|| panic!("no message next to {name}"));
    assert!(message("valid_to").contains("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."));
    assert!(message("name").contains("Nhập tên cơ quan (dòng thứ hai của tiêu đề)"));
    let symbol = page.field("symbol");
    assert!(symbol.message.is_some_and(|m| m.contains("Ký hiệu viết liền")));
    assert_eq!(symbol.value, "BTG DV", "typed input kept");
    assert_eq!(page.field("recipients").value, "- Nơi nhận đang gõ dở", "typed input kept");

    // The row ends with 2025; a new row from 2026 overlapping it is refused first.
    let new_row = |from: &str| {
        vec![
            ("unit_code", "91".to_owned()),
            ("as_of", "2025-07-01".to_owned()),
            ("valid_from", from.to_owned()),
            ("superior", "TỈNH ỦY AN GIANG".to_owned()),
            ("name", "BAN TUYÊN GIÁO VÀ DÂN VẬN".to_owned()),
            ("symbol", "BTGDV".to_owned()),
            ("display_name", "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang".to_owned()),
            ("on_behalf", "K/T TRƯỞNG BAN".to_owned()),
            ("signer_position", "PHÓ TRƯỞNG BAN".to_owned()),
            ("recipients", "- Ban Tuyên giáo và Dân vận Trung ương (để báo cáo)\n- Lưu Văn phòng Ban.".to_owned()),
            ("note", "Thử nghiệm".to_owned()),
        ]
    };
    let (status, page) =
        common::text(admin.post(app.url("/admin/offices")).form(&new_row("2026-01-01")).send().await.expect("POST"))
            .await;
    assert_eq!(status, 422);
    assert!(page.contains("trùng với cơ quan đã ghi nhận"), "{page:.3000}");
    let mut end = bad.to_vec();
    end.retain(|(k, _)| !["valid_to", "name", "symbol", "recipients"].contains(k));
    end.extend([
        ("valid_to", "2025-12-31".to_owned()),
        ("name", "BAN TUYÊN GIÁO VÀ DÂN VẬN".to_owned()),
        ("symbol", "BTGDVTU".to_owned()),
        ("recipients", "Ban Tuyên giáo và Dân vận Trung ương\nLưu Văn phòng Tỉnh ủy.".to_owned()),
        ("on_behalf", "T/M BAN THƯỜNG VỤ".to_owned()),
        ("signer_position", "PHÓ BÍ THƯ THƯỜNG TRỰC".to_owned()),
    ]);
    let response = admin.post(app.url(&format!("/admin/offices/{id}"))).form(&end).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    let response = admin.post(app.url("/admin/offices")).form(&new_row("2026-01-01")).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    // Saving over a version that changed meanwhile is refused.
    let (status, page) =
        common::text(admin.post(app.url(&format!("/admin/offices/{id}"))).form(&end).send().await.expect("POST")).await;
    assert_eq!(status, 422);
    assert!(page.contains("vừa được người khác sửa"));

    let text_2026 = docx_text(&admin, &app, "/exports/annual/91/2026.docx?unit_date=2025-07-01").await;
    for needle in ["-BC/BTGDV", "K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Ban Tuyên giáo và Dân vận Trung ương (để báo cáo)"]
    {
        assert!(text_2026.contains(needle), "2026 lacks {needle}");
    }
    assert!(!text_2026.contains("-BC/BTGDVTU"));
    let text_2025 = docx_text(&admin, &app, "/exports/annual/91/2025.docx").await;
    assert!(text_2025.contains("-BC/BTGDVTU") && text_2025.contains("T/M BAN THƯỜNG VỤ"), "2025 keeps its row");
    assert!(!text_2025.contains("(để báo cáo)"));
    // The narrative of the new An Giang's year is saved against the unit unit_date names.
    let response = admin
        .post(app.url("/exports/annual/91/2026/narrative?unit_date=2025-07-01"))
        .form(&[("version", "0"), ("ket_qua", "Năm đầu tiên của tỉnh An Giang mới.")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(location, "/exports/annual/91/2026?unit_date=2025-07-01");
    let saved_for: Option<chrono::NaiveDate> = app
        .scalar("SELECT u.valid_from FROM annual_narratives n JOIN units u ON u.id = n.unit_id WHERE n.year = 2026")
        .await;
    assert_eq!(saved_for, chrono::NaiveDate::from_ymd_opt(2025, 7, 1));
    let response = admin
        .post(app.url("/exports/annual/91/2026/narrative?unit_date=ngày-mai"))
        .form(&[("version", "1"), ("ket_qua", "x")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 422);

    // An administrator of a commune manages its own office only.
    let commune_admin = app.user("mhh.quantri", "30313").on("2025-07-01").role("quan_tri").signed_in().await;
    let (status, _) =
        common::text(commune_admin.get(app.url(&format!("/admin/offices/{id}"))).send().await.expect("GET")).await;
    assert_eq!(status, 404, "the province's office is not the commune's to see");
    let (status, page) = common::text(
        commune_admin.post(app.url("/admin/offices")).form(&new_row("2027-01-01")).send().await.expect("POST"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Đơn vị này nằm ngoài phạm vi bạn quản trị."));
    let (own, _) = office_id(&app, "30313", "2025-07-01", "2026-01-01").await;
    let (status, page) =
        common::text(commune_admin.get(app.url(&format!("/admin/offices/{own}"))).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("ĐẢNG ỦY XÃ MỸ HÒA HƯNG"));

    let audited: i64 = app.scalar("SELECT count(*) FROM audit_log WHERE entity = 'office'").await;
    assert_eq!(audited, 2, "the update and the creation are in the audit log");
}

/// Today's An Giang over 2020, a year before it existed: the report carries Kiên Giang's
/// figures (seed 002's 585.160 members among them) and says under its title where they come
/// from; Kiên Giang's own report of 2020 says nothing of the kind.
#[tokio::test]
async fn a_unit_of_today_reports_its_history_through_its_predecessors() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("quantri").await;
    let (status, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx?unit_date=2025-07-01").await;
    assert_eq!(status, 200);
    let (_, text) = part_text(&bytes, "word/document.xml").expect("document");
    assert!(text.contains("Tỉnh An Giang được thành lập từ ngày 01/07/2025"), "the note under the title");
    assert!(text.contains("Tỉnh Kiên Giang (đến 30/06/2025)"), "the predecessor, dated");
    // Kiên Giang's 585.160 members and the old An Giang's, as the aggregates give them.
    let doc: serde_json::Value = client
        .get(app.url("/api/v1/aggregates/91?period=2020&unit_date=2025-07-01"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    let members = doc["values"]["DVHV_HIEN_CO"].as_f64().expect("members") as i64;
    assert!(members > 585_160, "both predecessors count: {members}");
    let digits = members.to_string();
    let mut printed = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            printed.push('.');
        }
        printed.push(c);
    }
    assert!(text.contains(&printed), "the members of both predecessors, {printed}, are in the report");
    let (_, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    let (_, text) = part_text(&bytes, "word/document.xml").expect("document");
    assert!(!text.contains("được thành lập từ ngày 01/07/2025"), "Kiên Giang's own report has no such note");
}

// --- issue 14 item 1: the annual report as seed 002 ---

/// The text of every `word/*.xml` part (body, footnotes, headers), tags as spaces: what the
/// outside check reads.
fn docx_all_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut text = String::new();
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).expect("part");
        let name = part.name().expect("part name").to_string();
        if !(name.starts_with("word/") && name.ends_with(".xml")) {
            continue;
        }
        let mut xml = String::new();
        part.read_to_string(&mut xml).expect("utf-8 part");
        let mut in_tag = false;
        for c in xml.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.push(' ');
    }
    text
}

/// The number tokens of a text as the outside check cuts them: digits with inner `.` or `,`.
fn number_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut token = String::new();
        while i < chars.len() {
            let inner_mark = (chars[i] == '.' || chars[i] == ',') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !(chars[i].is_ascii_digit() || inner_mark) {
                break;
            }
            token.push(chars[i]);
            i += 1;
        }
        tokens.push(token);
    }
    tokens
}

#[tokio::test]
async fn the_2020_docx_of_kien_giang_carries_every_figure_of_seed_002() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (status, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    assert_eq!(status, 200);
    let text = docx_all_text(&bytes);
    let present: std::collections::HashSet<String> = number_tokens(&text).into_iter().collect();
    let seed = include_str!("../../reference/demo/seed-002-figures.csv");
    let mut reader = csv::Reader::from_reader(seed.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let printed = headers.iter().position(|h| h == "as_printed").expect("as_printed column");
    let mut rows = 0;
    let mut missing = Vec::new();
    for record in reader.records() {
        let record = record.expect("row");
        rows += 1;
        let as_printed = record.get(printed).expect("as_printed");
        // The seed's two slips: 143 (its parts add up to 129) and "245.00".
        let needed: Vec<String> =
            number_tokens(as_printed).into_iter().filter(|t| t != "143" && t != "245.00").collect();
        if !needed.iter().all(|t| present.contains(t)) {
            missing.push(as_printed.to_owned());
        }
    }
    assert_eq!(rows, 47, "seed 002's figure rows");
    assert!(missing.is_empty(), "{} of {rows} rows missing: {missing:?}", missing.len());
    // Composites as printed.
    let (_, foot) = part_text(&bytes, "word/footnotes.xml").expect("footnotes");
    for needle in [
        "18 phiên họp (12 phiên họp thường kỳ, 06 phiên họp đột xuất)",
        "tiếp dân đột xuất 02 cuộc/10 người đại diện 325 lượt người dân",
        "12/15 huyện, thành phố ủy viên BTV làm trưởng BDV",
        "125/145 xã, phường, thị trấn",
        "trị giá 39,48 tỷ đồng",
        "Đã vận động 430 tỷ đồng",
        "xây dựng 46,1 km đường giao thông nông thôn",
        "Tổ chức làm việc 17 cuộc với 15 huyện, thành phố",
        "có 48/70 xã thuộc khu vực vùng đồng bào dân tộc thiểu số",
    ] {
        assert!(foot.contains(needle), "footnotes lack “{needle}”: {foot}");
    }
    let (_, body) = part_text(&bytes, "word/document.xml").expect("document");
    assert!(body.contains("còn 3,4% (giảm 1,3 điểm phần trăm so với cuối năm 2019)"), "{body}");
    assert!(body.contains("đến trường đạt trên 96%"), "{body}");
    assert!(body.contains("có 277 cán bộ là người dân tộc thiểu số"), "{body}");
}

#[tokio::test]
async fn the_annual_report_has_seed_002s_structure_in_order() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let text = docx_text(&client, &app, "/exports/annual/91/2020.docx").await;
    let headings = [
        "Phần thứ nhất",
        "BÁO CÁO TỔNG KẾT CÔNG TÁC DÂN VẬN NĂM 2020",
        "I- KẾT QUẢ CÔNG TÁC DÂN VẬN CỦA HỆ THỐNG CHÍNH TRỊ",
        "1. Sự lãnh đạo, chỉ đạo của các cấp ủy đảng",
        "2. Công tác dân vận của cơ quan nhà nước và chính quyền các cấp",
        "3. Hoạt động của Mặt trận Tổ quốc, các đoàn thể chính trị-xã hội",
        "4. Nâng cao chất lượng, hiệu quả các phong trào thi đua",
        "5. Công tác dân tộc, tôn giáo",
        "II- NHẬN XÉT CHUNG",
        "Ưu điểm: ",
        "Hạn chế: ",
        "Nguyên nhân của những hạn chế trên là do: ",
        "III- BÀI HỌC KINH NGHIỆM",
        "Phần thứ hai",
        "CHƯƠNG TRÌNH CÔNG TÁC DÂN VẬN NĂM 2021",
        "I- PHƯƠNG HƯỚNG CHUNG",
        "II- CÁC CHỈ TIÊU CHỦ YẾU NĂM 2021",
        "III- NHIỆM VỤ, GIẢI PHÁP CỤ THỂ",
        "IV- KIẾN NGHỊ, ĐỀ XUẤT",
    ];
    let mut from = 0;
    for heading in headings {
        let at = text[from..].find(heading).unwrap_or_else(|| panic!("“{heading}” missing or out of order"));
        from += at + heading.len();
    }
    // The sections of their own are edited on the preview and printed in their place.
    let form = [
        ("version", "0"),
        ("uu_diem", "Các cấp ủy đảng chỉ đạo triển khai thực hiện khá tốt công tác dân vận."),
        ("bai_hoc", "Phải sâu sát cơ sở, lắng nghe Nhân dân."),
        ("nhiem_vu", "Đẩy mạnh thực hiện Quy chế dân chủ ở cơ sở."),
    ];
    let (status, _) = post_narrative(&client, &app, &form).await;
    assert!(status == 200 || status == 303, "{status}");
    let text = docx_text(&client, &app, "/exports/annual/91/2020.docx").await;
    let strengths = text.find("Ưu điểm: Các cấp ủy đảng chỉ đạo").expect("ưu điểm printed");
    let lessons = text.find("Phải sâu sát cơ sở").expect("bài học printed");
    let tasks = text.find("Đẩy mạnh thực hiện Quy chế dân chủ ở cơ sở.").expect("nhiệm vụ printed");
    assert!(strengths < text.find("III- BÀI HỌC KINH NGHIỆM").expect("heading") && lessons < tasks);
    assert!(tasks > text.find("III- NHIỆM VỤ, GIẢI PHÁP CỤ THỂ").expect("heading"));
    // The earlier templates still load.
    for version in ["annual-report-v1", "annual-report-v2", "annual-report-v3"] {
        assert!(danvan::exports::annual::LayoutSpec::load_version(version).is_ok(), "{version}");
    }
}

#[tokio::test]
async fn a_figure_by_level_comes_from_that_levels_own_reports() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (_, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    let (_, foot) = part_text(&bytes, "word/footnotes.xml").expect("footnotes");
    // What each level's own accepted reports of 2020 hold.
    let by_level: Vec<(i16, danvan::figures::Decimal)> = sqlx::query_as(
        "SELECT u.level, sum(v.value) FROM report_values v JOIN reports r ON r.id = v.report_id
         JOIN units u ON u.id = r.unit_id JOIN units p ON p.code = '91' AND p.level = 1 AND p.valid_to IS NOT NULL
         WHERE r.year = 2020 AND r.status = 'da_duyet' AND v.element_code = 'GY_XDD_XDCQ' AND u.path <@ p.path
         GROUP BY u.level ORDER BY u.level",
    )
    .fetch_all(&app.pool)
    .await
    .expect("by level");
    let words = ["cấp tỉnh", "cấp huyện", "cấp xã"];
    let parts: Vec<String> =
        by_level.iter().map(|(level, n)| format!("{} {n} cuộc", words[*level as usize - 1])).collect();
    assert_eq!(parts, ["cấp tỉnh 29 cuộc", "cấp huyện 6 cuộc", "cấp xã 11 cuộc"], "seed 002's levels");
    let sentence = format!("góp ý xây dựng Đảng, xây dựng chính quyền 46 cuộc (trong đó {})", parts.join(", "));
    assert!(foot.contains(&sentence), "{sentence} / {foot}");
}

#[tokio::test]
async fn year_on_year_sentences_say_what_changed() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let (_, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    let (_, body) = part_text(&bytes, "word/document.xml").expect("document");
    let (_, foot) = part_text(&bytes, "word/footnotes.xml").expect("footnotes");
    // A count changes in %, a rate in percentage points, a small count by its number.
    assert!(body.contains("số đoàn viên, hội viên tăng 6,69% so với cuối năm 2019"), "{body}");
    assert!(body.contains("giảm 1,3 điểm phần trăm so với cuối năm 2019"), "{body}");
    assert!(foot.contains("Thực hiện 12 cuộc giám sát chuyên đề, tăng 01 cuộc so với năm 2019."), "{foot}");
    // 2019 has no year before it in the demo: the preview says so instead of a change.
    let (status, page) = common::text(client.get(app.url("/exports/annual/91/2019")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("[chưa có số liệu năm 2018 để so sánh: Giám sát chuyên đề của HĐND]"), "{page}");
}

#[tokio::test]
async fn a_figure_without_data_says_so_in_the_preview_and_never_prints_0() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    // Seed 002 printed the masks sewn as "245.00", a slip: the demo has no figure for it.
    let (status, page) = common::text(client.get(app.url("/exports/annual/91/2020")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<mark class="figure-missing">[chưa có số liệu: Khẩu trang đã may]</mark> khẩu trang"#),
        "{page}"
    );
    assert!(!page.contains("may 0 khẩu trang") && !page.contains("may 00 khẩu trang"));
    let (_, bytes, _) = download(&client, &app, "/exports/annual/91/2020.docx").await;
    let (_, foot) = part_text(&bytes, "word/footnotes.xml").expect("footnotes");
    assert!(foot.contains("373 tổ may khẩu trang, có 2.233 thành viên."), "the clause with figures stays: {foot}");
    let all = docx_all_text(&bytes);
    assert!(!all.contains("chưa có số liệu") && !all.contains("may 0"), "the DOCX leaves the clause out");
    // And the slip itself is refused at entry: an integer field does not take "245.00".
    let staff = app.demo_client("xa.nhaplieu").await;
    let response = staff
        .put(app.url("/api/v1/reports/30883/2017-Q1"))
        .json(&serde_json::json!({"version": 0, "values": {"KHAU_TRANG_DA_MAY": "245.00"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 422, "245.00 is refused");
}
