//! Directives: forms and their errors, search, the implements tree, per-level targets, tasks,
//! attachments, who may edit, the audit trail and the milestones page.

use crate::common::{Page, TestApp, unescape};
use danvan::reports::store::Status;

async fn id_of(app: &TestApp, number: &str) -> i32 {
    sqlx::query_scalar("SELECT id FROM directives WHERE number = $1 ORDER BY issued_on DESC LIMIT 1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap_or_else(|e| panic!("{number}: {e}"))
}

/// The directive ids a search result page links to, in order.
fn result_ids(html: &str) -> Vec<i32> {
    html.split("<h2><a href=\"/directives/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().and_then(|id| id.parse().ok()))
        .collect()
}

/// Attaches a file to directive `id` through its attachment form.
async fn upload(client: &reqwest::Client, app: &TestApp, id: i32, name: &str, content: &[u8]) -> (u16, String) {
    app.upload(client, &format!("/directives/{id}/attachments"), name, content).await
}

async fn audit_count(app: &TestApp, entity: &str, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE entity = $1 AND action = $2")
        .bind(entity)
        .bind(action)
        .fetch_one(&app.pool)
        .await
        .expect("audit count")
}

#[tokio::test]
async fn a_bad_number_comes_back_next_to_its_field_with_the_input_kept() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let form = [
        ("number", "25/NQ-TW"),
        ("issuing_body", "Ban Thường vụ Tỉnh ủy Kiên Giang"),
        ("unit_code", "91"),
        ("as_of", ""),
        ("issued_on", "15/12/2020"),
        ("title", "Kế hoạch thực hiện phong trào Dân vận khéo năm 2021"),
        ("body", "Nội dung dài của kế hoạch."),
        ("status", "hieu_luc"),
        ("replaced_by", ""),
        ("implements", "25-NQ/TW, 99-XX/TW"),
        ("version", "0"),
    ];
    let (status, html) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 422);
    let page = Page::parse(&html);
    let number = page.field("number");
    assert!(number.invalid, "the number field is marked refused");
    assert_eq!(number.value, "25/NQ-TW", "the number typed is kept");
    let message = number.message.expect("a message next to the number field");
    assert!(message.contains("Thiếu dấu “/”"), "a Vietnamese message: {message}");
    assert!(message.contains("ví dụ 25-NQ/TW"), "saying what to type: {message}");
    assert_eq!(page.field("title").value, "Kế hoạch thực hiện phong trào Dân vận khéo năm 2021", "the title is kept");
    assert_eq!(page.field("body").value, "Nội dung dài của kế hoạch.", "the text is kept");
    let links = page.field("implements");
    assert_eq!(links.value, "25-NQ/TW, 99-XX/TW");
    let message = links.message.expect("an unknown kind in the links is reported next to them");
    assert!(message.contains("“99-XX/TW” không phải số/ký hiệu"), "{message}");
    assert_eq!(page.field_errors().len(), 2, "only the two refused fields: {:?}", page.field_errors());

    // Corrected: both date spellings are accepted; kind comes from the number.
    let mut fixed = form;
    fixed[0] = ("number", "7-KH/TU");
    fixed[9] = ("implements", "25-NQ/TW");
    let (status, _) = app.post_form_as(&client, "/directives", &fixed).await;
    assert_eq!(status, 303);
    let (kind, issued): (String, chrono::NaiveDate) =
        app.row("SELECT kind, issued_on FROM directives WHERE number = '07-KH/TU'").await;
    assert_eq!((kind.as_str(), issued.to_string().as_str()), ("KH", "2020-12-15"));
    assert_eq!(audit_count(&app, "directive", "create").await, 1);

    // A TU number with a district unit is refused on the unit field.
    fixed[0] = ("number", "8-KH/TU");
    fixed[2] = ("unit_code", "905");
    let (status, html) = app.post_form_as(&client, "/directives", &fixed).await;
    assert_eq!(status, 422);
    let unit = Page::parse(&html).field("unit_code");
    assert_eq!(unit.value, "905");
    assert!(unit.message.is_some_and(|m| m.contains("Đơn vị không khớp cơ quan ban hành")), "on the unit field");

    // A status that is none of the three is refused on its field, the rest kept.
    fixed[2] = ("unit_code", "91");
    fixed[7] = ("status", "bi_huy");
    let (status, html) = app.post_form_as(&client, "/directives", &fixed).await;
    assert_eq!(status, 422);
    let page = Page::parse(&html);
    assert_eq!(page.field("status").message.as_deref(), Some("Chọn trạng thái."));
    let number = page.field("number");
    assert_eq!((number.value.as_str(), number.invalid), ("8-KH/TU", false), "the number typed is kept, not refused");
}

#[tokio::test]
async fn search_is_accent_insensitive_and_filters() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;

    // Every document that mentions "Dân vận khéo", by folding them here.
    let all: Vec<(i32, String, String, String)> =
        sqlx::query_as("SELECT id, number, title, body FROM directives").fetch_all(&app.pool).await.expect("all");
    let mut expected: Vec<i32> = all
        .iter()
        .filter(|(_, n, t, b)| danvan::text::fold(&format!("{n} {t} {b}")).contains("dan van kheo"))
        .map(|(id, ..)| *id)
        .collect();
    expected.sort();
    assert!(expected.len() >= 3, "the demo mentions Dân vận khéo in several documents");
    let (status, html) = app.get_as(&client, "/directives?q=dan+van+kheo").await;
    assert_eq!(status, 200);
    let mut found = result_ids(&html);
    found.sort();
    assert_eq!(found, expected);
    assert!(html.contains("<mark>Dân vận khéo</mark>"), "snippets show the match with its accents");
    assert!(html.contains("class=\"snippet\""));

    let (_, html) = app.get_as(&client, "/directives?q=duc+trong").await;
    let nq06 = id_of(&app, "06-NQ/HU").await;
    assert!(result_ids(&html).contains(&nq06), "duc trong finds 06-NQ/HU");

    let (_, html) = app.get_as(&client, "/directives?q=25-NQ%2FTW").await;
    let nq25 = id_of(&app, "25-NQ/TW").await;
    let ids = result_ids(&html);
    assert!(ids.contains(&nq25), "the number finds the document");
    assert!(!ids.is_empty() && ids.len() < all.len(), "and not everything");

    // Filters: kind, issuer, year, status.
    let (_, html) = app.get_as(&client, "/directives?q=dan+van+kheo&kind=NQ").await;
    for id in result_ids(&html) {
        let kind: String = sqlx::query_scalar("SELECT kind FROM directives WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("kind");
        assert_eq!(kind, "NQ");
    }
    let (_, html) = app.get_as(&client, "/directives?issuer=HU").await;
    assert_eq!(result_ids(&html), vec![nq06]);
    let (_, html) = app.get_as(&client, "/directives?year=2021&issuer=HU").await;
    assert_eq!(result_ids(&html), vec![nq06]);
    let (_, html) = app.get_as(&client, "/directives?year=2019&issuer=HU").await;
    assert!(result_ids(&html).is_empty());
    let replaced: i64 = app.scalar("SELECT count(*) FROM directives WHERE status = 'duoc_thay_the'").await;
    let (_, html) = app.get_as(&client, "/directives?status=duoc_thay_the").await;
    assert_eq!(result_ids(&html).len() as i64, replaced);
    let (status, html) = app.get_as(&client, "/directives?year=abc").await;
    assert_eq!(status, 422);
    assert!(html.contains("Năm không hợp lệ"));
    // Markup in a query is shown as text.
    let (_, html) = app.get_as(&client, "/directives?q=%3Cscript%3E").await;
    assert!(!html.contains("<script>"));
}

#[tokio::test]
async fn targets_differ_by_level_and_wait_for_figures() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.lanhdao").await;
    let id = id_of(&app, "06-NQ/HU").await;
    let (status, html) = app.get_as(&client, &format!("/directives/{id}")).await;
    assert_eq!(status, 200);
    let page = unescape(&html);
    let rows: Vec<&str> = page.split("<tr>").collect();
    let row_with = |scope: &str, value: &str| {
        rows.iter().any(|r| r.contains("hoàn thành tốt nhiệm vụ") && r.contains(scope) && r.contains(value))
    };
    assert!(row_with("Cấp huyện thuộc Huyện Đức Trọng", "≥ 100%"), "district 100%");
    assert!(row_with("Cấp xã thuộc Huyện Đức Trọng", "> 95%"), "commune > 95%");
    assert!(row_with("Thôn, ấp, khu phố, tổ dân phố thuộc Huyện Đức Trọng", "> 90%"), "hamlet > 90%");
    assert!(page.contains("từ 1 đến 2"), "per-unit counts read as a range");
    assert!(page.contains("mỗi đơn vị"));
    assert!(page.contains("<span class=\"status-no-data\">Chưa có số liệu</span>"));
    assert!(!page.contains("status-dat\""), "no status without figures");
}

#[tokio::test]
async fn the_implements_tree_goes_both_ways() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let programme = id_of(&app, "05-CTr/TU").await;
    let (_, html) = app.get_as(&client, &format!("/directives/{programme}")).await;
    let up = html.split("class=\"directive-tree implements\"").nth(1).expect("implements list");
    let up = up.split("</ul>").next().unwrap_or("");
    let nq25: i32 = sqlx::query_scalar(
        "SELECT parent_id FROM directive_links l JOIN directives d ON d.id = l.parent_id
         WHERE l.child_id = $1 AND d.number = '25-NQ/TW'",
    )
    .bind(programme)
    .fetch_one(&app.pool)
    .await
    .expect("the programme implements 25-NQ/TW");
    assert!(up.contains(&format!("href=\"/directives/{nq25}\">25-NQ/TW")), "{up}");
    let (_, html) = app.get_as(&client, &format!("/directives/{nq25}")).await;
    let down = html.split("class=\"directive-tree implemented-by\"").nth(1).expect("implemented-by list");
    let down = down.split("</ul>").next().unwrap_or("");
    assert!(down.contains(&format!("href=\"/directives/{programme}\">05-CTr/TU")), "{down}");

    // Recursively: a plan implementing the programme shows 25-NQ/TW two levels up.
    let client = app.demo_client("tinh.nhaplieu").await;
    let form = [
        ("number", "12-KH/TU"),
        ("issuing_body", "Ban Dân vận Tỉnh ủy Kiên Giang"),
        ("unit_code", "91"),
        ("issued_on", "2021-01-10"),
        ("title", "Kế hoạch triển khai chương trình"),
        ("status", "hieu_luc"),
        ("implements", "05-CTr/TU"),
        ("version", "0"),
    ];
    let (status, _) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 303);
    let plan = id_of(&app, "12-KH/TU").await;
    let (_, html) = app.get_as(&client, &format!("/directives/{plan}")).await;
    let up = html.split("class=\"directive-tree implements\"").nth(1).expect("implements list");
    assert!(up.contains(&format!("/directives/{nq25}\"")), "ancestors recursively");
    let (_, html) = app.get_as(&client, &format!("/directives/{nq25}")).await;
    assert!(html.contains(&format!("/directives/{plan}\"")), "descendants recursively");

    // A cycle is refused.
    let (_, edit) = app.get_as(&client, &format!("/directives/{programme}/edit")).await;
    assert_eq!(Page::parse(&edit).field("version").value, "1");
    let version: i32 = 1;
    let body: String = sqlx::query_scalar("SELECT body FROM directives WHERE id = $1")
        .bind(programme)
        .fetch_one(&app.pool)
        .await
        .expect("body");
    let cyclic = [
        ("number", "05-CTr/TU"),
        ("issuing_body", "Ban Thường vụ Tỉnh ủy Kiên Giang"),
        ("unit_code", "91"),
        ("as_of", "2020-12-15"),
        ("issued_on", "2020-12-15"),
        ("title", "Chương trình"),
        ("body", body.as_str()),
        ("status", "hieu_luc"),
        ("implements", "25-NQ/TW, 12-KH/TU"),
        ("version", &version.to_string()),
    ];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{programme}"), &cyclic).await;
    assert_eq!(status, 422);
    assert!(unescape(&html).contains("vòng lặp"));
}

#[tokio::test]
async fn tasks_show_the_units_they_reach() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("quantri").await;
    let id = id_of(&app, "06-NQ/HU").await;
    let communes: i64 = app
        .scalar(
            "SELECT count(*) FROM units c JOIN units d ON c.path <@ d.path
             WHERE d.code = '678' AND c.level = 3 AND (c.valid_from IS NULL OR c.valid_from <= '2021-06-25')
               AND (c.valid_to IS NULL OR c.valid_to >= '2021-06-25')
               AND (d.valid_from IS NULL OR d.valid_from <= '2021-06-25') AND (d.valid_to IS NULL OR d.valid_to >= '2021-06-25')",
        )
        .await;
    assert!(communes > 10);
    let form = [("number", "9"), ("body", "Tổ chức hội nghị quán triệt"), ("levels", "3"), ("deadline", "31/12/2021")];
    let (status, _) = app.post_form_as(&client, &format!("/directives/{id}/tasks"), &form).await;
    assert_eq!(status, 303);
    let (_, html) = app.get_as(&client, &format!("/directives/{id}")).await;
    let expected = format!("Các xã, phường, thị trấn thuộc Huyện Đức Trọng: {communes} đơn vị");
    assert!(html.contains(&expected), "{expected}");
    assert!(html.contains("href=\"/units/678?date=2021-06-25\""), "links to the unit page");
    assert!(html.contains("31/12/2021"));
    // Named units are listed.
    // A commune of Đức Trọng.
    let (code, name): (String, String) = app
        .row(
            "SELECT c.code, c.name FROM units c JOIN units d ON c.parent_id = d.id
         WHERE d.code = '678' AND c.valid_to IS NOT NULL ORDER BY c.code LIMIT 1",
        )
        .await;
    let form = [("number", "10"), ("body", "Khảo sát"), ("unit_codes", code.as_str())];
    let (status, _) = app.post_form_as(&client, &format!("/directives/{id}/tasks"), &form).await;
    assert_eq!(status, 303);
    let (_, html) = app.get_as(&client, &format!("/directives/{id}")).await;
    assert!(html.contains(&format!("{name}</a>")), "named units are listed");
    // A unit outside the issuing district is refused.
    let form = [("number", "12"), ("body", "Ngoài địa bàn"), ("unit_codes", "30883")];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/tasks"), &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("không thuộc đơn vị ban hành"));
    // No level and no unit: refused, input kept.
    let form = [("number", "11"), ("body", "Việc không giao cho ai")];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/tasks"), &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("Việc không giao cho ai"));
    assert!(html.contains("id=\"task-units-error\""));
    assert!(audit_count(&app, "directive_task", "create").await >= 1);

    // A provincial programme's tasks for levels 1–3: the province itself, then its districts.
    let programme = id_of(&app, "05-CTr/TU").await;
    let (_, html) = app.get_as(&client, &format!("/directives/{programme}")).await;
    assert!(html.contains("Tỉnh Kiên Giang (đơn vị ban hành)"));
    assert!(html.contains("Các huyện, quận, thị xã, thành phố thuộc Tỉnh Kiên Giang: 15 đơn vị"));
}

fn small_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
    pdf.extend_from_slice(b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n");
    pdf.extend((0u8..=255).collect::<Vec<u8>>());
    pdf.extend_from_slice(b"\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    pdf
}

/// A ZIP of the given parts, deflated (a DOCX when it holds the Word parts).
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in parts {
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn attachments_are_checked_stored_and_returned_intact() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let id = id_of(&app, "05-CTr/TU").await;
    let pdf = small_pdf();
    let (status, _) = upload(&client, &app, id, "Chương trình 05 (bản ký).pdf", &pdf).await;
    assert_eq!(status, 303);
    let (attachment, name): (i32, String) =
        sqlx::query_as("SELECT id, file_name FROM attachments WHERE directive_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("stored");
    assert_eq!(name, "Chương trình 05 (bản ký).pdf");
    let (_, html) = app.get_as(&client, &format!("/directives/{id}")).await;
    assert!(html.contains(&format!("/directives/{id}/attachments/{attachment}")));

    let reader = app.demo_client("xa.lanhdao").await;
    let response =
        reader.get(app.url(&format!("/directives/{id}/attachments/{attachment}"))).send().await.expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let disposition = response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(disposition.starts_with("attachment; filename=\"chuong_trinh_05__ban_ky_.pdf\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"));
    let bytes = response.bytes().await.expect("bytes");
    assert_eq!(bytes.as_ref(), pdf.as_slice(), "byte-identical");

    // Oversized, a .pdf that is not a PDF, a .exe, a .docx that is a plain ZIP: refused.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'0');
    let (status, html) = upload(&client, &app, id, "lon.pdf", &big).await;
    assert_eq!(status, 422);
    assert!(html.contains("lớn hơn 10 MB"), "oversized");
    assert!(html.contains("id=\"file-error\""));
    let (status, html) = upload(&client, &app, id, "gia.pdf", b"MZ\x90\x00 this is a program").await;
    assert_eq!(status, 422);
    assert!(html.contains("không phải PDF"));
    let (status, html) = upload(&client, &app, id, "setup.exe", b"MZ\x90\x00\x03\x00").await;
    assert_eq!(status, 422);
    assert!(html.contains("Chỉ nhận tệp PDF"));
    let (status, _) = upload(&client, &app, id, "a.docx", b"PK\x03\x04 zip without word part").await;
    assert_eq!(status, 422);
    let docx = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
    let (status, _) = upload(&client, &app, id, "../../ke hoach.docx", &docx).await;
    assert_eq!(status, 303);
    let names: Vec<String> =
        sqlx::query_scalar("SELECT file_name FROM attachments WHERE directive_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .expect("names");
    assert_eq!(names, vec!["Chương trình 05 (bản ký).pdf".to_owned(), "ke hoach.docx".to_owned()]);

    // A commune cannot delete it; the issuing office can; both changes are audited.
    let commune = app.demo_client("xa.nhaplieu").await;
    let (status, _) =
        app.post_form_as(&commune, &format!("/directives/{id}/attachments/{attachment}/delete"), &[]).await;
    assert_eq!(status, 403);
    let (status, _) =
        app.post_form_as(&client, &format!("/directives/{id}/attachments/{attachment}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(audit_count(&app, "attachment", "create").await, 2);
    assert_eq!(audit_count(&app, "attachment", "delete").await, 1);
}

#[tokio::test]
async fn only_the_issuing_office_and_admins_above_edit_and_every_change_is_audited() {
    let app = TestApp::spawn_with_demo().await;
    let id = id_of(&app, "05-CTr/TU").await;
    let milestone = [("kind", "so_ket"), ("due_on", "30/06/2026"), ("description", "Sơ kết")];
    let target = [("indicator", "TL_DVHV"), ("comparator", ">="), ("value", "54"), ("year", "2021")];

    for refused in ["xa.nhaplieu", "huyen.quantri", "tinh.lanhdao", "tinh.duyet"] {
        let client = app.demo_client(refused).await;
        let (status, _) = app.get_as(&client, &format!("/directives/{id}/edit")).await;
        assert_eq!(status, 403, "{refused} edit form");
        let (status, _) = app.post_form_as(&client, &format!("/directives/{id}/milestones"), &milestone).await;
        assert_eq!(status, 403, "{refused} milestone");
        let (status, _) = app.post_form_as(&client, &format!("/directives/{id}/targets"), &target).await;
        assert_eq!(status, 403, "{refused} target");
        let (_, html) = app.get_as(&client, &format!("/directives/{id}")).await;
        assert!(!html.contains("Sửa thông tin văn bản"), "{refused} sees no edit button");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM milestones WHERE directive_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");

    let office = app.demo_client("tinh.nhaplieu").await;
    // An address that names no directive, malformed or unknown, is a 404 on every change route,
    // before the form is read.
    for path in ["/directives/x/edit", "/directives/999999/edit"] {
        assert_eq!(app.get_as(&office, path).await.0, 404, "{path}");
    }
    for path in [
        "/directives/x",
        "/directives/999999/tasks",
        "/directives/2147483648/targets",
        "/directives/-1/milestones",
        "/directives/999999/tasks/1/delete",
        "/directives/x/attachments/1/delete",
    ] {
        assert_eq!(app.post_form_as(&office, path, &milestone).await.0, 404, "{path}");
    }
    let (status, html) = app.get_as(&office, &format!("/directives/{id}/edit")).await;
    assert_eq!(status, 200);
    assert_eq!(Page::parse(&html).field("number").value, "05-CTr/TU");
    // A kind that is neither sơ kết nor tổng kết is refused next to its field, nothing saved.
    let midterm = [("kind", "giua_ky"), ("due_on", "30/06/2026"), ("description", "Giữa kỳ")];
    let (status, html) = app.post_form_as(&office, &format!("/directives/{id}/milestones"), &midterm).await;
    assert_eq!(status, 422);
    assert!(html.contains("Chọn sơ kết hoặc tổng kết."), "{html}");
    let (status, _) = app.post_form_as(&office, &format!("/directives/{id}/milestones"), &milestone).await;
    assert_eq!(status, 303);
    let (status, _) = app.post_form_as(&office, &format!("/directives/{id}/targets"), &target).await;
    assert_eq!(status, 303);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM milestones WHERE directive_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(after, count + 1);
    // A target with a range and a bad value comes back with the input.
    let bad = [("indicator", "BQ_MO_HINH_DVK"), ("comparator", "between"), ("value", "2"), ("value_max", "1")];
    let (status, html) = app.post_form_as(&office, &format!("/directives/{id}/targets"), &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"target-value-max-error\""));

    // A provincial admin may edit the province's documents, not another province's.
    let admin = app.demo_client("tinh.quantri").await;
    let (status, _) = app.get_as(&admin, &format!("/directives/{id}/edit")).await;
    assert_eq!(status, 200);
    let other = id_of(&app, "06-NQ/HU").await;
    let (status, _) = app.get_as(&admin, &format!("/directives/{other}/edit")).await;
    assert_eq!(status, 403);
    let central = id_of(&app, "25-NQ/TW").await;
    let (status, _) = app.get_as(&admin, &format!("/directives/{central}/edit")).await;
    assert_eq!(status, 403, "central documents are for national admins");
    let national = app.demo_client("quantri").await;
    let (status, _) = app.get_as(&national, &format!("/directives/{central}/edit")).await;
    assert_eq!(status, 200);

    // An edit by the office: saved, version bumped, audited with before and after.
    let opened = app.open_form(&office, &format!("/directives/{id}/edit"), "title").await;
    let implements = opened.value("implements").to_owned();
    let version = opened.value("version").to_owned();
    let edited = opened.clone().set("title", "Chương trình công tác dân vận năm 2021 (đã sửa)");
    let (status, _) = app.send(&office, &edited).await;
    assert_eq!(status, 303);
    let (title, new_version): (String, i32) = sqlx::query_as("SELECT title, version FROM directives WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("saved");
    assert_eq!(title, "Chương trình công tác dân vận năm 2021 (đã sửa)");
    assert_eq!(new_version.to_string(), (version.parse::<i32>().unwrap_or(0) + 1).to_string());
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM directive_links WHERE child_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("links");
    assert_eq!(links as usize, implements.split(',').count(), "links kept");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE entity = 'directive' AND action = 'update' AND entity_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .expect("audited");
    assert_ne!(before["title"], after["title"]);
    assert_eq!(after["title"], "Chương trình công tác dân vận năm 2021 (đã sửa)");
    assert_eq!(audit_count(&app, "milestone", "create").await, 1);
    assert_eq!(audit_count(&app, "target", "create").await, 1);

    // The same stale form again: refused as a conflict, the stored title named, what was
    // typed kept in the form (and still not savable: it keeps the version it was opened from).
    let (status, html) = app.send(&admin, &opened.set("title", "Một sửa đổi cũ")).await;
    assert_eq!(status, 409);
    assert!(html.contains("vừa được người khác sửa"));
    assert!(html.contains("(đã sửa)"), "the stored title is named");
    let kept = Page::parse(&html).fill("title");
    assert_eq!(kept.value("title"), "Một sửa đổi cũ", "what was typed stays");
    assert_eq!(kept.value("version"), version, "the form keeps the version it was opened from");
    let title: String = sqlx::query_scalar("SELECT title FROM directives WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("t");
    assert!(title.ends_with("(đã sửa)"));
}

#[tokio::test]
async fn the_milestones_page_marks_what_is_overdue() {
    let app = TestApp::spawn_with_demo().await;
    let today = danvan::units::today();
    let yesterday = (today - chrono::Duration::days(1)).format("%d/%m/%Y").to_string();
    let soon = (today + chrono::Duration::days(30)).format("%d/%m/%Y").to_string();
    let long_ago = (today - chrono::Duration::days(400)).format("%d/%m/%Y").to_string();
    let office = app.demo_client("tinh.nhaplieu").await;
    let programme = id_of(&app, "05-CTr/TU").await;
    for (due, text) in [(&yesterday, "Sơ kết quá hạn"), (&soon, "Tổng kết sắp tới"), (&long_ago, "Mốc rất cũ")]
    {
        let form = [("kind", "so_ket"), ("due_on", due.as_str()), ("description", text)];
        let (status, _) = app.post_form_as(&office, &format!("/directives/{programme}/milestones"), &form).await;
        assert_eq!(status, 303);
    }
    // Another province's document: not in a Kiên Giang commune's list.
    let national = app.demo_client("quantri").await;
    let other = id_of(&app, "06-NQ/HU").await;
    let form = [("kind", "tong_ket"), ("due_on", soon.as_str()), ("description", "Đức Trọng tổng kết")];
    let (status, _) = app.post_form_as(&national, &format!("/directives/{other}/milestones"), &form).await;
    assert_eq!(status, 303);

    let reader = app.demo_client("xa.lanhdao").await;
    let (status, html) = app.get_as(&reader, "/milestones").await;
    assert_eq!(status, 200);
    let overdue = html.split("Sắp đến hạn <span").next().unwrap_or("");
    assert!(overdue.contains("Sơ kết quá hạn"));
    assert!(overdue.contains("<span class=\"status-chua-dat\">Quá hạn</span>"));
    assert!(overdue.contains(&yesterday));
    assert!(!overdue.contains("Tổng kết sắp tới"));
    assert!(html.contains("Tổng kết sắp tới"));
    assert!(!html.contains("Mốc rất cũ"), "older than 365 days");
    assert!(!html.contains("Đức Trọng tổng kết"), "outside the user's branch");
    let (_, html) = app.get_as(&national, "/milestones").await;
    assert!(html.contains("Đức Trọng tổng kết"), "national users see every branch");
    // And on the directive's page.
    let (_, html) = app.get_as(&reader, &format!("/directives/{programme}")).await;
    assert!(html.contains("status-chua-dat\">Quá hạn"));
}

/// How long a page may take here (debug build, shared machine) before it counts as unbounded.
const QUICK: std::time::Duration = std::time::Duration::from_secs(8);

/// GET within [`QUICK`], or fail: an unbounded query or loop must not hang the test.
async fn get_quickly(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    tokio::time::timeout(QUICK, app.get_as(client, path))
        .await
        .unwrap_or_else(|_| panic!("GET {path} took over {QUICK:?}"))
}

/// Inserts a communal resolution `number` (with its search key) and returns its id.
async fn insert_directive(app: &TestApp, number: &str, title: &str, body: &str) -> i32 {
    app.directive(number, "Đảng ủy xã thử", "2021-06-01").title(title).body(body).insert().await.0
}

async fn link(app: &TestApp, child: i32, parent: i32) {
    sqlx::query("INSERT INTO directive_links (child_id, parent_id) VALUES ($1, $2)")
        .bind(child)
        .bind(parent)
        .execute(&app.pool)
        .await
        .expect("link");
}

/// The list items of a directive page's tree (`implements` or `implemented-by`).
fn tree_items(html: &str, class: &str) -> Vec<String> {
    let Some(list) = html.split(&format!("class=\"directive-tree {class}\"")).nth(1) else {
        return Vec::new();
    };
    let list = list.split("</ul>").next().unwrap_or("");
    list.split("<li>").skip(1).map(|item| item.split("</li>").next().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn the_implements_walk_ends_on_dense_layers_and_cycles() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.lanhdao").await;
    let root = id_of(&app, "25-NQ/TW").await;
    // 17 layers of 3, each directive implementing every directive of the layer above: 3^17
    // paths from the root, 51 directives.
    let mut above = vec![root];
    let mut layers = Vec::new();
    for layer in 0..17 {
        let mut here = Vec::new();
        for i in 0..3 {
            let id = insert_directive(&app, &format!("{}-NQ/ĐU", 100 + layer * 3 + i), "Lớp", "").await;
            for parent in &above {
                link(&app, id, *parent).await;
            }
            here.push(id);
        }
        layers.push(here.clone());
        above = here;
    }
    let started = std::time::Instant::now();
    let (status, html) = get_quickly(&client, &app, &format!("/directives/{root}")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < QUICK);
    let down = tree_items(&html, "implemented-by");
    // Each directive once, down to 10 levels (30 of ours, plus the demo's own).
    for (depth, layer) in layers.iter().enumerate() {
        for id in layer {
            let shown = down.iter().filter(|item| item.contains(&format!("href=\"/directives/{id}\""))).count();
            assert_eq!(shown, usize::from(depth < 10), "layer {depth}: directive {id} shown {shown} times");
        }
    }
    assert!(html.contains("chỉ hiện đến 10 cấp"), "the cut is said");
    // The parent each row was reached through is named.
    let second = down.iter().find(|item| item.contains(&format!("href=\"/directives/{}\"", layers[1][0]))).unwrap();
    assert!(second.contains("(qua 100-NQ/ĐU)"), "{second}");

    // Upwards from the bottom: the same caps.
    let bottom = layers[16][0];
    let (status, html) = get_quickly(&client, &app, &format!("/directives/{bottom}")).await;
    assert_eq!(status, 200);
    assert_eq!(tree_items(&html, "implements").len(), 3 * 10);
    assert!(html.contains("chỉ hiện đến 10 cấp"));

    // More directives than a page lists: cut at 200, said on the page.
    let wide = insert_directive(&app, "900-NQ/ĐU", "Gốc rộng", "").await;
    sqlx::query(
        "WITH made AS (
             INSERT INTO directives (number, kind, issuer, issuing_body, issued_on, title)
             SELECT n || '-KH/ĐU', 'KH', 'ĐU', 'Đảng ủy xã thử', '2022-01-01', 'Kế hoạch ' || n
             FROM generate_series(1, 230) n RETURNING id
         )
         INSERT INTO directive_links (child_id, parent_id) SELECT id, $1 FROM made",
    )
    .bind(wide)
    .execute(&app.pool)
    .await
    .expect("wide");
    let (status, html) = get_quickly(&client, &app, &format!("/directives/{wide}")).await;
    assert_eq!(status, 200);
    assert_eq!(tree_items(&html, "implemented-by").len(), 200);
    assert!(html.contains("có 230 văn bản, chỉ hiện 200 văn bản ở các cấp gần nhất"));

    // A cycle made behind the form's back (A implements B implements A) does not loop.
    let a = insert_directive(&app, "950-NQ/ĐU", "Vòng A", "").await;
    let b = insert_directive(&app, "951-NQ/ĐU", "Vòng B", "").await;
    link(&app, a, b).await;
    link(&app, b, a).await;
    let (status, html) = get_quickly(&client, &app, &format!("/directives/{a}")).await;
    assert_eq!(status, 200);
    for class in ["implements", "implemented-by"] {
        let items = tree_items(&html, class);
        assert_eq!(items.len(), 1, "{class}: {items:?}");
        assert!(items[0].contains(&format!("href=\"/directives/{b}\"")));
    }
}

#[tokio::test]
async fn one_directive_implements_at_most_twenty() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let numbers: Vec<String> = (1..=21).map(|n| format!("{n}-NQ/TW")).collect();
    let implements = numbers.join(", ");
    let form = [
        ("number", "1-NQ/ĐU"),
        ("issuing_body", "Đảng ủy xã"),
        ("unit_code", "30883"),
        ("issued_on", "2021-03-01"),
        ("title", "Nghị quyết nhiều nguồn"),
        ("status", "hieu_luc"),
        ("implements", implements.as_str()),
        ("version", "0"),
    ];
    let (status, html) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"implements-error\""));
    assert!(html.contains("tối đa 20 văn bản"), "the cap is named");
    assert!(html.contains("21-NQ/TW"), "the input is kept");
    // A pasted paragraph instead of numbers: refused on its length.
    let pasted = "25-NQ/TW ".repeat(200);
    let mut form = form;
    form[6] = ("implements", pasted.as_str());
    let (status, html) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("dài quá 1.000 ký tự"));
}

#[tokio::test]
async fn search_input_and_snippet_work_are_bounded() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.lanhdao").await;
    // An over-long search: a message next to the box, no search.
    let long = "dân vận ".repeat(40);
    let path = format!("/directives?q={}", percent_encode(&long));
    let (status, html) = get_quickly(&client, &app, &path).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"q-error\""));
    assert!(html.contains("Từ khóa dài quá 200 ký tự"));
    assert!(result_ids(&html).is_empty());

    // Texts of 1.5 MB with the match deep inside: the list stays quick and marks the match.
    let mut huge = Vec::new();
    for i in 0..6 {
        let body = format!(
            "{}Phát huy phong trào thi đua “Dân vận khéo” ở cơ sở.{}",
            "lorem ipsum ".repeat(100_000 + i * 1000),
            " dolor sit amet".repeat(20_000)
        );
        huge.push(insert_directive(&app, &format!("{}-NQ/ĐU", 700 + i), "Văn bản rất dài", &body).await);
    }
    let started = std::time::Instant::now();
    let (status, html) = get_quickly(&client, &app, "/directives?q=dan+van+kheo").await;
    assert_eq!(status, 200);
    let ids = result_ids(&html);
    for id in &huge {
        assert!(ids.contains(id), "{id} found");
        let card = html.split(&format!("<h2><a href=\"/directives/{id}\"")).nth(1).unwrap();
        let card = card.split("</li>").next().unwrap();
        assert!(card.contains("<mark>Dân vận khéo</mark>"), "{card}");
        assert!(card.len() < 2_000, "a bounded snippet, not the text");
    }
    let (status, html) = get_quickly(&client, &app, "/directives").await;
    assert_eq!(status, 200);
    assert!(html.len() < 1_000_000, "the list carries no full texts");
    assert!(started.elapsed() < QUICK);
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn an_overlong_title_or_text_is_refused_with_the_input_kept() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let title = format!("Trích yếu {}", "rất dài ".repeat(130));
    let body = "Nội dung. ".repeat(10_001);
    let form = [
        ("number", "2-NQ/ĐU"),
        ("issuing_body", "Đảng ủy xã"),
        ("unit_code", "30883"),
        ("issued_on", "2021-03-01"),
        ("title", title.as_str()),
        ("body", body.as_str()),
        ("status", "hieu_luc"),
        ("version", "0"),
    ];
    let (status, html) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"title-error\""));
    assert!(html.contains("quá giới hạn 1.000 ký tự"), "the title's cap is named");
    assert!(html.contains("id=\"body-error\""));
    assert!(html.contains("quá giới hạn 100.000 ký tự"), "the text's cap is named");
    assert!(html.contains(title.trim()), "the title is kept");
    assert!(html.contains("Nội dung. Nội dung."), "the text is kept");
    let count: i64 = app.scalar("SELECT count(*) FROM directives WHERE number = '2-NQ/ĐU'").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn attachments_refuse_bombs_and_disguised_files() {
    let app = TestApp::spawn_with_demo().await;
    let id = id_of(&app, "05-CTr/TU").await;
    // Permission comes before the body: a commune is refused whatever it sends.
    let commune = app.demo_client("xa.nhaplieu").await;
    let (status, _) = upload(&commune, &app, id, "a.pdf", &small_pdf()).await;
    assert_eq!(status, 403);

    let client = app.demo_client("tinh.nhaplieu").await;
    // 8 MB of zeros packed into a few KB, with the Word parts around it.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
        ("word/media/image1.bin", &zeros),
    ]);
    assert!(bomb.len() < 100 * 1024);
    let (status, html) = upload(&client, &app, id, "ke hoach.docx", &bomb).await;
    assert_eq!(status, 422);
    assert!(html.contains("giải nén quá lớn"), "a zip bomb is refused");
    // A program renamed .docx or .pdf, and a ZIP without the Word parts.
    let (status, html) = upload(&client, &app, id, "ke hoach.docx", b"MZ\x90\x00\x03\x00 program").await;
    assert_eq!(status, 422);
    assert!(html.contains("không phải văn bản Word"));
    let (status, html) = upload(&client, &app, id, "nghi quyet.pdf", b"MZ\x90\x00\x03\x00 program").await;
    assert_eq!(status, 422);
    assert!(html.contains("không phải PDF"));
    let plain = zip_of(&[("word/document.xml", b"<w:document/>"), ("setup.exe", b"MZ")]);
    let (status, _) = upload(&client, &app, id, "ke hoach.docx", &plain).await;
    assert_eq!(status, 422, "no [Content_Types].xml: not a Word document");
    // Oversized: refused, the message names the limit.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(10 * 1024 * 1024 + 10, b'0');
    let (status, html) = upload(&client, &app, id, "lon.pdf", &big).await;
    assert_eq!(status, 422);
    assert!(html.contains("lớn hơn 10 MB (giới hạn cho mỗi tệp đính kèm)"), "the limit is named");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE directive_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_target_stays_inside_the_issuing_subtree() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let id = id_of(&app, "05-CTr/TU").await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM targets WHERE directive_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    // 678 (Huyện Đức Trọng) is in another province.
    let outside = [
        ("indicator", "TL_DVHV"),
        ("comparator", ">="),
        ("value", "54"),
        ("year", "2021"),
        ("scope_unit", "678"),
        ("description", "Chỉ tiêu đặt nhầm tỉnh"),
    ];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/targets"), &outside).await;
    assert_eq!(status, 422);
    let page = Page::parse(&html);
    let unit = page.field_with_id("target-unit");
    assert_eq!(unit.value, "678", "the input is kept");
    let message = unit.message.expect("the message is next to the unit field");
    assert!(message.contains("không thuộc Tỉnh Kiên Giang"), "the message says why: {message}");
    assert_eq!(page.field_with_id("target-description").value, "Chỉ tiêu đặt nhầm tỉnh");
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM targets WHERE directive_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(after, before);
    // A district of the province is accepted.
    // A district of Kiên Giang.
    let district: String = app
        .scalar(
            "SELECT c.code FROM units c JOIN units p ON c.parent_id = p.id
         WHERE p.code = '91' AND (c.valid_from IS NULL OR c.valid_from <= '2020-12-15')
           AND (c.valid_to IS NULL OR c.valid_to >= '2020-12-15')
         ORDER BY c.code LIMIT 1",
        )
        .await;
    let inside = [("indicator", "TL_DVHV"), ("comparator", ">="), ("value", "54"), ("scope_unit", district.as_str())];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/targets"), &inside).await;
    assert_eq!(status, 303, "{}", html.split("field-error").nth(1).unwrap_or(""));
}

#[tokio::test]
async fn a_target_value_is_read_the_vietnamese_way_like_the_report_form() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let id = id_of(&app, "05-CTr/TU").await;
    let count = || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM targets WHERE directive_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("count");
        n
    };
    let before = count().await;
    // English style (12,345.6) and a dot that may be a decimal point (0.5) are refused, as on
    // the report form: the input comes back with the message next to the field.
    for typed in ["12,345.6", "0.5"] {
        let form = [("indicator", "TL_DVHV"), ("comparator", ">="), ("value", typed), ("description", "Số kiểu Anh")];
        let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/targets"), &form).await;
        assert_eq!(status, 422, "{typed}");
        let value = Page::parse(&html).field_with_id("target-value");
        assert_eq!(value.value, typed, "the input is kept");
        let message = value.message.unwrap_or_else(|| panic!("{typed}: no message next to the field"));
        assert!(message.contains("Không rõ dấu chấm"), "{typed}: the message says why: {message}");
        assert_eq!(count().await, before, "{typed}: nothing stored");
    }
    // The Vietnamese way is read exactly: 12.345,6 is twelve thousand and some.
    let form = [("indicator", "TL_DVHV"), ("comparator", ">="), ("value", "12.345,6"), ("description", "Số kiểu Việt")];
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/targets"), &form).await;
    assert_eq!(status, 303, "{}", html.split("field-error").nth(1).unwrap_or(""));
    let value: String =
        sqlx::query_scalar("SELECT value::text FROM targets WHERE directive_id = $1 AND description = 'Số kiểu Việt'")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("stored");
    assert_eq!(value, "12345.6");
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn a_task_with_reported_progress_is_kept_with_a_reason() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let id = id_of(&app, "05-CTr/TU").await;
    let task: i32 = sqlx::query_scalar("SELECT id FROM directive_tasks WHERE directive_id = $1 ORDER BY id LIMIT 1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("a task");
    let report = app.report("91", 2099, 1).status(Status::Draft).insert().await;
    sqlx::query("INSERT INTO report_task_progress (report_id, task_id, status) VALUES ($1, $2, 'dang_thuc_hien')")
        .bind(report)
        .bind(task)
        .execute(&app.pool)
        .await
        .expect("progress");
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}/tasks/{task}/delete"), &[]).await;
    assert_eq!(status, 409);
    assert!(html.contains("Nhiệm vụ đã có báo cáo tiến độ của 1 đơn vị, không xoá được"), "a clear refusal");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM directive_tasks WHERE id = $1")
        .bind(task)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(kept, 1);
    let progress: i64 = sqlx::query_scalar("SELECT count(*) FROM report_task_progress WHERE task_id = $1")
        .bind(task)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(progress, 1, "the history stays");
    // A task without progress is still deleted.
    let other: i32 =
        sqlx::query_scalar("SELECT id FROM directive_tasks WHERE directive_id = $1 AND id <> $2 ORDER BY id LIMIT 1")
            .bind(id)
            .bind(task)
            .fetch_one(&app.pool)
            .await
            .expect("another task");
    let (status, _) = app.post_form_as(&client, &format!("/directives/{id}/tasks/{other}/delete"), &[]).await;
    assert_eq!(status, 303);
}

// --- issue 14: codes as written, search, text from Word ---

/// A directive number is found however people type it: any order, spacing, case and accent,
/// and with the look-alike letter Ð (U+00D0) for Đ.
#[tokio::test]
async fn a_number_is_found_as_people_type_it() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("xa.nhaplieu").await;
    let qd09 = id_of(&app, "09-QĐ/TU").await;
    for typed in ["qd 09", "09 QĐ", "09-QĐ/TU", "09/QĐ-TU", "QĐ 9 TU", "09-Q\u{00D0}/TU", "tu 09 q\u{00F0}"] {
        let (status, html) = app.get_as(&client, &format!("/directives?q={}", percent_encode(typed))).await;
        assert_eq!(status, 200, "{typed}");
        let ids = result_ids(&html);
        assert_eq!(ids.first(), Some(&qd09), "“{typed}” lists 09-QĐ/TU first: {ids:?}");
    }
    // The number's parts must all match: "qd 09 hu" is not 09-QĐ/TU (issued by the Tỉnh ủy).
    let (_, html) = app.get_as(&client, &format!("/directives?q={}", percent_encode("qd 09 hu"))).await;
    assert!(!result_ids(&html).contains(&qd09), "qd 09 hu");
}

/// Ð (U+00D0) and ð (U+00F0) typed or pasted into a directive are stored as Đ and đ, in its
/// number too, and every search folds them: "dang uy" finds a title written with ð.
#[tokio::test]
async fn lookalike_letters_are_stored_as_d_with_stroke_and_folded_in_search() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let form = [
        ("number", "31-Q\u{00D0}/TU"),
        ("issuing_body", "Ban Thường vụ Tỉnh ủy Kiên Giang"),
        ("unit_code", "91"),
        ("issued_on", "2021-03-01"),
        ("title", "Quy chế phối hợp \u{00F0}ảng ủy và chính quyền"),
        ("body", "Dòng một\u{000B}dòng hai\u{000C}Đoạn mới\u{0007}cuối"),
        ("status", "hieu_luc"),
        ("version", "0"),
    ];
    let (status, html) = app.post_form_as(&client, "/directives", &form).await;
    assert_eq!(status, 303, "{html}");
    // Stored with Đ in its number.
    let (title, body): (String, String) = app.row("SELECT title, body FROM directives WHERE number = '31-QĐ/TU'").await;
    assert_eq!(title, "Quy chế phối hợp đảng ủy và chính quyền");
    assert_eq!(body, "Dòng một\u{2028}dòng hai\nĐoạn mới cuối", "Word's controls become breaks");
    let id = id_of(&app, "31-QĐ/TU").await;
    for typed in ["phoi hop dang uy", "phối hợp \u{00D0}ảng ủy", "31 QĐ"] {
        let (_, html) = app.get_as(&client, &format!("/directives?q={}", percent_encode(typed))).await;
        assert!(result_ids(&html).contains(&id), "“{typed}” finds the directive");
    }
    // Its page shows the text's line break as a break, with no control character.
    let (_, html) = app.get_as(&client, &format!("/directives/{id}")).await;
    assert!(html.contains("Dòng một<br>dòng hai"), "the line break is drawn");
    assert!(!html.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')), "nothing raw in the HTML");

    // Rows stored before: migration 0020 brings them to the same form (run again here on a row
    // written the old way; it is idempotent).
    let old =
        insert_directive(&app, "32-NQ/ĐU", "Nghị quyết \u{00D0}ảng ủy", "Một\u{000B}hai\u{000C}ba\u{0007}bốn").await;
    sqlx::raw_sql(include_str!("../../migrations/0020_text_as_written.sql")).execute(&app.pool).await.expect("0020");
    let (title, body, key): (String, String, String) =
        sqlx::query_as("SELECT title, body, search_key FROM directives WHERE id = $1")
            .bind(old)
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert_eq!((title.as_str(), body.as_str()), ("Nghị quyết Đảng ủy", "Một\u{2028}hai\nba bốn"));
    assert!(key.contains("nghi quyet dang uy"), "{key}");
}

/// A vertical tab and a form feed pasted from Word into the annual narrative become a line
/// break and a new paragraph, in the preview and in the DOCX: never glued words, nothing raw.
#[tokio::test]
async fn word_breaks_in_the_narrative_reach_the_preview_and_the_docx() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.user("f_prov", "91").role("nhap_lieu").signed_in().await;
    let (status, page) = app.get_as(&client, "/exports/annual/91/2020").await;
    assert_eq!(status, 200);
    let version = Page::parse(&page).field("version").value;
    let form = [("version", version.as_str()), ("ket_qua", "Dòng một\u{000B}dòng hai\u{000C}Trang mới\u{0001}cuối")];
    let (status, _) = app.post_form_as(&client, "/exports/annual/91/2020/narrative", &form).await;
    assert!(status == 303 || status == 200, "narrative saved ({status})");
    let stored: String = app
        .scalar(
            "SELECT n.ket_qua FROM annual_narratives n JOIN units u ON u.id = n.unit_id
             WHERE u.code = '91' AND n.year = 2020",
        )
        .await;
    assert_eq!(stored, "Dòng một\u{2028}dòng hai\nTrang mới cuối");

    let (_, page) = app.get_as(&client, "/exports/annual/91/2020").await;
    assert!(page.contains("Dòng một<br>dòng hai"), "the preview draws the line break");
    assert!(!page.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')), "nothing raw in the HTML");

    let response = client.get(app.url("/exports/annual/91/2020.docx")).send().await.expect("GET docx");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("document.xml"), &mut xml)
        .expect("read");
    let text: String = xml.split('<').map(|part| part.split_once('>').map_or(part, |(_, t)| t)).collect();
    assert!(text.contains("Dòng một"), "the narrative reaches the DOCX");
    assert!(!text.contains("Dòng mộtdòng hai") && !text.contains("haiTrang"), "no glued words");
    let between = xml.split("Dòng một").nth(1).and_then(|rest| rest.split("dòng hai").next()).unwrap_or("");
    assert!(between.contains("<w:br/>"), "a line break between the lines: {between}");
}

/// A number already issued on the same date is refused next to the number field (422, input
/// kept), also when two people save it at the same moment: the database's unique constraint
/// decides, and the one who comes second is told, never given a 500.
#[tokio::test]
async fn a_number_taken_meanwhile_is_refused_next_to_its_field() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.nhaplieu").await;
    let form = |number: &'static str, title: &'static str| {
        [
            ("number", number),
            ("issuing_body", "Ban Thường vụ Tỉnh ủy Kiên Giang"),
            ("unit_code", "91"),
            ("as_of", ""),
            ("issued_on", "15/12/2020"),
            ("title", title),
            ("body", "Nội dung."),
            ("status", "hieu_luc"),
            ("replaced_by", ""),
            ("implements", ""),
            ("version", "0"),
        ]
    };
    for (round, number) in ["31-KH/TU", "32-KH/TU", "33-KH/TU"].into_iter().enumerate() {
        let first = form(number, "Kế hoạch của người thứ nhất");
        let second = form(number, "Kế hoạch của người thứ hai");
        let (a, b) = tokio::join!(
            app.post_form_as(&client, "/directives", &first),
            app.post_form_as(&client, "/directives", &second)
        );
        let mut answers = [a, b];
        answers.sort_by_key(|(status, _)| *status);
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, [303, 422], "round {round}: one is saved, the other is told");
        let html = unescape(&answers[1].1);
        assert!(html.contains(&format!("Đã có văn bản {number} ban hành ngày 15/12/2020.")), "{html}");
        assert!(html.contains("id=\"number-error\""), "next to the number field");
        assert!(html.contains("Kế hoạch của người thứ"), "the input is kept");
    }
    // Editing another directive onto a taken number and date: the same message.
    let (status, _) = app.post_form_as(&client, "/directives", &form("34-KH/TU", "Kế hoạch khác")).await;
    assert_eq!(status, 303);
    let id = id_of(&app, "34-KH/TU").await;
    let mut edit = form("31-KH/TU", "Kế hoạch khác, đổi số");
    edit[10] = ("version", "1");
    let (status, html) = app.post_form_as(&client, &format!("/directives/{id}"), &edit).await;
    assert_eq!(status, 422);
    assert!(unescape(&html).contains("Đã có văn bản 31-KH/TU ban hành ngày 15/12/2020."));
    assert!(html.contains("Kế hoạch khác, đổi số"), "the input is kept");
}
