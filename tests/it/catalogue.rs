//! The catalogue pages: administrators of the country or a province edit organisations,
//! sections, data elements, indicators and validation rules; every save is version-checked,
//! keeps the input on error and lands in the audit log.

use crate::common::{Page, TestApp};

/// (before, after) of the latest audit entry for this entity and code.
async fn last_audit(app: &TestApp, entity: &str, code: &str) -> (String, Option<serde_json::Value>, serde_json::Value) {
    let row: (String, Option<serde_json::Value>, Option<serde_json::Value>) = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(entity)
    .bind(code)
    .fetch_one(&app.pool)
    .await
    .expect("an audit entry");
    (row.0, row.1, row.2.expect("after is recorded"))
}

#[tokio::test]
async fn a_province_admin_creates_a_data_element_and_an_indicator() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("tinh.quantri").await;

    let (status, page) = app.get_as(&admin, "/admin/catalogue").await;
    assert_eq!(status, 200);
    assert!(page.contains("Danh mục chỉ tiêu"));

    let element = [
        ("code", "xa_nong_thon_moi"),
        ("name", "Xã đạt chuẩn nông thôn mới"),
        ("section_code", "LANH_DAO"),
        ("unit_of_measure", "xã"),
        ("value_type", "integer"),
        ("aggregation", "last"),
        ("levels", "1"),
        ("levels", "2"),
        ("levels", "3"),
        ("description", "Số xã đạt chuẩn đến cuối kỳ"),
        ("sort_order", "1.000"),
        ("active", "1"),
        ("version", "0"),
    ];
    let (status, _) = app.post_form_as(&admin, "/admin/catalogue/elements", &element).await;
    assert_eq!(status, 303, "created");
    // The element, its code upper-cased.
    let (levels, aggregation, sort_order): (Vec<i16>, String, i32) =
        app.row("SELECT levels, aggregation, sort_order FROM data_elements WHERE code = 'XA_NONG_THON_MOI'").await;
    assert_eq!((levels, aggregation.as_str(), sort_order), (vec![1, 2, 3], "last", 1000));
    let (action, before, after) = last_audit(&app, "data_element", "XA_NONG_THON_MOI").await;
    assert_eq!(action, "create");
    assert!(before.is_none());
    assert_eq!(after["name"], "Xã đạt chuẩn nông thôn mới");

    let (status, page) = app.get_as(&admin, "/admin/catalogue/elements").await;
    assert_eq!(status, 200);
    assert!(page.contains("XA_NONG_THON_MOI"));
    assert!(page.contains("Số cuối kỳ (tồn)"));
    assert!(page.contains("Cộng dồn (luồng)"), "the demo's flows");
    assert!(page.contains("Tỉnh, Huyện, Xã"));

    // The same code again is refused next to the code field.
    let (status, page) = app.post_form_as(&admin, "/admin/catalogue/elements", &element).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã này đã có trong danh mục"));

    let indicator = [
        ("code", "TL_XA_NTM_THU"),
        ("name", "Tỷ lệ xã đạt chuẩn nông thôn mới"),
        ("numerator", "XA_NONG_THON_MOI"),
        ("denominator", "DON_TIEP_NHAN"),
        ("factor", "100"),
        ("decimals", "2"),
        ("display", "ratio"),
        ("unit", "xã"),
        ("sort_order", ""),
        ("version", "0"),
    ];
    let (status, page) = app.post_form_as(&admin, "/admin/catalogue/indicators", &indicator).await;
    assert_eq!(status, 303, "created: {page}");
    let (factor, decimals): (danvan::figures::Decimal, i16) =
        app.row("SELECT factor, decimals FROM indicators WHERE code = 'TL_XA_NTM_THU'").await;
    assert_eq!((factor, decimals), (danvan::figures::Decimal::ONE_HUNDRED, 2));
    let (action, _, after) = last_audit(&app, "indicator", "TL_XA_NTM_THU").await;
    assert_eq!(action, "create");
    assert_eq!(after["numerator"], "XA_NONG_THON_MOI");

    let (status, page) = app.get_as(&admin, "/admin/catalogue/indicators/TL_XA_NTM_THU").await;
    assert_eq!(status, 200);
    assert!(page.contains("81/117 xã (69,23%)"), "the worked example");
    assert!(page.contains(r#"name="code" value="TL_XA_NTM_THU" readonly"#), "the code cannot change");
}

#[tokio::test]
async fn an_indicator_naming_an_unknown_code_is_refused_next_to_the_field() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    let typed = "KHONG_CO_MA + DON_TIEP_NHAN";
    let (status, page) = app
        .post_form_as(
            &admin,
            "/admin/catalogue/indicators",
            &[
                ("code", "TL_THU"),
                ("name", "Chỉ số thử"),
                ("numerator", typed),
                ("denominator", "DON_TIEP_NHAN"),
                ("factor", "1,5"),
                ("decimals", "9"),
                ("display", "value"),
                ("unit", "%"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    let numerator = Page::parse(&page).field("numerator");
    assert_eq!(
        numerator.message.as_deref(),
        Some("Mã số liệu KHONG_CO_MA không có trong danh mục."),
        "the message sits under the numerator field"
    );
    assert_eq!(numerator.value, typed, "the typed expression is kept");
    assert!(page.contains(r#"value="Chỉ số thử""#), "the other fields are kept");
    assert!(page.contains(r#"id="f-decimals-error""#), "decimals beyond 6 are refused");
    assert!(!page.contains(r#"id="f-factor-error""#), "1,5 is a number typed the Vietnamese way");
    let count: i64 = app.scalar("SELECT count(*) FROM indicators WHERE code = 'TL_THU'").await;
    assert_eq!(count, 0, "nothing saved");

    // A code that is not upper-case ASCII is explained, not sent to the database.
    let (status, page) =
        app.post_form_as(&admin, "/admin/catalogue/sections", &[("code", "ĐOÀN_THỂ"), ("name", "Đoàn thể")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Mã chỉ gồm chữ in hoa không dấu"));
    assert!(page.contains(r#"value="ĐOÀN_THỂ""#));
}

#[tokio::test]
async fn a_stale_edit_is_refused_and_each_change_is_audited() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    // Two tabs open the organisation at version 1; the first saves.
    let organisation = "/admin/catalogue/organisations/HND";
    let first = app.open_form(&admin, organisation, "f-name").await;
    let second = app.open_form(&admin, organisation, "f-name").await;
    assert!(first.fields.contains(&("version".to_owned(), "1".to_owned())), "{:?}", first.fields);
    let (status, _) = app.send(&admin, &first.set("short_name", "Nông dân")).await;
    assert_eq!(status, 303);
    let (action, before, after) = last_audit(&app, "organisation", "HND").await;
    assert_eq!(action, "update");
    assert_eq!(before.expect("before is recorded")["short_name"], "Hội Nông dân");
    assert_eq!(after["short_name"], "Nông dân");
    assert_eq!(after["version"], 2);

    // The second tab still holds version 1.
    let (status, page) = app.send(&admin, &second.set("short_name", "HND cũ").unset("active")).await;
    assert_eq!(status, 409);
    assert!(page.contains("vừa được người khác lưu"));
    assert!(page.contains(r#"value="HND cũ""#), "the typed input is kept");
    let (short_name, active, version): (String, bool, i32) =
        app.row("SELECT short_name, active, version FROM organisations WHERE code = 'HND'").await;
    assert_eq!((short_name.as_str(), active, version), ("Nông dân", true, 2), "unchanged by the stale edit");
    let entries: i64 = app.scalar("SELECT count(*) FROM audit_log WHERE entity = 'organisation'").await;
    assert_eq!(entries, 1, "the refused edit is not logged");

    // Retiring a data element keeps the row (nothing is hard-deleted); stale versions fail there too.
    let element = "/admin/catalogue/elements/DON_TIEP_NHAN";
    let (status, page) = app.get_as(&admin, element).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="code" value="DON_TIEP_NHAN" readonly"#));
    // Untick "active", keep the province level only, and try to change the code on the way.
    let retire =
        app.open_form(&admin, element, "f-name").await.set("code", "DOI_MA").set("levels", "1").unset("active");
    let (status, _) = app.send(&admin, &retire).await;
    assert_eq!(status, 303);
    // Still there, under its code.
    let (active, levels): (bool, Vec<i16>) =
        app.row("SELECT active, levels FROM data_elements WHERE code = 'DON_TIEP_NHAN'").await;
    assert!(!active);
    assert_eq!(levels, vec![1]);
    let (_, before, after) = last_audit(&app, "data_element", "DON_TIEP_NHAN").await;
    assert_eq!(before.expect("before")["active"], true);
    assert_eq!(after["active"], false);
    let (status, _) = app.send(&admin, &retire).await;
    assert_eq!(status, 409, "the same form again holds a version now past");

    // Sections are versioned and audited as well.
    let section = app.open_form(&admin, "/admin/catalogue/sections/DAO_TAO", "f-name").await;
    let (status, _) = app.send(&admin, &section.set("name", "Đào tạo, bồi dưỡng")).await;
    assert_eq!(status, 303);
    let (_, before, after) = last_audit(&app, "report_section", "DAO_TAO").await;
    assert_eq!(before.expect("before")["name"], "Đào tạo, bồi dưỡng cán bộ");
    assert_eq!(after["name"], "Đào tạo, bồi dưỡng");
}

#[tokio::test]
async fn commune_admins_and_data_entry_staff_are_refused() {
    let app = TestApp::spawn_with_demo().await;
    let commune_admin = app.user("mt.quantri", "30883").role("quan_tri").signed_in().await;
    let staff = app.demo_client("xa.nhaplieu").await;
    let district_admin = app.demo_client("huyen.quantri").await;
    for client in [&commune_admin, &staff, &district_admin] {
        for path in ["/admin/catalogue", "/admin/catalogue/indicators", "/admin/catalogue/rules/DON_GQ_LE_TIEP_NHAN"] {
            let (status, page) = app.get_as(client, path).await;
            assert_eq!(status, 403, "{path}");
            assert!(page.contains("Không có quyền truy cập"));
        }
        let (status, _) = app
            .post_form_as(
                client,
                "/admin/catalogue/rules/DON_GQ_LE_TIEP_NHAN",
                &[
                    ("left_expr", "DON_GIAI_QUYET"),
                    ("operator", ">"),
                    ("right_expr", "DON_TIEP_NHAN"),
                    ("message", "Bị sửa"),
                    ("severity", "warning"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = app
            .post_form_as(
                client,
                "/admin/catalogue/organisations",
                &[("code", "KE_GIAN"), ("name", "Kẻ gian"), ("short_name", "Kẻ gian"), ("version", "0")],
            )
            .await;
        assert_eq!(status, 403);
    }
    let (operator, organisations): (String, i64) = app
        .row(
            "SELECT operator, (SELECT count(*) FROM organisations WHERE code = 'KE_GIAN')
         FROM validation_rules WHERE code = 'DON_GQ_LE_TIEP_NHAN'",
        )
        .await;
    assert_eq!((operator.as_str(), organisations), ("<=", 0), "nothing changed");
    let (status, _) = app.get_as(&app.demo_client("tinh.quantri").await, "/admin/catalogue").await;
    assert_eq!(status, 200, "a province administrator may");
}

#[tokio::test]
async fn a_validation_rule_edit_round_trips() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("tinh.quantri").await;
    let (status, page) = app.get_as(&admin, "/admin/catalogue/rules").await;
    assert_eq!(status, 200);
    assert!(page.contains("≤"), "operators are shown with their symbols");
    assert!(page.contains("Lỗi – chặn gửi báo cáo"));

    // The rule turned round, made a warning and retired (its box unticked).
    let rule = "/admin/catalogue/rules/DON_GQ_LE_TIEP_NHAN";
    let edit = app
        .open_form(&admin, rule, "f-message")
        .await
        .set("operator", ">=")
        .set("right_expr", "DON_TIEP_NHAN-DVHV_MOI")
        .set("message", "Số đơn đã giải quyết phải đủ")
        .set("severity", "warning")
        .unset("active");
    let (status, _) = app.send(&admin, &edit).await;
    assert_eq!(status, 303);
    let (status, page) = app.get_as(&admin, "/admin/catalogue/rules/DON_GQ_LE_TIEP_NHAN").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<option value="&#62;=" selected>≥</option>"#), "{page}");
    assert!(page.contains(r#"value="DON_TIEP_NHAN - DVHV_MOI""#), "the expression, normalised");
    assert!(page.contains(r#"value="warning" checked"#));
    assert!(page.contains("Số đơn đã giải quyết phải đủ"));
    assert!(page.contains(r#"name="active" value="1">"#), "unchecked: the rule is retired");
    assert!(page.contains(r#"name="version" value="2""#));
    let (action, before, after) = last_audit(&app, "validation_rule", "DON_GQ_LE_TIEP_NHAN").await;
    assert_eq!(action, "update");
    let before = before.expect("before");
    assert_eq!((before["operator"].as_str(), before["active"].as_bool()), (Some("<="), Some(true)));
    assert_eq!((after["operator"].as_str(), after["active"].as_bool()), (Some(">="), Some(false)));
    assert_eq!(after["severity"], "warning");

    // An unknown code on the right side is refused next to that field.
    let wrong = app.open_form(&admin, rule, "f-message").await.set("right_expr", "DON_TIEP_NHAN + SAI_MA");
    let (status, page) = app.send(&admin, &wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"id="f-right_expr-error">Mã số liệu SAI_MA không có trong danh mục."#));
    assert!(page.contains(r#"value="DON_TIEP_NHAN + SAI_MA""#));
}

/// A value type, aggregation, operator or severity is one of its vocabulary's words
/// (`danvan::vocabulary`): any other word is refused next to its field, nothing is saved, and
/// the table's CHECK is never what answers.
#[tokio::test]
async fn a_word_outside_a_vocabulary_is_refused_next_to_its_field() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("tinh.quantri").await;
    let element = [
        ("code", "XA_MOI"),
        ("name", "Xã mới"),
        ("section_code", "LANH_DAO"),
        ("unit_of_measure", "xã"),
        ("value_type", "float"),
        ("aggregation", "avg"),
        ("levels", "3"),
        ("sort_order", "1"),
        ("version", "0"),
    ];
    let (status, page) = app.post_form_as(&admin, "/admin/catalogue/elements", &element).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="f-value_type-error">Chọn kiểu giá trị."#), "{page}");
    assert!(page.contains(r#"id="f-aggregation-error">Chọn cách tổng hợp"#), "{page}");
    assert!(page.contains(r#"value="Xã mới""#), "the input is kept");
    let stored: i64 = app.scalar("SELECT count(*) FROM data_elements WHERE code = 'XA_MOI'").await;
    assert_eq!(stored, 0);

    let rule = [
        ("left_expr", "DON_GIAI_QUYET"),
        ("operator", "between"),
        ("right_expr", "DON_TIEP_NHAN"),
        ("message", "m"),
        ("severity", "fatal"),
        ("version", "1"),
    ];
    let (status, page) = app.post_form_as(&admin, "/admin/catalogue/rules/DON_GQ_LE_TIEP_NHAN", &rule).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"id="f-operator-error">Chọn phép so sánh."#), "{page}");
    assert!(page.contains("Chọn mức độ: lỗi hoặc cảnh báo."), "{page}");
    let (operator, severity, version): (String, String, i32) =
        app.row("SELECT operator, severity, version FROM validation_rules WHERE code = 'DON_GQ_LE_TIEP_NHAN'").await;
    assert_eq!((operator.as_str(), severity.as_str(), version), ("<=", "error", 1), "unchanged");
}

/// The catalogue's forms read numbers with the app's one parser, the report form's: English
/// marks (`12,345.6`) are refused next to the field instead of being read some other way.
#[tokio::test]
async fn a_number_with_english_marks_is_refused_like_on_the_report_form() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    let indicator = |factor, sort_order| {
        [
            ("code", "TL_THU"),
            ("name", "Chỉ số thử"),
            ("numerator", "DON_GIAI_QUYET"),
            ("denominator", "DON_TIEP_NHAN"),
            ("factor", factor),
            ("decimals", "2"),
            ("display", "value"),
            ("unit", "%"),
            ("sort_order", sort_order),
            ("version", "0"),
        ]
    };
    let (status, page) =
        app.post_form_as(&admin, "/admin/catalogue/indicators", &indicator("12,345.6", "12,345.6")).await;
    assert_eq!(status, 422);
    let page = Page::parse(&page);
    let factor = page.field("factor");
    assert_eq!(
        factor.message.as_deref(),
        Some("Hệ số là một số khác 0: 100 cho tỷ lệ phần trăm, 1 cho số đếm; số lẻ viết 0,5."),
        "the factor is refused with what to type"
    );
    assert_eq!(factor.value, "12,345.6", "the typed figure is kept");
    let order = page.field("sort_order");
    assert_eq!((order.value.as_str(), order.message.as_deref()), ("12,345.6", Some("Thứ tự là số nguyên, ví dụ 10.")));
    let count: i64 = app.scalar("SELECT count(*) FROM indicators WHERE code = 'TL_THU'").await;
    assert_eq!(count, 0, "nothing saved");

    // Typed the Vietnamese way, the same figures are taken.
    let (status, page) =
        app.post_form_as(&admin, "/admin/catalogue/indicators", &indicator("12.345,6", "12.345")).await;
    assert_eq!(status, 303, "created: {page}");
    let (factor, sort_order): (danvan::figures::Decimal, i32) =
        app.row("SELECT factor, sort_order FROM indicators WHERE code = 'TL_THU'").await;
    assert_eq!((factor, sort_order), (danvan::figures::Decimal::new(123_456, 1), 12_345));
}
