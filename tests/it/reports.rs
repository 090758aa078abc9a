//! Quarterly reports: entry the Vietnamese way, rules, the workflow and who may move it, stale
//! saves, input kept on errors, the API agreeing with the form, and the demo figures.

use danvan::auth::UserId;
use danvan::units::Level;
use serde_json::{Value, json};

use crate::common::{Page, TestApp, text};

const FORM: &str = "/reports/30883/2017-Q1";
const API: &str = "/api/v1/reports/30883/2017-Q1";

async fn version(app: &TestApp, client: &reqwest::Client) -> i64 {
    let body: Value = client.get(app.url(API)).send().await.expect("GET").json().await.expect("json");
    body["version"].as_i64().expect("version")
}

/// Posts the form with the given figures (field key → typed text) and extra fields.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    version: i64,
    action: &str,
    figures: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut form: Vec<(String, String)> =
        vec![("version".into(), version.to_string()), ("action".into(), action.into())];
    form.extend(figures.iter().map(|(k, v)| (format!("v.{k}"), v.to_string())));
    form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    text(client.post(app.url(FORM)).form(&form).send().await.expect("POST")).await
}

async fn status_of(app: &TestApp) -> String {
    app.scalar(
        "SELECT r.status FROM reports r JOIN units u ON u.id = r.unit_id
         WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
    )
    .await
}

/// The stored version of the report, read from the database (outsiders cannot GET it).
async fn stored_version(app: &TestApp) -> i32 {
    sqlx::query_scalar(
        "SELECT r.version FROM reports r JOIN units u ON u.id = r.unit_id
         WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
    )
    .fetch_optional(&app.pool)
    .await
    .expect("version")
    .unwrap_or(0)
}

/// The fields a browser would send from the form with this id (see [`Page::form_fields`]).
fn form_fields(page: &str, id: &str) -> Vec<(String, String)> {
    Page::parse(page).form_fields(id)
}

/// Opens the form as a browser does and sends it back with `changes` typed over it.
async fn browser_save(app: &TestApp, client: &reqwest::Client, changes: &[(&str, &str)]) -> (u16, String) {
    let (status, page) = text(client.get(app.url(FORM)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    send_form(app, client, &page, changes).await
}

/// Sends the report form that `page` holds, with `changes` typed over it, as "Lưu nháp".
async fn send_form(app: &TestApp, client: &reqwest::Client, page: &str, changes: &[(&str, &str)]) -> (u16, String) {
    let mut fields = form_fields(page, "report-form");
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((name.to_string(), value.to_string())),
        }
    }
    fields.push(("action".into(), "save".into()));
    text(client.post(app.url(FORM)).form(&fields).send().await.expect("POST")).await
}

/// [`browser_save`], which must be taken (303), then the report as the API gives it.
async fn browser_saved(app: &TestApp, client: &reqwest::Client, changes: &[(&str, &str)]) -> Value {
    let (status, page) = browser_save(app, client, changes).await;
    assert_eq!(status, 303, "{page}");
    api_document(app, client).await
}

async fn api_document(app: &TestApp, client: &reqwest::Client) -> Value {
    client.get(app.url(API)).send().await.expect("GET").json().await.expect("json")
}

async fn api_put(app: &TestApp, client: &reqwest::Client, body: Value) {
    let response = client.put(app.url(API)).json(&body).send().await.expect("PUT");
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

async fn catalogue_change(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&app.pool).await.expect("catalogue change");
}

#[tokio::test]
async fn a_form_save_keeps_the_figure_of_a_retired_element() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    api_put(&app, &staff, json!({"version": 0, "values": {"TD_DINH_KY": 7, "TD_DOT_XUAT": 4, "DOI_THOAI": 2}})).await;
    catalogue_change(&app, "UPDATE data_elements SET active = false WHERE code = 'DOI_THOAI'").await;

    let body = browser_saved(&app, &staff, &[("v.TD_DINH_KY", "8"), ("v.TD_DOT_XUAT", "")]).await;
    assert_eq!(body["values"]["TD_DINH_KY"], 8.0);
    assert_eq!(body["values"]["TD_DOT_XUAT"], Value::Null, "a field shown and emptied is removed");
    assert_eq!(body["other_values"]["DOI_THOAI"], 2.0, "the retired element's figure stays stored");
    let stored: Vec<f64> = sqlx::query_scalar(
        "SELECT v.value::float8 FROM report_values v JOIN reports r ON r.id = v.report_id JOIN units u ON u.id = r.unit_id
         WHERE v.element_code = 'DOI_THOAI' AND u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
    )
    .fetch_all(&app.pool)
    .await
    .expect("values");
    assert_eq!(stored, vec![2.0]);
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains("Số liệu đã lưu không còn trên biểu mẫu"));
    assert!(page.contains("Đối thoại trực tiếp với Nhân dân (DOI_THOAI)"), "shown read-only under the form");
    let snapshot: Value = app
        .scalar(
            "SELECT s.data FROM report_snapshots s JOIN reports r ON r.id = s.report_id JOIN units u ON u.id = r.unit_id
             WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1 ORDER BY s.version DESC LIMIT 1",
        )
        .await;
    assert_eq!(snapshot["values"]["DOI_THOAI"], 2.0, "and in the report's history");
    // A form that still holds the field (opened before it was retired) does not touch it either.
    let v = version(&app, &staff).await;
    let (status, _) = post_form(&app, &staff, v, "save", &[("TD_DINH_KY", "9"), ("DOI_THOAI", "")], &[]).await;
    assert_eq!(status, 303);
    assert_eq!(api_document(&app, &staff).await["other_values"]["DOI_THOAI"], 2.0);
}

#[tokio::test]
async fn a_form_save_keeps_the_figure_of_a_retired_organisation() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    api_put(&app, &staff, json!({"version": 0, "values": {"DVHV_HIEN_CO.HND": 100, "DVHV_HIEN_CO.MTTQ": 50}})).await;
    catalogue_change(&app, "UPDATE organisations SET active = false WHERE code = 'HND'").await;

    let body = browser_saved(&app, &staff, &[("v.DVHV_HIEN_CO.MTTQ", "60")]).await;
    assert_eq!(body["values"]["DVHV_HIEN_CO.MTTQ"], 60.0);
    assert_eq!(body["other_values"]["DVHV_HIEN_CO.HND"], 100.0);
}

#[tokio::test]
async fn a_form_save_keeps_the_figure_of_an_element_no_longer_reported_at_the_level() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    api_put(&app, &staff, json!({"version": 0, "values": {"TD_DINH_KY": 7, "DOI_THOAI": 2}})).await;
    let level: i16 = app.scalar("SELECT level FROM units WHERE code = '30883' ORDER BY valid_from LIMIT 1").await;
    catalogue_change(
        &app,
        &format!("UPDATE data_elements SET levels = array_remove(levels, {level}::smallint) WHERE code = 'DOI_THOAI'"),
    )
    .await;

    let body = browser_saved(&app, &staff, &[("v.TD_DINH_KY", "8")]).await;
    assert_eq!(body["values"]["TD_DINH_KY"], 8.0);
    assert_eq!(body["other_values"]["DOI_THOAI"], 2.0);
}

#[tokio::test]
async fn a_form_save_keeps_the_figure_of_an_element_whose_breakdown_changed() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    api_put(&app, &staff, json!({"version": 0, "values": {"TD_DINH_KY": 7}})).await;
    catalogue_change(&app, "UPDATE data_elements SET by_organisation = true WHERE code = 'TD_DINH_KY'").await;

    let body = browser_saved(&app, &staff, &[("v.TD_DINH_KY.MTTQ", "3")]).await;
    assert_eq!(body["values"]["TD_DINH_KY.MTTQ"], 3.0);
    assert_eq!(body["other_values"]["TD_DINH_KY"], 7.0, "the undivided figure stays");

    // And back: the parts stay when the element is no longer broken down.
    catalogue_change(&app, "UPDATE data_elements SET by_organisation = false WHERE code = 'TD_DINH_KY'").await;
    let body = browser_saved(&app, &staff, &[("v.TD_DINH_KY", "9")]).await;
    assert_eq!(body["values"]["TD_DINH_KY"], 9.0);
    assert_eq!(body["other_values"]["TD_DINH_KY.MTTQ"], 3.0);
}

#[tokio::test]
async fn a_conflict_page_does_not_overwrite_unless_asked_to() {
    let app = TestApp::spawn_with_demo().await;
    let first = app.demo_client("xa.nhaplieu").await;
    let second = app.user("xa.nhaplieu2", "30883").role("nhap_lieu").signed_in().await;
    api_put(&app, &first, json!({"version": 0, "values": {"TD_DINH_KY": 7}})).await;
    // The first opens version 1; the second saves 8 over it.
    let (_, opened) = text(first.get(app.url(FORM)).send().await.expect("GET")).await;
    let (status, _) = browser_save(&app, &second, &[("v.TD_DINH_KY", "8")]).await;
    assert_eq!(status, 303);

    let (status, page) = send_form(&app, &first, &opened, &[("v.TD_DINH_KY", "99")]).await;
    assert_eq!(status, 409);
    assert!(page.contains("Tiếp dân định kỳ: 7 → 8"), "what changed");
    assert!(page.contains(r#"name="version" value="1""#), "the page keeps the version opened");
    assert!(page.contains(r#"name="overwrite" value="2""#), "keeping mine is offered");
    assert!(page.contains(r#"data-stored="false""#), "the browser keeps its copy of this typing");
    assert!(page.contains("ghi đè 1 ô người khác vừa sửa: Tiếp dân định kỳ (8 → 99)"), "and names what it replaces");

    // Pressing "Lưu nháp" again on the conflict page is still refused.
    let (status, again) = send_form(&app, &first, &page, &[]).await;
    assert_eq!(status, 409);
    assert!(again.contains(r#"value="99""#), "the typing is still there");
    assert_eq!(api_document(&app, &first).await["values"]["TD_DINH_KY"], 8.0, "the other save is intact");

    // Only the explicit choice overwrites.
    let (status, _) = send_form(&app, &first, &again, &[("overwrite", "2")]).await;
    assert_eq!(status, 303);
    let body = api_document(&app, &first).await;
    assert_eq!(body["values"]["TD_DINH_KY"], 99.0);
    assert_eq!(body["version"], 3);
}

#[tokio::test]
async fn a_review_of_a_report_that_changed_since_is_refused() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let reviewer = app.demo_client("huyen.duyet").await;
    let (status, _) = post_form(&app, &staff, 0, "submit", &[("TD_DINH_KY", "3")], &[]).await;
    assert_eq!(status, 303);
    // The reviewer opens the submitted report.
    let (_, seen) = text(reviewer.get(app.url(FORM)).send().await.expect("GET")).await;
    let seen_fields = form_fields(&seen, "review-form");
    let seen_version = seen_fields.iter().find(|(n, _)| n == "version").map(|(_, v)| v.clone()).expect("version");
    assert_eq!(seen_version, stored_version(&app).await.to_string());
    // Meanwhile it is returned (by another reviewer) and the commune resubmits it changed.
    let (status, _) = text(
        reviewer
            .post(app.url(&format!("{FORM}/review")))
            .form(&[("action", "return"), ("remarks", "Bổ sung"), ("version", seen_version.as_str())])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, 303);
    let v = version(&app, &staff).await;
    let (status, _) = post_form(&app, &staff, v, "submit", &[("TD_DINH_KY", "5")], &[]).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "da_gui");

    // Accepting from the stale page is refused, with what changed and the remark kept.
    let stale = [("action", "accept"), ("remarks", "Số liệu đầy đủ"), ("version", seen_version.as_str())];
    let (status, page) =
        text(reviewer.post(app.url(&format!("{FORM}/review"))).form(&stale).send().await.expect("POST")).await;
    assert_eq!(status, 409);
    assert!(page.contains("đã thay đổi từ khi bạn mở"));
    assert!(page.contains("Tiếp dân định kỳ: 3 → 5"), "{page}");
    assert!(page.contains(">Số liệu đầy đủ</textarea>"), "the remark as typed");
    assert_eq!(status_of(&app).await, "da_gui", "nothing accepted");
    // Without any version the action is refused too.
    let (status, _) = text(
        reviewer.post(app.url(&format!("{FORM}/review"))).form(&[("action", "accept")]).send().await.expect("POST"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(status_of(&app).await, "da_gui");
    // From the refreshed page (it carries the version now shown) it goes through.
    let fields = form_fields(&page, "review-form");
    let mut fields: Vec<(String, String)> = fields;
    fields.push(("action".into(), "accept".into()));
    let (status, _) =
        text(reviewer.post(app.url(&format!("{FORM}/review"))).form(&fields).send().await.expect("POST")).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "da_duyet");
}

#[tokio::test]
async fn task_progress_is_kept_only_for_tasks_assigned_to_the_unit() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let directive = app.directive("99-CT/TW", "Ban Bí thư", "2016-01-01").title("Thử").insert().await;
    let task = |levels: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i32>(
                "INSERT INTO directive_tasks (directive_id, number, body, assigned_levels)
                 VALUES ($1, '1', 'Nhiệm vụ', $2::smallint[]) RETURNING id",
            )
            .bind(directive)
            .bind(levels)
            .fetch_one(&pool)
            .await
            .expect("task")
        }
    };
    let mine = task("{1,2,3}").await;
    let foreign = task("{}").await;
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains(&format!(r#"name="task.{mine}.status""#)));
    assert!(!page.contains(&format!(r#"name="task.{foreign}.status""#)));

    let mine_status = format!("task.{mine}.status");
    let foreign_status = format!("task.{foreign}.status");
    let foreign_note = format!("task.{foreign}.note");
    let (status, _) = send_form(
        &app,
        &staff,
        &page,
        &[
            (mine_status.as_str(), "hoan_thanh"),
            (foreign_status.as_str(), "hoan_thanh"),
            (foreign_note.as_str(), "Không phải của xã"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let stored: Vec<(i32, String)> =
        sqlx::query_as("SELECT task_id, status FROM report_task_progress ORDER BY task_id")
            .fetch_all(&app.pool)
            .await
            .expect("progress");
    assert!(stored.contains(&(mine, "hoan_thanh".to_owned())), "{stored:?}");
    assert!(stored.iter().all(|(id, _)| *id != foreign), "the unassigned task is not recorded: {stored:?}");
}

#[tokio::test]
async fn two_first_saves_at_once_give_one_save_and_one_conflict() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    for period in ["2017-Q2", "2017-Q3", "2017-Q4", "2018-Q1", "2018-Q2"] {
        let url = app.url(&format!("/api/v1/reports/30883/{period}"));
        let body = json!({"version": 0, "values": {"TD_DINH_KY": 1}});
        let (a, b) = tokio::join!(staff.put(&url).json(&body).send(), staff.put(&url).json(&body).send());
        let mut statuses = [a.expect("PUT").status().as_u16(), b.expect("PUT").status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{period}");
    }
}

#[tokio::test]
async fn signing_out_clears_the_report_copies_the_form_keeps() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains(r#"data-storage-key="danvan-report-"#), "the form's copies use the prefix logout.js clears");
    assert!(page.contains(r#"data-stored="true""#));
    assert!(page.contains(r#"<form method="post" action="/logout" id="logout-form">"#));
    assert!(page.contains(r#"<script src="/static/js/logout.js" defer></script>"#));
    let (status, script) = text(staff.get(app.url("/static/js/logout.js")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(script.contains(r#"getElementById("logout-form")"#));
    assert!(script.contains(r#"indexOf("danvan-report-") === 0"#));
}

#[tokio::test]
async fn staff_enter_vietnamese_numbers_and_errors_keep_the_typed_text() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let (status, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Báo cáo quý I năm 2017"));
    assert!(page.contains("quý IV năm 2016"), "the previous period beside each field");

    let (status, page) = post_form(
        &app,
        &staff,
        0,
        "save",
        &[("TD_DINH_KY", "1.234"), ("DVHV_HIEN_CO.HND", "12,345.6"), ("DOI_THOAI", "abc"), ("DON_TIEP_NHAN", "-5")],
        &[("ket_qua", "Kết quả quý I đã gõ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"value="12,345.6""#), "the typed text is kept");
    assert!(page.contains(r#"value="abc""#));
    assert!(page.contains("Không rõ dấu chấm là phân cách hàng nghìn hay thập phân"));
    assert!(page.contains("Không phải là số"));
    assert!(page.contains("không được âm"));
    assert!(page.contains("Kết quả quý I đã gõ"), "the narrative is kept");
    // The draft was saved, typed text included, so nothing is lost if the tab closes now.
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains(r#"value="1.234""#));
    assert!(page.contains(r#"value="12,345.6""#));
    let stored: danvan::figures::Decimal = app
        .scalar(
            "SELECT v.value FROM report_values v JOIN reports r ON r.id = v.report_id
             WHERE v.element_code = 'TD_DINH_KY' AND r.year = 2017",
        )
        .await;
    assert_eq!(stored, danvan::figures::Decimal::from(1234));
}

#[tokio::test]
async fn rules_block_submission_and_warnings_need_a_note() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    // An error rule (resolved > received) and seed 002's slip (143 ≠ 11 + 32 + 17 + 33 parts).
    let figures = [
        ("DON_TIEP_NHAN", "10"),
        ("DON_GIAI_QUYET", "12"),
        ("GS_TONG", "143"),
        ("GS_MTTQ", "32"),
        ("GS_BAN_TTND", "17"),
        ("GS_BAN_GSDTCD", "33"),
    ];
    let (status, page) = post_form(&app, &staff, 0, "submit", &figures, &[]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Số đơn đã giải quyết không được lớn hơn số đơn tiếp nhận"));
    assert!(page.contains("chưa gửi được"));
    assert_eq!(status_of(&app).await, "nhap");

    // Fix the errors; a warning remains (more represented citizens expected than representatives).
    let v = version(&app, &staff).await;
    let fixed = [
        ("DON_TIEP_NHAN", "12"),
        ("DON_GIAI_QUYET", "10"),
        ("GS_TONG", "82"),
        ("GS_MTTQ", "32"),
        ("GS_BAN_TTND", "17"),
        ("GS_BAN_GSDTCD", "33"),
        ("TD_NGUOI_DAI_DIEN", "10"),
        ("TD_LUOT_NGUOI_DAN", "3"),
    ];
    let (status, page) = post_form(&app, &staff, v, "submit", &fixed, &[]).await;
    assert_eq!(status, 422, "a warning without a note blocks submission");
    assert!(page.contains("Cảnh báo:"));
    assert!(page.contains("Ghi chú giải thích"));
    let v = version(&app, &staff).await;
    let (status, _) = post_form(
        &app,
        &staff,
        v,
        "submit",
        &fixed,
        &[("note.TD_LUOT_GE_NGUOI", "Một số người đại diện cho chính mình.")],
    )
    .await;
    assert_eq!(status, 303, "with the note it goes through");
    assert_eq!(status_of(&app).await, "da_gui");
}

#[tokio::test]
async fn the_workflow_moves_only_by_the_right_people() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let reviewer = app.demo_client("huyen.duyet").await;
    let leader = app.demo_client("tinh.lanhdao").await;
    let commune_reviewer = app.demo_client("xa.duyet").await;
    let other_district = app.user("khac.duyet", "906").role("duyet").signed_in().await;

    let (status, _) = post_form(&app, &staff, 0, "submit", &[("TD_DINH_KY", "3")], &[]).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "da_gui");

    // Submitted: the unit can no longer change it.
    let v = version(&app, &staff).await;
    let (status, page) = post_form(&app, &staff, v, "save", &[("TD_DINH_KY", "4")], &[]).await;
    assert_eq!(status, 409);
    assert!(page.contains("không sửa được"));

    let review = |client: &reqwest::Client, form: Vec<(&'static str, &'static str)>| {
        let client = client.clone();
        let app = &app;
        async move {
            // The review form carries the version the reviewer saw.
            let seen = stored_version(app).await.to_string();
            let mut form: Vec<(&str, &str)> = form;
            form.push(("version", &seen));
            text(client.post(app.url(&format!("{FORM}/review"))).form(&form).send().await.expect("POST")).await
        }
    };
    for outsider in [&leader, &commune_reviewer, &other_district, &staff] {
        let (status, _) = review(outsider, vec![("action", "accept")]).await;
        assert_eq!(status, 403);
    }
    let (status, page) = review(&reviewer, vec![("action", "return")]).await;
    assert_eq!(status, 422, "returning needs a remark");
    assert!(page.contains("Ghi ý kiến khi trả lại"));
    let (status, _) = review(
        &reviewer,
        vec![("action", "return"), ("remarks", "Kiểm tra lại số cuộc tiếp dân"), ("r.TD_DINH_KY", "Số này thấp")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "tra_lai");
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains("Kiểm tra lại số cuộc tiếp dân"), "the remark reaches the staff");
    assert!(page.contains("Cấp trên: Số này thấp"), "the field remark sits by the field");
    // A draft saved with a mistake while working through the remarks: the form drawn from what
    // was typed keeps them too.
    let v = version(&app, &staff).await;
    let (status, page) = post_form(&app, &staff, v, "save", &[("TD_DINH_KY", "ba")], &[]).await;
    assert_eq!(status, 422, "a figure that is not a number");
    assert!(page.contains("Cấp trên: Số này thấp"), "the field remark stays by the field");
    assert!(page.contains("Kiểm tra lại số cuộc tiếp dân"), "and the general remark");

    let v = version(&app, &staff).await;
    let (status, _) = post_form(&app, &staff, v, "submit", &[("TD_DINH_KY", "5")], &[]).await;
    assert_eq!(status, 303);
    let (status, _) = review(&reviewer, vec![("action", "accept")]).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "da_duyet");

    let (status, _) = review(&reviewer, vec![("action", "reopen")]).await;
    assert_eq!(status, 422, "reopening needs a reason");
    let (status, _) = review(&reviewer, vec![("action", "reopen"), ("remarks", "Bổ sung số liệu quý")]).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app).await, "tra_lai");

    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.to_status, e.actor_name FROM report_events e JOIN reports r ON r.id = e.report_id
         WHERE r.year = 2017 ORDER BY e.id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("events");
    let path: Vec<&str> = events.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(path, vec!["da_gui", "tra_lai", "da_gui", "da_duyet", "tra_lai"]);
    assert_eq!(events[1].1, "huyen.duyet");
    let (_, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert!(page.contains("Quá trình xử lý"));
    assert!(page.contains("Bổ sung số liệu quý"), "the timeline shows remarks");
}

/// A report corrected over and over (thousands of cycles under a script) does not make every
/// opening of its form read and render its whole history: the timeline shows the latest 20
/// transitions and how many came before, and the whole history on request.
#[tokio::test]
async fn the_timeline_shows_the_latest_transitions_and_the_rest_on_request() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    api_put(&app, &staff, json!({"version": 0, "values": {"TD_DINH_KY": 1}})).await;
    sqlx::query(
        "INSERT INTO report_events (report_id, at, actor_name, from_status, to_status, remarks)
         SELECT r.id, timestamptz '2017-04-01 08:00+07' + n * interval '1 hour', 'huyen.duyet',
                'da_gui', 'tra_lai', 'Lượt trả lại ' || lpad(n::text, 2, '0')
         FROM reports r JOIN units u ON u.id = r.unit_id, generate_series(1, 25) AS n
         WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
    )
    .execute(&app.pool)
    .await
    .expect("events");
    let (status, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let shown = |page: &str| (1..=25).filter(|n| page.contains(&format!("Lượt trả lại {n:02}"))).collect::<Vec<_>>();
    assert_eq!(shown(&page), (6..=25).collect::<Vec<_>>(), "the latest 20, oldest first");
    assert!(page.find("Lượt trả lại 06") < page.find("Lượt trả lại 25"));
    assert!(page.contains("20 lần gần nhất; còn 5 lần trước đó."), "the earlier ones are counted");
    assert!(page.contains(r#"<ol class="timeline" start="6">"#), "numbered from the 6th");
    let (status, page) = text(staff.get(app.url(&format!("{FORM}?lich_su=tat_ca"))).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert_eq!(shown(&page), (1..=25).collect::<Vec<_>>(), "the whole history on request");
    assert!(!page.contains("lần trước đó"));
}

#[tokio::test]
async fn a_stale_save_is_refused_and_shows_what_changed() {
    let app = TestApp::spawn_with_demo().await;
    let first = app.demo_client("xa.nhaplieu").await;
    let second = app.user("xa.nhaplieu2", "30883").role("nhap_lieu").signed_in().await;
    let (status, _) = post_form(&app, &first, 0, "save", &[("TD_DINH_KY", "7")], &[]).await;
    assert_eq!(status, 303);
    // Both open version 1; the first saves again, then the second's save is stale.
    let (status, _) = post_form(&app, &first, 1, "save", &[("TD_DINH_KY", "8"), ("DOI_THOAI", "2")], &[]).await;
    assert_eq!(status, 303);
    let (status, page) = post_form(&app, &second, 1, "save", &[("TD_DINH_KY", "99")], &[]).await;
    assert_eq!(status, 409);
    assert!(page.contains("vừa được người khác lưu"));
    assert!(page.contains("Tiếp dân định kỳ: 7 → 8"), "{page}");
    assert!(page.contains(r#"value="99""#), "the second person's typing is kept on the page");
    let stored: danvan::figures::Decimal = app
        .scalar(
            "SELECT v.value FROM report_values v JOIN reports r ON r.id = v.report_id
             WHERE v.element_code = 'TD_DINH_KY' AND r.year = 2017",
        )
        .await;
    assert_eq!(stored, danvan::figures::Decimal::from(8), "nothing overwritten");

    // The API refuses the same way.
    let response =
        second.put(app.url(API)).json(&json!({"version": 1, "values": {"TD_DINH_KY": 5}})).send().await.expect("PUT");
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["current_version"], 2);
}

#[tokio::test]
async fn the_api_and_the_form_agree() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let body: Value = staff.get(app.url(API)).send().await.expect("GET").json().await.expect("json");
    assert_eq!(body["version"], 0);
    assert_eq!(body["period_label"], "quý I năm 2017");
    let first_key = body["values"].as_object().and_then(|m| m.keys().next().cloned()).expect("a field");
    assert_eq!(first_key, "TD_DINH_KY", "catalogue order");

    let response = staff
        .put(app.url(API))
        .json(&json!({"version": 0, "values": {"TD_DINH_KY": "1.234", "DVHV_HIEN_CO.HND": "585.160", "DUONG_GTNT_KM": "46,1"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["values"]["TD_DINH_KY"], 1234.0);
    assert_eq!(body["values"]["DVHV_HIEN_CO.HND"], 585160.0);
    assert_eq!(body["values"]["DUONG_GTNT_KM"], 46.1);

    // The same bad input gets the same message from both.
    for bad in ["12,345.6", "1.23.4", "abc", "-5", "51,95"] {
        let response = staff
            .put(app.url(API))
            .json(&json!({"version": 1, "values": {"TD_DINH_KY": bad}}))
            .send()
            .await
            .expect("PUT");
        assert_eq!(response.status(), 422, "{bad}");
        let api: Value = response.json().await.expect("json");
        let message = api["errors"]["TD_DINH_KY"].as_str().expect("message").to_owned();
        let v = version(&app, &staff).await;
        let (status, page) = post_form(&app, &staff, v, "save", &[("TD_DINH_KY", bad)], &[]).await;
        assert_eq!(status, 422, "{bad}");
        let escaped = message.replace('(', "&#40;").replace(')', "&#41;");
        assert!(page.contains(&message) || page.contains(&escaped), "{bad}: {message}");
    }
    let response =
        staff.put(app.url(API)).json(&json!({"version": 0, "values": {"TD_DINH_KY": -1}})).send().await.expect("PUT");
    assert_eq!(response.status(), 422, "JSON numbers obey the same rules");
    let response =
        staff.put(app.url(API)).json(&json!({"version": 0, "values": {"KHONG_CO": 1}})).send().await.expect("PUT");
    assert_eq!(response.status(), 422);
}

/// A figure with many digits is exact all the way: typed, stored (`numeric`), served by the
/// API, added up with a neighbour's figure, exported to CSV and XLSX.
#[tokio::test]
async fn a_figure_with_many_digits_round_trips_exactly() {
    use calamine::{Data, Reader, Xlsx};

    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let response = staff
        .put(app.url(API))
        .json(&json!({"version": 0, "values": {"DUONG_GTNT_KM": "123.456.789.012,345"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains(r#""DUONG_GTNT_KM":123456789012.345,"#), "{body}");
    let (stored, kind): (String, String) = app
        .row(
            "SELECT v.value::text, pg_typeof(v.value)::text
         FROM report_values v JOIN reports r ON r.id = v.report_id JOIN units u ON u.id = r.unit_id
         WHERE v.element_code = 'DUONG_GTNT_KM' AND u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
        )
        .await;
    assert_eq!((stored.as_str(), kind.as_str()), ("123456789012.345", "numeric"));

    // A neighbour in the same district sends 0,001 as a JSON number.
    let neighbour = app.user("xa2.nhaplieu", "30886").role("nhap_lieu").signed_in().await;
    let response = neighbour
        .put(app.url("/api/v1/reports/30886/2017-Q1"))
        .json(&json!({"version": 0, "values": {"DUONG_GTNT_KM": 0.001}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    // Accepted without the workflow (tested elsewhere): the roll-ups are rebuilt.
    sqlx::query(
        "UPDATE reports SET status = 'da_duyet' WHERE year = 2017 AND quarter = 1
           AND unit_id IN (SELECT id FROM units WHERE code IN ('30883', '30886') AND valid_to IS NOT NULL)",
    )
    .execute(&app.pool)
    .await
    .expect("accept");
    danvan::dashboards::rollup::rebuild(&app.pool).await.expect("rebuild roll-ups");

    // The district adds its communes: 123.456.789.012,346 to the last digit (in doubles the
    // sum read 123456789012.34601).
    let leader = app.demo_client("tinh.lanhdao").await;
    for unit in ["905", "91"] {
        let (status, body) =
            text(leader.get(app.url(&format!("/api/v1/aggregates/{unit}?period=2017-Q1"))).send().await.expect("GET"))
                .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(r#""DUONG_GTNT_KM":123456789012.346,"#)
                || body.contains(r#""DUONG_GTNT_KM":123456789012.346}"#),
            "{unit}: {body}"
        );
    }

    // Exports: the CSV writes it the Vietnamese way, the XLSX cell holds the same number.
    let response = leader.get(app.url("/exports/values/905/2017.csv")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("csv");
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(bytes.as_ref())
        .records()
        .collect::<Result<_, _>>()
        .expect("csv rows");
    let value_of = |unit: &str| {
        rows.iter().find(|r| &r[0] == unit && &r[2] == "DUONG_GTNT_KM").map(|r| r[4].to_owned()).expect("a row")
    };
    assert_eq!(value_of("30883"), "123.456.789.012,345");
    assert_eq!(value_of("30886"), "0,001");
    let response = leader.get(app.url("/exports/values/905/2017.xlsx")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("xlsx").to_vec();
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = workbook.worksheet_range("values").expect("sheet");
    let cell = sheet
        .rows()
        .find(|r| r[0] == "30883" && r[2] == "DUONG_GTNT_KM")
        .map(|r| r[4].clone())
        .expect("the figure's row");
    assert_eq!(cell, Data::Float(123_456_789_012.345));
    assert_eq!(
        danvan::figures::from_f64(123_456_789_012.345).map(|d| d.to_string()).as_deref(),
        Some("123456789012.345")
    );
}

#[tokio::test]
async fn the_api_keeps_to_the_callers_scope() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    for path in ["/api/v1/reports/30886/2017-Q1", "/reports/30886/2017-Q1"] {
        let status = staff.get(app.url(path)).send().await.expect("GET").status().as_u16();
        assert!([403, 404].contains(&status), "{path}: {status}");
    }
    let response = staff
        .put(app.url("/api/v1/reports/30886/2017-Q1"))
        .json(&json!({"version": 0, "values": {"TD_DINH_KY": 1}}))
        .send()
        .await
        .expect("PUT");
    assert!([403, 404].contains(&response.status().as_u16()));
    let saved: i64 = app
        .scalar(
            "SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id WHERE u.code = '30886' AND r.year = 2017",
        )
        .await;
    assert_eq!(saved, 0, "nothing written for the other commune");
    // The district leader reads, but cannot write.
    let leader = app.demo_client("huyen.lanhdao").await;
    assert_eq!(leader.get(app.url(API)).send().await.expect("GET").status(), 200);
    let response = leader.put(app.url(API)).json(&json!({"version": 0, "values": {}})).send().await.expect("PUT");
    assert_eq!(response.status(), 403);
    // Unknown codes and periods are 404; anonymous calls are 401.
    assert_eq!(staff.get(app.url("/api/v1/reports/99999/2017-Q1")).send().await.expect("GET").status(), 404);
    assert_eq!(staff.get(app.url("/api/v1/reports/30883/2017-Q5")).send().await.expect("GET").status(), 404);
    // The address is read at the boundary, with the same answers: a period that names no
    // quarter is a 404 (the API's in its words), a malformed code the 404 of an unknown one.
    let response = staff.get(app.url("/api/v1/reports/30883/2017")).send().await.expect("GET");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("kỳ không hợp lệ (viết 2021-Q1)")), "{body}");
    let response = staff.get(app.url("/api/v1/reports/abc/2017-Q1")).send().await.expect("GET");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["error"].as_str().is_some_and(|e| e.starts_with("Không có mã abc.")), "{body}");
    for path in ["/reports/30883/2017-Q5", "/reports/30883/2017-H1", "/reports/abc/2017-Q1", "/reports/4/2017-Q1"] {
        assert_eq!(staff.get(app.url(path)).send().await.expect("GET").status(), 404, "{path}");
    }
    assert_eq!(reqwest::get(app.url(API)).await.expect("GET").status(), 401);
    // After the reform, code 30883 names no unit: the code is resolved against the period.
    assert_eq!(staff.get(app.url("/api/v1/reports/30883/2026-Q1")).send().await.expect("GET").status(), 404);
}

#[tokio::test]
async fn the_reviewers_overview_shows_who_reported_and_when() {
    let app = TestApp::spawn_with_demo().await;
    let reviewer = app.demo_client("huyen.duyet").await;
    let (status, page) = text(reviewer.get(app.url("/reviews?period=2020-Q4")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Duyệt báo cáo quý IV năm 2020"));
    assert!(page.contains("Xã Mong Thọ A"));
    assert!(page.contains("Đã duyệt"));
    assert!(page.contains("Gửi đúng hạn") || page.contains("Gửi muộn"));
    let (_, page) = text(reviewer.get(app.url("/reviews?period=2017-Q1")).send().await.expect("GET")).await;
    assert!(page.contains("Chưa gửi — quá hạn"), "a quarter nobody reported is overdue");
    assert!(page.contains("Đã gửi 0/"));
    let staff = app.demo_client("xa.nhaplieu").await;
    assert_eq!(staff.get(app.url("/reviews")).send().await.expect("GET").status(), 403);
}

#[tokio::test]
async fn the_demo_reproduces_seed_002() {
    let app = TestApp::spawn_with_demo().await;
    let sum = |code: &'static str, quarters: &'static str| {
        let pool = app.pool.clone();
        async move {
            let sql = format!(
                "SELECT COALESCE(sum(v.value), 0) FROM report_values v JOIN reports r ON r.id = v.report_id
                 JOIN units u ON u.id = r.unit_id
                 WHERE v.element_code = $1 AND r.year = 2020 AND r.quarter IN ({quarters}) AND r.status = 'da_duyet'
                   AND u.path <@ (SELECT path FROM units WHERE code = '91' AND valid_to IS NOT NULL)"
            );
            let sum: danvan::figures::Decimal =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(code).fetch_one(&pool).await.expect("sum");
            danvan::figures::to_f64(sum)
        }
    };
    assert_eq!(sum("DVHV_HIEN_CO", "4").await, 585_160.0);
    assert_eq!(sum("DVHV_DOI_TUONG", "4").await, 1_126_391.0);
    assert_eq!(sum("DON_TIEP_NHAN", "1,2,3,4").await, 436.0);
    assert_eq!(sum("DON_GIAI_QUYET", "1,2,3,4").await, 340.0);
    assert_eq!(sum("XA_NTM", "4").await, 81.0);
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT status FROM reports ORDER BY 1").fetch_all(&app.pool).await.expect("q");
    assert!(statuses.contains(&"tra_lai".to_owned()), "a returned report");
    let late: i64 = app
        .scalar(
            "SELECT count(*) FROM reports r WHERE r.submitted_at IS NOT NULL
         AND r.submitted_at::date > make_date(r.year, r.quarter * 3, 21)",
        )
        .await;
    assert!(late > 0, "some reports came late");
}

#[tokio::test]
async fn personal_api_tokens_work_until_revoked() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let (status, page) = text(
        staff
            .post(app.url("/profile/tokens"))
            .form(&[("name", "Phần mềm tổng hợp"), ("password", danvan::demo::DEMO_PASSWORD)])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, 200);
    let start = page.find("dv_").expect("the token is shown once");
    let token: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE token_hash = sha256($1::bytea)")
        .bind(token.as_bytes())
        .fetch_one(&app.pool)
        .await
        .expect("q");
    assert_eq!(stored, 1, "stored as a digest");

    let bare = reqwest::Client::new();
    let response = bare.get(app.url(API)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let response = bare
        .put(app.url(API))
        .bearer_auth(&token)
        .json(&json!({"version": 0, "values": {"TD_DINH_KY": "2.000"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let response = bare.get(app.url("/api/v1/reports/30886/2017-Q1")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 403, "a token carries its owner's scope");

    let id: i32 = app.scalar("SELECT id FROM api_tokens").await;
    let response = staff.post(app.url(&format!("/profile/tokens/{id}/revoke"))).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    let response = bare.get(app.url(API)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 401, "revoked");
}

#[tokio::test]
async fn the_home_page_follows_the_role() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let (status, page) = text(staff.get(app.url("/")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Mở báo cáo"), "data entry sees its report due");
    assert!(!page.contains("đang chờ duyệt"));
    let reviewer = app.demo_client("huyen.duyet").await;
    let (_, page) = text(reviewer.get(app.url("/")).send().await.expect("GET")).await;
    assert!(page.contains("đang chờ duyệt"), "a reviewer sees the reviews waiting");
    assert!(!page.contains("Mở báo cáo"));
}

/// `store::save_many` (the import's save) gives each report what `store::save` gives it:
/// figures replaced, cleared or kept, typed text merged, notes, a new version, its snapshot,
/// the editor; a new report is created; a stale or accepted report stops the whole batch.
#[tokio::test]
async fn a_batch_save_writes_what_one_save_each_writes() {
    use danvan::figures::Decimal;
    use danvan::reports::store::{self, Draft, Narrative, ReportId, Save, SaveError, Status};
    use std::collections::BTreeMap;

    let app = TestApp::spawn_with_demo().await;
    let units = three_communes(&app).await;
    let (by_one, by_batch, new) = (units[0], units[1], units[2]);
    let user: UserId = app.scalar("SELECT id FROM users WHERE username = 'xa.nhaplieu'").await;
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let figures = |pairs: &[(&str, i64)]| -> BTreeMap<String, Decimal> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Decimal::from(*v))).collect()
    };

    // The same start for both reports.
    let start = Draft {
        values: figures(&[("TD_DINH_KY", 3), ("DON_TIEP_NHAN", 7), ("CB_MTDT_TONG.HND", 20)]),
        raw_inputs: map(&[("TD_DINH_KY", "3"), ("DOI_THOAI", "ba")]),
        narrative: Some(Narrative { ket_qua: "Kết quả quý I.".to_owned(), ..Narrative::default() }),
        ..Draft::default()
    };
    for unit in [by_one, by_batch] {
        let mut tx = app.pool.begin().await.expect("tx");
        store::save(&mut tx, unit, quarter(2017, 1), 0, &start, (user, "xa.nhaplieu")).await.expect("save");
        tx.commit().await.expect("commit");
    }
    // A figure replaced, one cleared, one added, one kept; typed text merged; a note.
    let change = Draft {
        values: figures(&[("TD_DINH_KY", 5), ("DOI_THOAI", 2)]),
        cleared: vec!["DON_TIEP_NHAN".to_owned()],
        raw_inputs: map(&[("TD_DINH_KY", "5"), ("DOI_THOAI", "2")]),
        rule_notes: Some(map(&[("R_DON", "Đơn chuyển sang quý sau.")])),
        ..Draft::default()
    };
    let mut tx = app.pool.begin().await.expect("tx");
    let one = store::save(&mut tx, by_one, quarter(2017, 1), 1, &change, (user, "xa.nhaplieu")).await.expect("save");
    tx.commit().await.expect("commit");
    let mut tx = app.pool.begin().await.expect("tx");
    let saves = [
        Save { unit_id: by_batch, quarter: quarter(2017, 1), expected_version: 1, draft: &change },
        Save { unit_id: new, quarter: quarter(2017, 1), expected_version: 0, draft: &change },
    ];
    let batch = store::save_many(&mut tx, &saves, (Some(user), "xa.nhaplieu")).await.expect("save_many");
    tx.commit().await.expect("commit");

    assert_eq!(batch.len(), 2);
    let shown = |r: &store::Report| {
        (r.status, r.version, r.raw_inputs.0.clone(), r.rule_notes.0.clone(), r.narrative(), r.year, r.quarter)
    };
    assert_eq!(shown(&batch[0]), shown(&one));
    assert_eq!(batch[0].unit_id, by_batch);
    assert_eq!(one.raw_inputs.0, map(&[("DOI_THOAI", "2"), ("TD_DINH_KY", "5")]), "typed text merged");
    let values = |id: ReportId| {
        let pool = app.pool.clone();
        async move { store::values(&pool, id).await.expect("values") }
    };
    let expected = figures(&[("CB_MTDT_TONG.HND", 20), ("DOI_THOAI", 2), ("TD_DINH_KY", 5)]);
    assert_eq!(values(one.id).await, expected);
    assert_eq!(values(batch[0].id).await, expected);
    let snapshot = |id: ReportId, version: i32| {
        let pool = app.pool.clone();
        async move { store::snapshot(&pool, id, version).await.expect("snapshot").expect("a snapshot") }
    };
    assert_eq!(snapshot(batch[0].id, 2).await, snapshot(one.id, 2).await);
    assert_eq!(snapshot(batch[0].id, 2).await.values, expected);
    let editors: Vec<(Option<UserId>, String)> = sqlx::query_as(
        "SELECT r.updated_by, s.saved_by FROM reports r JOIN report_snapshots s ON s.report_id = r.id
         WHERE r.id = ANY($1) AND s.version = r.version ORDER BY r.id",
    )
    .bind(vec![one.id, batch[0].id, batch[1].id])
    .fetch_all(&app.pool)
    .await
    .expect("editors");
    assert_eq!(editors, vec![(Some(user), "xa.nhaplieu".to_owned()); 3]);
    // The new report: created as a draft, at version 1, with the change alone.
    assert_eq!((batch[1].unit_id, batch[1].version, batch[1].status), (new, 1, Status::Draft));
    assert_eq!(values(batch[1].id).await, figures(&[("DOI_THOAI", 2), ("TD_DINH_KY", 5)]));

    // A stale report in the batch: refused with its index, and nothing of the batch stays.
    let mut tx = app.pool.begin().await.expect("tx");
    let saves = [
        Save { unit_id: new, quarter: quarter(2017, 1), expected_version: 1, draft: &start },
        Save { unit_id: by_one, quarter: quarter(2017, 1), expected_version: 1, draft: &start },
    ];
    let refused = store::save_many(&mut tx, &saves, (None, "cli")).await.expect_err("stale");
    assert_eq!(refused.index, Some(1));
    assert!(matches!(refused.error, SaveError::Stale { current: 2 }), "{:?}", refused.error);
    tx.rollback().await.expect("rollback");
    assert_eq!(values(batch[1].id).await, figures(&[("DOI_THOAI", 2), ("TD_DINH_KY", 5)]));
    // An accepted report (the demo's 2021-Q3) is locked.
    let accepted =
        store::find(&app.pool, by_one, danvan::reports::Quarter::fixed(2021, 3)).await.expect("find").expect("report");
    assert_eq!(accepted.status, Status::Accepted);
    let mut tx = app.pool.begin().await.expect("tx");
    let saves =
        [Save { unit_id: by_one, quarter: quarter(2021, 3), expected_version: accepted.version, draft: &change }];
    let refused = store::save_many(&mut tx, &saves, (None, "cli")).await.expect_err("locked");
    assert_eq!(refused.index, Some(0));
    assert!(matches!(refused.error, SaveError::Locked(Status::Accepted)), "{:?}", refused.error);
}

/// While an import's batch is open (uncommitted), saves of other reports — a first save too,
/// and a move through the workflow — go through without waiting: the batch locks only the rows
/// of the reports it writes.
#[tokio::test]
async fn a_batch_save_locks_only_the_reports_it_writes() {
    use danvan::figures::Decimal;
    use danvan::reports::store::{self, Draft, Save, Status};

    let app = TestApp::spawn_with_demo().await;
    let units = three_communes(&app).await;
    let draft =
        Draft { values: [("TD_DINH_KY".to_owned(), Decimal::from(4))].into_iter().collect(), ..Draft::default() };
    // An existing report of another unit, to save and submit beside the batch.
    let mut tx = app.pool.begin().await.expect("tx");
    store::save(&mut tx, units[2], quarter(2017, 1), 0, &draft, (UserId(1), "kiểm tra")).await.expect("save");
    tx.commit().await.expect("commit");

    let mut batch = app.pool.begin().await.expect("tx");
    let saves = [
        Save { unit_id: units[0], quarter: quarter(2017, 1), expected_version: 0, draft: &draft },
        Save { unit_id: units[1], quarter: quarter(2017, 1), expected_version: 0, draft: &draft },
    ];
    store::save_many(&mut batch, &saves, (None, "cli")).await.expect("save_many");

    let mut other = app.pool.begin().await.expect("tx");
    sqlx::query("SET LOCAL lock_timeout = '2s'").execute(&mut *other).await.expect("timeout");
    let saved =
        store::save(&mut other, units[2], quarter(2017, 1), 1, &draft, (UserId(1), "kiểm tra")).await.expect("a save");
    store::save(&mut other, units[0], quarter(2017, 2), 0, &draft, (UserId(1), "kiểm tra"))
        .await
        .expect("a first save");
    // No server runs here, so no dashboard cache to tell of the move.
    let _change =
        store::transition(&mut other, &saved, Status::Submitted, (UserId(1), "kiểm tra"), "", &Default::default())
            .await
            .expect("a submission");
    other.commit().await.expect("commit beside the open batch");
    batch.commit().await.expect("commit the batch");
}

/// A quarter for the store's calls.
fn quarter(year: i32, number: u8) -> danvan::reports::Quarter {
    danvan::reports::Quarter::new(year, number).expect("a quarter")
}

/// The ids of three communes of the demo district in 2017-Q1 (the batch save tests).
async fn three_communes(app: &TestApp) -> Vec<danvan::units::UnitId> {
    let on = chrono::NaiveDate::from_ymd_opt(2017, 3, 31).expect("date");
    let mut units = Vec::new();
    for code in ["30883", "30886", "30889"] {
        let unit = danvan::units::queries::resolve(&app.pool, code, on).await.expect("query").expect("unit");
        units.push(unit.id);
    }
    units
}

/// Today's An Giang reviews 100+ communes directly: the overview groups them by what the
/// reviewer has to do, the ones waiting first and open, the accepted ones folded.
#[tokio::test]
async fn a_province_of_today_reviews_its_communes_grouped() {
    let app = TestApp::spawn_with_demo().await;
    let reviewer = app.user("ag.duyet.overview", "91").on("2025-07-01").role("duyet").signed_in().await;
    let (status, page) = text(reviewer.get(app.url("/reviews?period=2026-Q2")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let total: usize = page.matches("<tr>").count().saturating_sub(page.matches("<thead>").count());
    assert!(total > 100, "the communes of today, directly below the province: {total}");
    assert!(
        page.contains("<details class=\"overview-group\">\n<summary><strong>Đã duyệt</strong>"),
        "the accepted ones are folded"
    );
    let (_, page) = text(reviewer.get(app.url("/reviews?period=2026-Q3")).send().await.expect("GET")).await;
    let waiting = page.find("<strong>Chờ duyệt</strong>").expect("a group of reports waiting for review");
    assert!(page[..waiting].ends_with("<details class=\"overview-group\" open>\n<summary>"), "open, first");
    if let Some(accepted) = page.find("<strong>Đã duyệt</strong>") {
        assert!(waiting < accepted, "waiting before accepted");
    }
}

/// The membership rates "(51,93%)" a dashboard's ranking lists, as numbers.
fn listed_rates(page: &str) -> Vec<f64> {
    page.split("%)")
        .filter_map(|before| before.rsplit_once('(').map(|(_, number)| number))
        .filter(|n| n.len() <= 6 && n.contains(',') && n.chars().all(|c| c.is_ascii_digit() || c == ','))
        .filter_map(|n| n.replace(',', ".").parse().ok())
        .collect()
}

/// The demo lives in the present: today's An Giang (91 since 1 July 2025) has the targets of its
/// 2025–2030 term, communes whose figures differ, a report returned with remarks, accounts of
/// the province and of communes, and its two predecessors' history before the reform.
#[tokio::test]
async fn the_demo_lives_in_todays_an_giang() {
    let app = TestApp::spawn_with_demo().await;
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let province =
        danvan::units::queries::resolve(&app.pool, "91", date(2025, 7, 1)).await.expect("query").expect("new province");
    assert_eq!(province.name, "Tỉnh An Giang");
    // The last finished quarter (2026-Q3 on 30 November 2026) is the one under review.
    let current = danvan::reports::Period::containing(danvan::units::today()).previous();
    let quarter = current.final_quarter();
    let (year, period) = (quarter.year(), quarter.code());

    // Targets of the term on today's province, for 2026 and for 2030.
    let targets = danvan::directives::targets::for_unit(&app.pool, Some(&province.path), Some(Level::Province))
        .await
        .expect("targets");
    let membership = |year| targets.iter().any(|t| t.indicator_code == "TL_DVHV" && t.year == Some(year));
    assert!(membership(2025) && membership(2026) && membership(2030), "{targets:?}");
    let commune = danvan::units::queries::resolve(&app.pool, "30742", date(2025, 7, 1)).await.expect("q").expect("u");
    let commune_targets = danvan::directives::targets::for_unit(&app.pool, Some(&commune.path), Some(Level::Commune))
        .await
        .expect("targets");
    assert!(commune_targets.iter().any(|t| t.indicator_code == "TL_TC_HTTNV" && t.scope_level == Some(Level::Commune)));

    // The province's leader sees the targets and communes that differ.
    let leader = app.demo_client("angiang.lanhdao").await;
    let (status, page) = text(
        leader.get(app.url(&format!("/dashboards/91?period={period}&indicator=TL_DVHV"))).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("Chưa có chỉ tiêu nào"), "targets apply to today's province");
    if year == 2026 {
        assert!(page.contains("≥ 58%"), "the 2026 membership target");
    }
    let rates = listed_rates(&page);
    assert!(rates.len() >= 10, "at least ten communes with a rate: {rates:?}");
    let (lo, hi) = rates.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    assert!(hi - lo >= 2.0, "the communes' rates differ: {lo}–{hi}");
    // The same spread in the accepted reports themselves.
    let spread: Option<f64> = sqlx::query_scalar(
        "WITH c AS (SELECT r.unit_id,
                           sum(v.value) FILTER (WHERE v.element_code = 'DVHV_HIEN_CO') * 100
                           / sum(v.value) FILTER (WHERE v.element_code = 'DVHV_DOI_TUONG') AS rate
                    FROM reports r JOIN report_values v ON v.report_id = r.id JOIN units u ON u.id = r.unit_id
                    WHERE r.year = $2 AND r.quarter = $3 AND r.status = 'da_duyet' AND u.level = 3
                      AND u.path <@ $1::ltree
                    GROUP BY r.unit_id)
         SELECT (max(rate) - min(rate))::float8 FROM c",
    )
    .bind(&province.path)
    .bind(year)
    .bind(i16::from(quarter.number()))
    .fetch_one(&app.pool)
    .await
    .expect("spread");
    assert!(spread.unwrap_or(0.0) >= 2.0, "{spread:?}");

    // The last quarter is a mix: accepted, waiting, drafts, missing, one returned with remarks.
    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.status, count(*) FROM reports r JOIN units u ON u.id = r.unit_id
         WHERE r.year = $2 AND r.quarter = $3 AND u.path <@ $1::ltree GROUP BY 1 ORDER BY 1",
    )
    .bind(&province.path)
    .bind(year)
    .bind(i16::from(quarter.number()))
    .fetch_all(&app.pool)
    .await
    .expect("states");
    let count = |s: &str| states.iter().find(|(status, _)| status == s).map(|(_, n)| *n).unwrap_or(0);
    assert!(count("da_duyet") >= 10 && count("da_gui") > 0 && count("nhap") > 0, "{states:?}");
    assert_eq!(count("tra_lai"), 1, "{states:?}");
    let reported: i64 = states.iter().map(|(_, n)| n).sum();
    assert!(reported < 103, "some communes have not reported at all: {states:?}");
    let remarks: Vec<String> = sqlx::query_scalar(
        "SELECT e.remarks FROM report_events e JOIN reports r ON r.id = e.report_id JOIN units u ON u.id = r.unit_id
         WHERE e.to_status = 'tra_lai' AND r.status = 'tra_lai' AND r.year >= 2026 AND u.path <@ $1::ltree",
    )
    .bind(&province.path)
    .fetch_all(&app.pool)
    .await
    .expect("remarks");
    assert!(remarks.iter().any(|r| r.contains("đề nghị")), "{remarks:?}");

    // Old An Giang (89 until 30 June 2025) has its accepted 2020, its province total exact.
    let old = danvan::units::queries::resolve(&app.pool, "89", date(2020, 12, 31)).await.expect("q").expect("89");
    let (accepted, units): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id
                 WHERE u.path <@ $1::ltree AND r.year = 2020 AND r.status = 'da_duyet'),
                (SELECT count(*) FROM units WHERE path <@ $1::ltree)",
    )
    .bind(&old.path)
    .fetch_one(&app.pool)
    .await
    .expect("counts");
    assert_eq!(accepted, units * 4, "every unit of old An Giang, every quarter of 2020");
    let national = app.demo_client("quantri").await;
    let doc: Value =
        national.get(app.url("/api/v1/aggregates/89?period=2020")).send().await.expect("GET").json().await.expect("j");
    assert_eq!(doc["values"]["DVHV_HIEN_CO"].as_f64(), Some(626_900.0), "{doc}");
    // Kiên Giang's history reaches the reform too.
    let doc: Value = national
        .get(app.url("/api/v1/aggregates/91?period=2025-H1"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("j");
    assert!(doc["values"]["DON_TIEP_NHAN"].as_f64().unwrap_or(0.0) > 0.0, "{doc}");

    // Every new account signs in and sees its own unit's dashboard.
    for (username, code) in [
        ("angiang.nhaplieu", "91"),
        ("angiang.duyet", "91"),
        ("angiang.quantri", "91"),
        ("rachgia.nhaplieu", "30742"),
        ("rachgia.lanhdao", "30742"),
        ("chauthanh.nhaplieu", "30880"),
        ("chauthanh.lanhdao", "30880"),
        ("phuquoc.nhaplieu", "31078"),
        ("phuquoc.lanhdao", "31078"),
    ] {
        let client = app.demo_client(username).await;
        let path = format!("/dashboards/{code}?period={period}");
        let (status, page) = text(client.get(app.url(&path)).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{username} on {path}");
        assert!(!page.contains("Chưa có chỉ tiêu nào"), "{username} sees its targets");
    }
}

/// `danvan synth` covers the two-tier tree too: after the ten old years, every commune of today
/// gets accepted reports 2025-Q3 … 2026-Q3 (here for one province, old and new).
#[tokio::test]
async fn synth_covers_the_communes_of_the_new_tree() {
    let app = TestApp::spawn().await;
    danvan::dashboards::synth::run_within(&app.pool, 6, Some("91")).await.expect("synth");
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let count = |code: &'static str, on: chrono::NaiveDate, years: (i32, i32)| {
        let pool = app.pool.clone();
        async move {
            let province = danvan::units::queries::resolve(&pool, code, on).await.expect("query").expect("province");
            let row: (i64, i64, i64) = sqlx::query_as(
                "SELECT count(DISTINCT r.unit_id), count(DISTINCT (r.year, r.quarter)),
                        count(*) FILTER (WHERE r.status <> 'da_duyet')
                 FROM reports r JOIN units u ON u.id = r.unit_id
                 WHERE u.path <@ $1::ltree AND r.year BETWEEN $2 AND $3",
            )
            .bind(&province.path)
            .bind(years.0)
            .bind(years.1)
            .fetch_one(&pool)
            .await
            .expect("count");
            row
        }
    };
    // Today's An Giang: its 102 communes, five quarters, all accepted.
    assert_eq!(count("91", date(2025, 7, 1), (2025, 2026)).await, (102, 5, 0));
    // Kiên Giang before the reform: its 143 communes, forty quarters.
    assert_eq!(count("91", date(2020, 12, 31), (2015, 2025)).await, (143, 40, 0));
    // Nothing elsewhere, and the new province's figures roll up.
    let others: i64 = app
        .scalar(
            "SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id
         WHERE NOT u.path <@ ANY (ARRAY(SELECT path FROM units WHERE level = 1 AND code = '91'))",
        )
        .await;
    assert_eq!(others, 0);
    let new = danvan::units::queries::resolve(&app.pool, "91", date(2025, 7, 1)).await.expect("q").expect("unit");
    let totals = danvan::dashboards::aggregate::totals(
        &app.pool,
        Some(&new.path),
        "2026-Q3".parse().expect("period"),
        danvan::dashboards::aggregate::Basis::Accepted,
    )
    .await
    .expect("totals");
    assert!(!totals.is_empty(), "the new province's 2026-Q3 figures");
}

// --- issue 14: exact numbers, Excel, rule messages, unread in the API ---

/// A file part of an XLSX package.
fn xlsx_part(bytes: &[u8], prefix: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let names: Vec<String> =
        archive.file_names().filter_map(Result::ok).filter(|n| n.starts_with(prefix)).map(|n| n.into_owned()).collect();
    let mut text = String::new();
    for name in names {
        archive.by_name(&name).expect("part").read_to_string(&mut text).expect("utf-8 part");
    }
    text
}

#[tokio::test]
async fn rule_messages_name_their_figures_on_the_form_in_the_api_and_after_an_import() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    // Seed 002's slip: 143 against 32 + 17 + 33 = 82. Saved as a draft, with the rule's figures.
    let response = staff
        .put(app.url(API))
        .json(&json!({"version": 0, "values": {"GS_TONG": "143", "GS_MTTQ": "32", "GS_BAN_TTND": "17", "GS_BAN_GSDTCD": "33"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let problem = body["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["rule"] == "GS_TONG_BANG_CAC_PHAN"))
        .cloned()
        .expect("the sum rule");
    assert_eq!(problem["working"], "Tổng số cuộc giám sát của Mặt trận (143) phải bằng 32 + 17 + 33 = 82");
    assert_eq!((problem["left"].clone(), problem["right"].clone()), (json!(143), json!(82)));
    let message = problem["message"].as_str().expect("message");
    assert!(message.starts_with("Tổng số cuộc giám sát của Mặt trận (143) phải bằng 32 + 17 + 33 = 82."), "{message}");
    assert!(message.contains("Ban giám sát đầu tư của cộng đồng"), "the catalogue's wording follows: {message}");

    // The form shows the same message next to the field.
    let (status, page) = text(staff.get(app.url(FORM)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let errors = Page::parse(&page).field_errors();
    assert!(errors.iter().any(|e| e.contains("(143)") && e.contains("32 + 17 + 33 = 82")), "{errors:?}");

    // A refused PUT (422) carries the rules' figures too.
    let response = staff
        .put(app.url(API))
        .json(&json!({"version": 1, "values": {"GS_TONG": "150", "DUONG_GTNT_KM": "abc"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    let working: Vec<&str> =
        body["problems"].as_array().expect("problems").iter().filter_map(|p| p["working"].as_str()).collect();
    assert!(working.contains(&"Tổng số cuộc giám sát của Mặt trận (150) phải bằng 32 + 17 + 33 = 82"), "{body}");

    // An import that leaves the draft breaking a rule says so, with the figures; the audit
    // entry names the report by unit code and quarter.
    let csv = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,GS_TONG,,90\n";
    let (status, page) = app.upload_values(&staff, "gs.csv", csv.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Tổng số cuộc giám sát của Mặt trận (90) phải bằng 32 + 17 + 33 = 82"), "{page}");
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT entity_id FROM audit_log WHERE action = 'import' AND entity = 'report'")
            .fetch_all(&app.pool)
            .await
            .expect("audit");
    assert_eq!(audited, vec!["30883/2017-Q1".to_owned()]);
}

#[tokio::test]
async fn the_api_returns_unread_typed_text_beside_the_null() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let (status, page) =
        post_form(&app, &staff, 0, "save", &[("DUONG_GTNT_KM", "12.212,12.5"), ("TD_DINH_KY", "7")], &[]).await;
    assert_eq!(status, 422, "the form keeps the text and says it cannot be read");
    assert!(page.contains(r#"value="12.212,12.5""#));

    let body = api_document(&app, &staff).await;
    assert_eq!(body["values"]["DUONG_GTNT_KM"], Value::Null);
    assert_eq!(body["values"]["TD_DINH_KY"], json!(7));
    assert_eq!(body["unread"], json!({"DUONG_GTNT_KM": "12.212,12.5"}), "only the figure that could not be read");

    // A PUT of the same text is refused (nothing saved) and the 422 names the field and its text.
    let version = body["version"].clone();
    let response = staff
        .put(app.url(API))
        .json(&json!({"version": version, "values": {"DUONG_GTNT_KM": "12.212,12.5"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 422);
    let refused: Value = response.json().await.expect("json");
    assert!(refused["errors"]["DUONG_GTNT_KM"].is_string(), "{refused}");
    assert_eq!(refused["unread"], json!({"DUONG_GTNT_KM": "12.212,12.5"}));

    // Once a figure is read, nothing is unread any more.
    api_put(&app, &staff, json!({"version": version, "values": {"DUONG_GTNT_KM": "12,5"}})).await;
    let body = api_document(&app, &staff).await;
    assert_eq!(body["values"]["DUONG_GTNT_KM"], json!(12.5));
    assert_eq!(body["unread"], json!({}));
}

#[tokio::test]
async fn a_csv_saved_by_excel_imports_and_the_csv_export_opens_in_excel() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    // BOM, CRLF, semicolons, decimal commas, a quoted value: as Excel saves it on a Vietnamese machine.
    let csv = "\u{feff}unit_code;period;element_code;organisation;value\r\n\
               30883;2017-Q1;TD_DINH_KY;;1.234\r\n\
               30883;2017-Q1;DUONG_GTNT_KM;;51,95\r\n\
               30883;2017-Q1;DVHV_HIEN_CO;HND;\"585.160\"\r\n";
    let (status, page) = app.upload_values(&staff, "so-lieu.csv", csv.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    let body = api_document(&app, &staff).await;
    assert_eq!(body["values"]["TD_DINH_KY"], json!(1234));
    assert_eq!(body["values"]["DUONG_GTNT_KM"], json!(51.95));
    assert_eq!(body["values"]["DVHV_HIEN_CO.HND"], json!(585160));
    // Tabs too (Excel's "Unicode Text" is tab-separated).
    let tabs = "unit_code\tperiod\telement_code\torganisation\tvalue\n30883\t2017-Q1\tTD_DINH_KY\t\t2.345\n";
    let (status, page) = app.upload_values(&staff, "so-lieu.txt", tabs.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(api_document(&app, &staff).await["values"]["TD_DINH_KY"], json!(2345));

    // The export: BOM, semicolons, CRLF, Vietnamese numbers; and it imports back unchanged.
    let response = staff.get(app.url("/exports/values/30883/2017.csv")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("csv").to_vec();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 byte order mark");
    let exported = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(exported.starts_with("unit_code;period;element_code;organisation;value;status\r\n"), "{exported}");
    assert!(exported.contains("30883;2017-Q1;DUONG_GTNT_KM;;51,95;Nháp\r\n"), "{exported}");
    let (status, page) = app.upload_values(&staff, "xuat.csv", &bytes).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Đã nhập 0 giá trị"), "{page}");
    // The import page documents all this.
    let (_, page) = text(staff.get(app.url("/imports/values")).send().await.expect("GET")).await;
    assert!(page.contains("dấu chấm phẩy") && page.contains("BOM") && page.contains("CRLF"), "{page}");
}

#[tokio::test]
async fn one_in_thirty_two_is_3_13_percent_on_the_dashboard_and_0_03125_in_excel() {
    let app = TestApp::spawn_with_demo().await;
    let district = app.demo_client("huyen.nhaplieu").await;
    let response = district
        .put(app.url("/api/v1/reports/905/2017-Q2"))
        .json(&json!({"version": 0, "values": {"XA_TONG": "32", "XA_NTM": "1", "DUONG_GTNT_KM": "12,345"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    sqlx::query(
        "UPDATE reports SET status = 'da_duyet' WHERE year = 2017 AND quarter = 2
           AND unit_id IN (SELECT id FROM units WHERE code = '905')",
    )
    .execute(&app.pool)
    .await
    .expect("accept");
    danvan::dashboards::rollup::rebuild(&app.pool).await.expect("rebuild roll-ups");

    let leader = app.demo_client("tinh.lanhdao").await;
    let (status, page) =
        text(leader.get(app.url("/dashboards/905?period=2017-Q2&indicator=TL_XA_NTM")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("1/32"), "the ratio");
    assert!(page.contains("3,13%") && !page.contains("3,12%"), "1/32 = 3,125% rounds half away from zero");
    // A length whose third decimal is 5: 12,345 km shows as 12,35 (a double holds 12,3449999…).
    let (status, page) =
        text(leader.get(app.url("/dashboards/905/drill?period=2017-Q2&key=DUONG_GTNT_KM")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("12,35") && !page.contains("12,34<"), "{page}");

    let response = leader.get(app.url("/exports/annual/905/2017.xlsx")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("xlsx").to_vec();
    let sheets = xlsx_part(&bytes, "xl/worksheets/");
    assert!(sheets.contains("<v>0.03125</v>"), "the rate is stored as the ratio");
    let styles = xlsx_part(&bytes, "xl/styles.xml");
    assert!(styles.contains(r#"formatCode="0.00%""#), "Excel's percent format: {styles}");
    assert!(!styles.contains("&quot;%&quot;") && !styles.contains("\\%"), "no literal percent sign: {styles}");
    assert!(styles.contains(r##"formatCode="#,##0""##), "counts with thousands separators");
    // Read back as Excel would: the number is the ratio.
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = workbook.worksheet_range("Chỉ số theo đơn vị").expect("sheet 1");
    let header: Vec<String> = sheet.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    let col = header.iter().position(|h| h == "Tỷ lệ xã đạt chuẩn nông thôn mới").expect("TL_XA_NTM column");
    let total = sheet.rows().find(|r| r[1].to_string().starts_with("Tổng ")).expect("total row");
    assert_eq!(total[col], Data::Float(0.03125));
}

/// The form, the API and an import save a draft the one way (`reports::workflow`): each
/// writes one audit entry naming the report by unit code and quarter, as submitting and
/// reviewing do.
#[tokio::test]
async fn every_way_of_saving_audits_the_report_alike() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let reviewer = app.demo_client("huyen.duyet").await;
    let (status, _) = post_form(&app, &staff, 0, "save", &[("TD_DINH_KY", "3")], &[]).await;
    assert_eq!(status, 303);
    let v = version(&app, &staff).await;
    api_put(&app, &staff, json!({"version": v, "values": {"TD_DINH_KY": 4}})).await;
    let csv = "unit_code,period,element_code,organisation,value\n30883,2017-Q1,TD_DINH_KY,,5\n";
    let (status, page) = app.upload_values(&staff, "td.csv", csv.as_bytes()).await;
    assert_eq!(status, 200, "{page}");
    let v = version(&app, &staff).await;
    let (status, _) = post_form(&app, &staff, v, "submit", &[("TD_DINH_KY", "6")], &[]).await;
    assert_eq!(status, 303);
    let seen = stored_version(&app).await.to_string();
    let form = [("action", "accept"), ("version", seen.as_str())];
    let (status, _) =
        text(reviewer.post(app.url(&format!("{FORM}/review"))).form(&form).send().await.expect("POST")).await;
    assert_eq!(status, 303);

    let entries: Vec<(String, String, Option<Value>)> =
        sqlx::query_as("SELECT action, entity_id, after FROM audit_log WHERE entity = 'report' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("audit");
    let actions: Vec<&str> = entries.iter().map(|(action, _, _)| action.as_str()).collect();
    assert_eq!(actions, vec!["save", "save", "import", "save", "submit", "accept"]);
    assert!(entries.iter().all(|(_, id, _)| id == "30883/2017-Q1"), "{entries:?}");
    let after = |i: usize| entries[i].2.clone().unwrap_or_default();
    assert_eq!(after(0)["values"]["TD_DINH_KY"], json!(3));
    assert_eq!(after(1)["via"], "api");
    assert_eq!(after(1)["values"]["TD_DINH_KY"], json!(4));
    assert_eq!(after(2)["TD_DINH_KY"], json!(5), "an import's entry holds the figures it wrote");
    assert_eq!(after(4)["status"], "da_gui");
    assert_eq!(after(5)["status"], "da_duyet");
}

/// The API's refusals are JSON with the message under `error`, whatever refuses: a body that is
/// not the expected JSON (422), a report the unit may no longer change (409), a stale version
/// (409).
#[tokio::test]
async fn the_apis_refusals_are_json() {
    let app = TestApp::spawn_with_demo().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let is_json = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    };
    let response = staff
        .put(app.url(API))
        .header("content-type", "application/json")
        .body("{\"values\": ")
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 422);
    assert!(is_json(&response));
    let body: Value = response.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.starts_with("JSON không hợp lệ")), "{body}");

    let response =
        staff.put(app.url(API)).json(&json!({"version": 0, "values": {"TD_DINH_KY": 3}})).send().await.expect("PUT");
    assert_eq!(response.status(), 200);
    let response =
        staff.put(app.url(API)).json(&json!({"version": 0, "values": {"TD_DINH_KY": 4}})).send().await.expect("PUT");
    assert_eq!(response.status(), 409, "stale");
    assert!(is_json(&response));
    let body: Value = response.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("người khác")), "{body}");

    sqlx::query(
        "UPDATE reports SET status = 'da_gui'
         WHERE year = 2017 AND quarter = 1 AND unit_id IN (SELECT id FROM units WHERE code = '30883')",
    )
    .execute(&app.pool)
    .await
    .expect("submit");
    let response =
        staff.put(app.url(API)).json(&json!({"version": 1, "values": {"TD_DINH_KY": 5}})).send().await.expect("PUT");
    assert_eq!(response.status(), 409, "submitted");
    assert!(is_json(&response));
    let body: Value = response.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("không sửa được")), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "only the message: {body}");
}
