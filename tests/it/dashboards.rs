//! Dashboards: aggregation on a small hand-computed tree, drill-down parts that add up, scope.

use danvan::auth::UserId;
use danvan::dashboards::aggregate::{self, Basis};
use danvan::figures::Decimal;
use danvan::reports::Period;
use danvan::reports::store::Status;

use crate::common::{Page, TestApp, text};

/// A figure written as a double literal, read as the decimal it spells.
fn d(value: f64) -> Decimal {
    danvan::figures::from_f64(value).expect("a decimal")
}

/// A quarter for the reports store's calls.
fn quarter_of(year: i32, number: u8) -> danvan::reports::Quarter {
    danvan::reports::Quarter::new(year, number).expect("a quarter")
}

#[tokio::test]
async fn aggregation_follows_flows_stocks_and_indicators() {
    let app = TestApp::spawn_with_demo().await;
    // Huyện Đức Trọng (678) has no demo reports. Two of its communes and the district itself:
    // 24958 Thị trấn Liên Nghĩa, 24982 Xã Phú Hội.
    app.report("678", 2017, 1).values(&[("DON_TIEP_NHAN", "", "4"), ("DON_GIAI_QUYET", "", "4")]).insert().await;
    app.report("24958", 2017, 1)
        .values(&[
            ("DON_TIEP_NHAN", "", "10"),
            ("DON_GIAI_QUYET", "", "5"),
            ("DVHV_HIEN_CO", "HND", "100"),
            ("DVHV_DOI_TUONG", "HND", "400"),
        ])
        .insert()
        .await;
    app.report("24958", 2017, 2)
        .values(&[
            ("DON_TIEP_NHAN", "", "6"),
            ("DON_GIAI_QUYET", "", "6"),
            ("DVHV_HIEN_CO", "HND", "120"),
            ("DVHV_HIEN_CO", "HLHPN", "30"),
            ("DVHV_DOI_TUONG", "HND", "400"),
            ("DVHV_DOI_TUONG", "HLHPN", "100"),
        ])
        .insert()
        .await;
    // Phú Hội reported its members in quarter I only: its latest value in the half-year is that one.
    app.report("24982", 2017, 1)
        .values(&[
            ("DON_TIEP_NHAN", "", "20"),
            ("DON_GIAI_QUYET", "", "1"),
            ("DVHV_HIEN_CO", "HND", "900"),
            ("DVHV_DOI_TUONG", "HND", "1.000"),
        ])
        .insert()
        .await;
    // Submitted, not accepted: counts only when asked.
    app.report("24982", 2017, 2)
        .status(Status::Submitted)
        .values(&[("DON_TIEP_NHAN", "", "1.000"), ("DVHV_HIEN_CO", "HND", "950")])
        .insert()
        .await;
    app.rebuild_rollups().await;

    let district =
        danvan::units::queries::resolve(&app.pool, "678", chrono::NaiveDate::from_ymd_opt(2017, 6, 30).expect("d"))
            .await
            .expect("q")
            .expect("unit");
    let half: Period = "2017-H1".parse().expect("period");
    let totals = aggregate::totals(&app.pool, Some(&district.path), half, Basis::Accepted).await.expect("totals");
    // Flows: every quarter and unit summed.
    assert_eq!(totals["DON_TIEP_NHAN"], d(4.0 + 10.0 + 6.0 + 20.0));
    assert_eq!(totals["DON_GIAI_QUYET"], d(4.0 + 5.0 + 6.0 + 1.0));
    // Stocks: each unit's latest value (Liên Nghĩa quarter II, Phú Hội quarter I), then summed.
    assert_eq!(totals["DVHV_HIEN_CO"], d(120.0 + 30.0 + 900.0));
    assert_eq!(totals["DVHV_HIEN_CO.HND"], d(120.0 + 900.0));
    assert_eq!(totals["DVHV_DOI_TUONG"], d(400.0 + 100.0 + 1000.0));

    // The indicator comes from the aggregated parts: 1050 / 1500 = 70 %, not the mean of the
    // communes' rates ((150/500 = 30 %) + (900/1000 = 90 %)) / 2 = 60 %.
    let catalogue = danvan::catalogue::Catalogue::load(&app.pool).await.expect("catalogue");
    let rate = catalogue.indicator("TL_DVHV").expect("indicator");
    let value = aggregate::indicator(rate, &totals).expect("value");
    assert_eq!(value.value, d(70.0), "{value:?}");

    let with_submitted =
        aggregate::totals(&app.pool, Some(&district.path), half, Basis::Submitted).await.expect("totals");
    assert_eq!(with_submitted["DON_TIEP_NHAN"], d(40.0 + 1000.0));
    assert_eq!(with_submitted["DVHV_HIEN_CO"], d(120.0 + 30.0 + 950.0), "the newer submitted stock replaces quarter I");

    // Quarter I alone.
    let q1: Period = "2017-Q1".parse().expect("period");
    let totals = aggregate::totals(&app.pool, Some(&district.path), q1, Basis::Accepted).await.expect("totals");
    assert_eq!(totals["DVHV_HIEN_CO"], d(100.0 + 900.0));
}

/// Figures are exact decimals from the report to the dashboard: 0,1 and 0,2 reported in two
/// districts make 0,3 in the province's aggregates (doubles gave 0.30000000000000004), and a
/// rate of 1/32 is 3,125% shown as 3,13% (half away from zero; doubles showed 3,12).
#[tokio::test]
async fn figures_add_up_exactly_in_the_aggregates_api_and_the_dashboard() {
    let app = TestApp::spawn_with_demo().await;
    // Mong Thọ A (Huyện Châu Thành) and Phường Vĩnh Thanh (Thành phố Rạch Giá): two districts of
    // Kiên Giang, so the province adds the two districts' roll-ups.
    let mong_tho = [("DUONG_GTNT_KM", "", "0,1"), ("DON_TIEP_NHAN", "", "30"), ("DON_GIAI_QUYET", "", "1")];
    app.report("30883", 2017, 1).values(&mong_tho).insert().await;
    app.report("30733", 2017, 1).values(&[("DUONG_GTNT_KM", "", "0,2"), ("DON_TIEP_NHAN", "", "2")]).insert().await;
    app.rebuild_rollups().await;

    let leader = app.demo_client("tinh.lanhdao").await;
    let (status, body) =
        text(leader.get(app.url("/api/v1/aggregates/91?period=2017-Q1")).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""DUONG_GTNT_KM":0.3,"#) || body.contains(r#""DUONG_GTNT_KM":0.3}"#),
        "0,1 + 0,2 is 0,3 in the JSON text, not 0.30000000000000004: {body}"
    );
    let doc: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["values"]["DUONG_GTNT_KM"].as_f64(), Some(0.3));
    let parts: Vec<f64> = doc["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["values"]["DUONG_GTNT_KM"].as_f64())
        .collect();
    assert_eq!(parts.len(), 2, "one figure in each of the two districts");
    let rate = &doc["indicators"]["TL_GIAI_QUYET_DON"];
    assert_eq!((rate["numerator"].as_i64(), rate["denominator"].as_i64()), (Some(1), Some(32)));
    assert_eq!(rate["value"].as_f64(), Some(3.125), "1/32 × 100 exactly");

    // The same sums in Rust.
    let province =
        danvan::units::queries::resolve(&app.pool, "91", chrono::NaiveDate::from_ymd_opt(2017, 3, 31).expect("d"))
            .await
            .expect("q")
            .expect("unit");
    let quarter: Period = "2017-Q1".parse().expect("period");
    let totals = aggregate::totals(&app.pool, Some(&province.path), quarter, Basis::Accepted).await.expect("totals");
    assert_eq!(totals["DUONG_GTNT_KM"], Decimal::new(3, 1));
    assert_eq!(totals["DUONG_GTNT_KM"].to_string(), "0.3");

    // The dashboard writes the rate rounded half away from zero.
    let (status, page) = text(leader.get(app.url("/dashboards/91?period=2017-Q1")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("1/32 đơn (3,13%)"), "1/32 = 3,125% shows as 3,13%");
    let (status, page) =
        text(leader.get(app.url("/dashboards/91/drill?period=2017-Q1&key=DUONG_GTNT_KM")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("0,3"), "the drill-down's total");
}

#[tokio::test]
async fn drill_down_parts_add_up_to_the_whole() {
    let app = TestApp::spawn_with_demo().await;
    let province =
        danvan::units::queries::resolve(&app.pool, "91", chrono::NaiveDate::from_ymd_opt(2020, 12, 31).expect("d"))
            .await
            .expect("q")
            .expect("unit");
    let year: Period = "2020".parse().expect("period");
    let parts = aggregate::parts(&app.pool, Some(&province.path), year, Basis::Accepted).await.expect("parts");
    assert!(parts.len() >= 15, "the province's own report and its districts");
    let whole = aggregate::totals(&app.pool, Some(&province.path), year, Basis::Accepted).await.expect("totals");
    for key in ["DVHV_HIEN_CO", "DON_TIEP_NHAN", "GS_TONG", "XA_NTM"] {
        let sum: Decimal = parts.values().filter_map(|p| p.get(key)).sum();
        assert_eq!(sum, whole[key], "{key}");
    }
    assert_eq!(whole["DVHV_HIEN_CO"], d(585_160.0));

    let leader = app.demo_client("tinh.lanhdao").await;
    let (status, page) =
        text(leader.get(app.url("/dashboards/91/drill?period=2020&key=DON_TIEP_NHAN")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("Tổng Tỉnh Kiên Giang"));
    assert!(page.contains("<strong>436</strong>"), "the total of the parts");
    assert!(page.contains("Huyện Châu Thành"));
    // Down to a commune and the report and field its figure came from.
    let (status, page) =
        text(leader.get(app.url("/dashboards/30883/drill?period=2020&key=DON_TIEP_NHAN")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("/reports/30883/2020-Q"), "links to the reports");
    assert!(page.contains("#f-DON_TIEP_NHAN"), "and to the field");
}

#[tokio::test]
async fn the_province_dashboard_shows_seed_002_and_scope_holds() {
    let app = TestApp::spawn_with_demo().await;
    let leader = app.demo_client("tinh.lanhdao").await;
    let (status, page) = text(leader.get(app.url("/dashboards/91?period=2020")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("585.160/1.126.391 người (51,95%)"));
    assert!(page.contains("Chỉ tiêu ≥ 54%"), "seed 002's 2021 target");
    assert!(page.contains("Nguy cơ") || page.contains("Chưa đạt"), "status in words");
    assert!(page.contains("điểm phần trăm so với năm 2019"), "a rate's change is in percentage points");
    assert!(page.contains("<svg"), "the trend chart");
    assert!(page.contains("Bảng số liệu"), "with its data as a table");
    assert!(page.contains("Huyện Châu Thành"), "the ranking of districts");

    let district_leader = app.demo_client("huyen.lanhdao").await;
    assert_eq!(district_leader.get(app.url("/dashboards/905?period=2020")).send().await.expect("GET").status(), 200);
    let status = district_leader.get(app.url("/dashboards/906?period=2020")).send().await.expect("GET").status();
    assert!([403, 404].contains(&status.as_u16()), "another district's dashboard: {status}");
    let status = district_leader.get(app.url("/dashboards/91?period=2020")).send().await.expect("GET").status();
    assert_eq!(status, 403, "the province above is not in the district's subtree");
    let commune = app.demo_client("xa.nhaplieu").await;
    assert_eq!(commune.get(app.url("/dashboards/30883?period=2020")).send().await.expect("GET").status(), 200);
    assert_eq!(commune.get(app.url("/dashboards/30886?period=2020")).send().await.expect("GET").status(), 403);

    // Fresh at once: accepting a report changes the figures with no batch job.
    let before =
        aggregate::totals(&app.pool, None, "2017-Q1".parse().expect("period"), Basis::Accepted).await.expect("totals");
    assert!(!before.contains_key("TD_DINH_KY"));
    let national = app.demo_client("quantri").await;
    let drill = "/dashboards/TW/drill?period=2017-Q1&key=TD_DINH_KY";
    let (_, page) = text(national.get(app.url(drill)).send().await.expect("GET")).await;
    assert!(page.contains("<strong>chưa báo cáo</strong>"), "nothing yet (never a 0), and now this view is cached");
    // A submitted report (written directly), then accepted through the workflow.
    let id = app.report("30883", 2017, 1).status(Status::Submitted).values(&[("TD_DINH_KY", "", "7")]).insert().await;
    app.move_report(id, Status::Accepted).await;
    let national = app.demo_client("quantri").await;
    let (status, page) =
        text(national.get(app.url("/dashboards/TW/drill?period=2017-Q1&key=TD_DINH_KY")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>7</strong>"));
}

#[tokio::test]
async fn a_cached_dashboard_changes_the_moment_a_report_is_accepted() {
    let app = TestApp::spawn_with_demo().await;
    let other_server = app.restart().await;
    let leader = app.demo_client("tinh.lanhdao").await;
    let elsewhere = other_server.demo_client("tinh.lanhdao").await;
    let page = "/dashboards/30883?period=2017-Q1";
    let province = "/api/v1/aggregates/91?period=2017-Q1";
    let received = |doc: serde_json::Value| doc["values"]["DON_TIEP_NHAN"].as_f64().unwrap_or(0.0);
    let province_before =
        received(leader.get(app.url(province)).send().await.expect("GET").json().await.expect("json"));
    // Each server computes and caches the commune's dashboard.
    let (_, _) = text(elsewhere.get(other_server.url(page)).send().await.expect("GET")).await;
    let (status, before) = text(leader.get(app.url(page)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(!before.contains("5/10 đơn (50%)"));
    let (_, cached) = text(elsewhere.get(other_server.url(page)).send().await.expect("GET")).await;
    assert!(!cached.contains("5/10 đơn"), "the second server has it cached too");
    // A submitted report, accepted through the workflow; the server that made the move applies
    // it after its commit: the next page shows it.
    let id = app
        .report("30883", 2017, 1)
        .status(Status::Submitted)
        .values(&[("DON_TIEP_NHAN", "", "10"), ("DON_GIAI_QUYET", "", "5")])
        .insert()
        .await;
    app.move_report(id, Status::Accepted).await;
    let (_, after) = text(leader.get(app.url(page)).send().await.expect("GET")).await;
    assert!(after.contains("5/10 đơn (50"), "the accepted figures show at once: {}", after.len());
    let province_after = received(leader.get(app.url(province)).send().await.expect("GET").json().await.expect("json"));
    assert_eq!(province_after, province_before + 10.0, "the province above changes too");
    // Another server reads it from the change log, woken by the first server's announcement.
    let heard = other_server.page_until(&elsewhere, page, |body| body.contains("5/10 đơn (50")).await;
    assert!(heard.contains("5/10 đơn (50"), "the second server's cached dashboard follows the move");
}

/// The province's `DON_TIEP_NHAN` for 2017-Q1 on the accepted basis, as a server's API says.
async fn province_received(server: &TestApp, client: &reqwest::Client) -> f64 {
    let doc = server.get_json_as(client, "/api/v1/aggregates/91?period=2017-Q1").await;
    doc["values"]["DON_TIEP_NHAN"].as_f64().unwrap_or(0.0)
}

/// Waits up to five seconds (the change log is read every second) for `server` to show `expected`.
async fn until_province_shows(server: &TestApp, client: &reqwest::Client, expected: f64) -> f64 {
    let mut seen = province_received(server, client).await;
    for _ in 0..50 {
        if seen == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = province_received(server, client).await;
    }
    seen
}

#[tokio::test]
async fn another_server_hears_moves_whatever_order_they_commit_in() {
    use danvan::reports::store;
    let app = TestApp::spawn_with_demo().await;
    let other_server = app.restart().await;
    let elsewhere = other_server.demo_client("tinh.lanhdao").await;
    let before = province_received(&other_server, &elsewhere).await;
    // Two submitted reports of two communes of the province, accepted in two transactions: the
    // first to start (and to write its change) commits last.
    let mut ids = Vec::new();
    for code in ["30883", "30886"] {
        let id = app
            .report(code, 2017, 1)
            .on("2017-03-31")
            .status(Status::Submitted)
            .values(&[("DON_TIEP_NHAN", "", "10"), ("DON_GIAI_QUYET", "", "5")])
            .insert()
            .await;
        ids.push(id);
    }
    app.rebuild_rollups().await;
    let cached = province_received(&other_server, &elsewhere).await;
    assert_eq!(cached, before, "submitted reports do not count on the accepted basis");
    let mut first = app.pool.begin().await.expect("tx");
    let report = store::by_id(&mut first, ids[0]).await.expect("report");
    let _ = store::transition(&mut first, &report, Status::Accepted, (UserId(1), "kiểm tra"), "", &Default::default())
        .await
        .expect("accept");
    let mut second = app.pool.begin().await.expect("tx");
    let report = store::by_id(&mut second, ids[1]).await.expect("report");
    let _ = store::transition(&mut second, &report, Status::Accepted, (UserId(1), "kiểm tra"), "", &Default::default())
        .await
        .expect("accept");
    second.commit().await.expect("commit");
    // No server announced anything: the other server's reader finds the move on its own.
    let seen = until_province_shows(&other_server, &elsewhere, before + 10.0).await;
    assert_eq!(seen, before + 10.0, "the move committed first is heard");
    first.commit().await.expect("commit");
    let seen = until_province_shows(&other_server, &elsewhere, before + 20.0).await;
    assert_eq!(seen, before + 20.0, "the move that started first and committed last is heard too");
    let logged: i64 = app.scalar("SELECT count(*) FROM rollup_changes").await;
    assert!(logged >= 2, "each move is in the change log: {logged}");
}

#[tokio::test]
async fn another_server_hears_a_first_submission_on_the_accepted_basis_too() {
    let app = TestApp::spawn_with_demo().await;
    let other_server = app.restart().await;
    let elsewhere = other_server.demo_client("tinh.lanhdao").await;
    let district: String = app
        .scalar(
            "SELECT p.code FROM units c JOIN units p ON p.id = c.parent_id
             WHERE c.code = '30883' ORDER BY c.valid_from NULLS FIRST LIMIT 1",
        )
        .await;
    // The accepted basis, the dashboards' default: figures of accepted reports only, but who
    // sent is counted whatever the report's state.
    let page = format!("/dashboards/{district}?period=2017-Q1");
    let sent = |page: &str| -> String {
        let start = page.find("Đã gửi ").expect("the page says how many units below sent");
        page[start..].chars().take_while(|c| *c != 'đ').collect()
    };
    // A draft of one commune (in no roll-up), then the other server computes and caches the page.
    let id = app
        .report("30883", 2017, 1)
        .on("2017-03-31")
        .status(Status::Draft)
        .values(&[("DON_TIEP_NHAN", "", "10")])
        .insert()
        .await;
    let (status, before) = text(elsewhere.get(other_server.url(&page)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let before = sent(&before);
    // Sent for the first time on the first server: only the submitted basis's figures move,
    // but the accepted basis's count of who sent does too.
    app.move_report(id, Status::Submitted).await;
    let after = sent(&other_server.page_until(&elsewhere, &page, |body| sent(body) != before).await);
    assert_ne!(after, before, "the other server's accepted-basis dashboard counts the new sender");
}

/// A submitted report of commune 30883 for 2017-Q1 with 10 letters received, in the roll-ups.
async fn submitted_in_a_commune(app: &TestApp) -> danvan::reports::store::ReportId {
    let id = app
        .report("30883", 2017, 1)
        .on("2017-03-31")
        .status(Status::Submitted)
        .values(&[("DON_TIEP_NHAN", "", "10")])
        .insert()
        .await;
    app.rebuild_rollups().await;
    id
}

/// A return moves the submitted basis's figures only, but the report's state shows on the
/// dashboards of both bases: the commune's own page (the default, accepted basis) says so at
/// once on the server that returned it and soon on another.
#[tokio::test]
async fn a_returned_report_shows_as_returned_on_the_accepted_basis_on_every_server() {
    let app = TestApp::spawn_with_demo().await;
    let other_server = app.restart().await;
    let here = app.demo_client("tinh.lanhdao").await;
    let elsewhere = other_server.demo_client("tinh.lanhdao").await;
    let page = "/dashboards/30883?period=2017-Q1";
    let id = submitted_in_a_commune(&app).await;
    for (server, client) in [(&app, &here), (&other_server, &elsewhere)] {
        let (status, body) = text(client.get(server.url(page)).send().await.expect("GET")).await;
        assert_eq!(status, 200);
        assert!(body.contains("của đơn vị: đã gửi"), "cached as sent");
    }
    app.move_report(id, Status::Returned).await;
    let (_, body) = text(here.get(app.url(page)).send().await.expect("GET")).await;
    assert!(body.contains("của đơn vị: trả lại"), "the server that returned it shows it at once");
    let heard = other_server.page_until(&elsewhere, page, |body| body.contains("của đơn vị: trả lại")).await;
    assert!(heard.contains("của đơn vị: trả lại"), "the other server hears it from the change log");
}

/// A draft is not a report yet: the commune's own line reads "chưa báo cáo" before and after
/// its first save, on the server whose page was cached before the save (saves log no change)
/// and on one that computes the page afresh.
#[tokio::test]
async fn a_first_draft_reads_as_not_reported_whether_the_page_was_cached_or_not() {
    let app = TestApp::spawn_with_demo().await;
    let client = app.demo_client("tinh.lanhdao").await;
    let page = "/dashboards/30883?period=2017-Q1";
    let own = |body: &str| body.contains("của đơn vị: chưa báo cáo") && !body.contains("của đơn vị: nháp");
    let (status, body) = text(client.get(app.url(page)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(own(&body), "no report yet");
    app.report("30883", 2017, 1)
        .on("2017-03-31")
        .status(Status::Draft)
        .values(&[("DON_TIEP_NHAN", "", "10")])
        .insert()
        .await;
    let (_, cached) = text(client.get(app.url(page)).send().await.expect("GET")).await;
    assert!(own(&cached), "the cached page");
    let fresh_server = app.restart().await;
    let fresh = fresh_server.demo_client("tinh.lanhdao").await;
    let (_, computed) = text(fresh.get(fresh_server.url(page)).send().await.expect("GET")).await;
    assert!(own(&computed), "a page computed after the save says the same");
}

#[tokio::test]
async fn an_acceptance_in_one_commune_of_today_reads_that_commune_again_not_the_whole_province() {
    let app = TestApp::spawn_with_demo().await;
    let leader = app.demo_client("angiang.lanhdao").await;
    // Two communes of today directly under the province (no roll-ups of their own: read live).
    let communes: Vec<(i32, String)> = sqlx::query_as(
        "SELECT c.id, c.code FROM units c JOIN units p ON p.id = c.parent_id
         WHERE p.code = '91' AND p.valid_to IS NULL AND c.valid_to IS NULL AND c.level = 3
         ORDER BY c.code LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .expect("communes");
    assert_eq!(communes.len(), 2, "the province of today has communes");
    // The current quarter: the demo leaves it empty.
    let period = danvan::reports::Period::containing(danvan::units::today());
    let quarter = period.final_quarter();
    let mut ids = Vec::new();
    let today = danvan::units::today().to_string();
    for ((_, code), (status, value)) in communes.iter().zip([(Status::Submitted, "10"), (Status::Accepted, "7")]) {
        let report = app.report(code, quarter.year(), i16::from(quarter.number())).on(&today).status(status);
        ids.push(report.values(&[("DON_TIEP_NHAN", "", value)]).insert().await);
    }
    app.rebuild_rollups().await;
    app.cache.clear();
    let path = format!("/api/v1/aggregates/91?period={}&unit_date=2025-07-01", period.code());
    let before = aggregates(&leader, &app, &path).await;
    assert_parts_add_up(&before, "before");
    assert_eq!(value(&before, "DON_TIEP_NHAN"), 7.0, "the accepted report only");
    let read_before = app.cache.parts_read();
    app.move_report(ids[0], Status::Accepted).await;
    let after = aggregates(&leader, &app, &path).await;
    assert_eq!(value(&after, "DON_TIEP_NHAN"), value(&before, "DON_TIEP_NHAN") + 10.0, "the acceptance counts at once");
    assert_parts_add_up(&after, "after");
    assert_eq!(
        app.cache.parts_read() - read_before,
        2,
        "only the commune that moved and the province's own reports are read again"
    );

    // The province's totals (what its year-on-year comparison reads) come from its own roll-up:
    // one part read, not its hundred communes again.
    app.cache.clear();
    let read_before = app.cache.parts_read();
    let province: String = app.scalar("SELECT path::text FROM units WHERE code = '91' AND valid_to IS NULL").await;
    let view = app.cache.view(&app.pool).await.expect("view");
    for basis in [Basis::Accepted, Basis::Submitted] {
        let totals = view.totals(Some(&province), period, basis).await.expect("totals");
        let parts = aggregate::live_parts(&app.pool, Some(&province), period, basis).await.expect("parts");
        let summed = aggregate::sum_parts(parts.values());
        assert_eq!(totals.get("DON_TIEP_NHAN").map(|v| v.normalize()), Some(d(17.0).normalize()), "{basis:?}");
        assert_eq!(totals, summed, "{basis:?}: the roll-up and the reports agree");
    }
    assert_eq!(app.cache.parts_read() - read_before, 2, "one roll-up read per basis");
    // A move in one commune makes the province's cached totals stale with it.
    app.move_report(ids[1], Status::Returned).await;
    let view = app.cache.view(&app.pool).await.expect("view");
    let totals = view.totals(Some(&province), period, Basis::Accepted).await.expect("totals");
    assert_eq!(
        totals.get("DON_TIEP_NHAN").map(|v| v.normalize()),
        Some(d(10.0).normalize()),
        "the reopened report leaves the province's totals"
    );
}

#[tokio::test]
async fn the_aggregates_api_gives_the_dashboard_figures_with_parts_that_add_up() {
    let app = TestApp::spawn_with_demo().await;
    let leader = app.demo_client("tinh.lanhdao").await;
    let get = |path: &str| leader.get(app.url(path)).send();
    let response = get("/api/v1/aggregates/91?period=2020").await.expect("GET");
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.expect("json");
    assert_eq!(doc["unit"]["code"], "91");
    assert_eq!(doc["unit"]["level"], 1);
    assert_eq!(doc["period"], "2020");
    assert_eq!(doc["basis"], "accepted");
    assert_eq!(doc["values"]["DVHV_HIEN_CO"].as_f64(), Some(585_160.0), "seed 002's members");
    let rate = &doc["indicators"]["TL_DVHV"];
    assert_eq!(rate["numerator"].as_f64(), Some(585_160.0));
    assert_eq!(rate["denominator"].as_f64(), Some(1_126_391.0));
    assert!((rate["value"].as_f64().expect("value") - 51.95).abs() < 0.005);
    // The parts: the province's own report and the districts below it add up to the whole.
    let children = doc["children"].as_array().expect("children");
    assert_eq!(children.len(), 15, "Kiên Giang's 15 districts at the end of 2020");
    let values = doc["values"].as_object().expect("values");
    for (key, whole) in values {
        let own = doc["own"][key].as_f64().unwrap_or(0.0);
        let parts: f64 = children.iter().filter_map(|c| c["values"][key].as_f64()).sum();
        assert!((own + parts - whole.as_f64().expect("number")).abs() < 1e-6, "{key}");
    }
    assert_eq!(doc["completeness"]["expected"], 15);

    // The country: provinces at the period's end, no own report.
    let national = app.demo_client("quantri").await;
    let doc: serde_json::Value = national
        .get(app.url("/api/v1/aggregates/TW?period=2020"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["children"].as_array().map(Vec::len), Some(63));
    assert!(doc.get("own").is_none());

    // Bad input and scope.
    for (path, status) in [
        ("/api/v1/aggregates/91?period=2020-Q5", 422),
        ("/api/v1/aggregates/91", 422),
        ("/api/v1/aggregates/91?period=2020&basis=everything", 422),
        ("/api/v1/aggregates/99999?period=2020", 404),
    ] {
        let response = get(path).await.expect("GET");
        assert_eq!(response.status(), status, "{path}");
        let error: serde_json::Value = response.json().await.expect("a JSON error");
        assert!(error["error"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {error}");
    }
    let commune = app.demo_client("xa.nhaplieu").await;
    let response = commune.get(app.url("/api/v1/aggregates/91?period=2020")).send().await.expect("GET");
    assert!([403, 404].contains(&response.status().as_u16()), "a commune does not read its province");
    // A personal token reads it too.
    let (_, page) = text(
        leader
            .post(app.url("/profile/tokens"))
            .form(&[("name", "Tổng hợp"), ("password", danvan::demo::DEMO_PASSWORD)])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    let start = page.find("dv_").expect("token");
    let token: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/aggregates/91?period=2020"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
}

/// Random sequences of saves, imports (several values at once), submissions, returns,
/// acceptances and reopenings over a small tree (a province, one district, its communes, a
/// quarter or three of one year): after every step the roll-ups equal the plain computation
/// from the reports, for every period kind and both bases, at the country, the province and the
/// district, and `rollup verify` finds nothing.
#[tokio::test]
async fn rollups_equal_the_plain_computation_after_every_step() {
    use danvan::dashboards::rollup;
    use danvan::reports::store::{self, Draft};
    use rand::{Rng, SeedableRng};

    let app = TestApp::spawn_with_demo().await;
    let on = chrono::NaiveDate::from_ymd_opt(2018, 12, 31).expect("date");
    let resolve = |code: &'static str| {
        let pool = app.pool.clone();
        async move { danvan::units::queries::resolve(&pool, code, on).await.expect("q").expect("unit") }
    };
    let province = resolve("91").await;
    let district = resolve("905").await;
    let communes = [resolve("30883").await, resolve("30886").await, resolve("30889").await];
    let mut units: Vec<danvan::units::UnitId> = communes.iter().map(|u| u.id).collect();
    units.push(district.id);
    units.push(province.id);
    let keys = ["TD_DINH_KY", "DON_TIEP_NHAN", "DVHV_HIEN_CO.HND", "DVHV_HIEN_CO.HLHPN", "DVHV_DOI_TUONG.HND"];
    let periods: Vec<Period> = ["2018-Q1", "2018-Q2", "2018-Q3", "2018-H1", "2018-9M", "2018"]
        .iter()
        .map(|p| p.parse().expect("period"))
        .collect();

    // A cache that hears every move, as the server's does: its parts must stay exact too.
    let cache = danvan::dashboards::cache::AggregateCache::default();
    for seed in 0..2u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut fold_from: i16 = 4;
        for step in 0..30 {
            let unit = units[rng.random_range(0..units.len())];
            let quarter = rng.random_range(1..=3u8);
            let mut tx = app.pool.begin().await.expect("tx");
            let report = store::find(&app.pool, unit, quarter_of(2018, quarter)).await.expect("find");
            let status = report.as_ref().map(|r| r.status);
            let what = rng.random_range(0..4);
            let mut moved = None;
            match (what, status) {
                // Save (one value) or import (several) into a draft or returned report.
                (0 | 1, None | Some(Status::Draft) | Some(Status::Returned)) => {
                    let count = if what == 0 { 1 } else { 3 };
                    let mut draft = Draft::default();
                    for _ in 0..count {
                        let key = keys[rng.random_range(0..keys.len())];
                        // Tenths, so that sums in doubles would drift.
                        draft.values.insert(key.to_owned(), Decimal::new(rng.random_range(0..5000i64), 1));
                    }
                    if rng.random_bool(0.2) {
                        draft.cleared.push(keys[rng.random_range(0..keys.len())].to_owned());
                    }
                    let version = report.as_ref().map(|r| r.version).unwrap_or(0);
                    store::save(&mut tx, unit, quarter_of(2018, quarter), version, &draft, (UserId(1), "kiểm tra"))
                        .await
                        .expect("save");
                }
                (_, Some(current)) => {
                    let to = match current {
                        Status::Draft | Status::Returned => Status::Submitted,
                        Status::Submitted if rng.random_bool(0.3) => Status::Returned,
                        Status::Submitted => Status::Accepted,
                        Status::Accepted => Status::Returned,
                    };
                    let report = report.expect("report");
                    let change =
                        store::transition(&mut tx, &report, to, (UserId(1), "kiểm tra"), "", &Default::default())
                            .await
                            .expect("move");
                    moved = Some(change);
                    // The fold below reads only the quarters moved since the last one.
                    fold_from = fold_from.min(i16::from(quarter));
                }
                _ => {}
            }
            tx.commit().await.expect("commit");
            if let Some(change) = moved.take() {
                cache.apply(&change);
            }
            if step % 7 == 3 {
                rollup::compact(&app.pool, province.id, 2018, fold_from).await.expect("compact");
                rollup::compact(&app.pool, rollup::COUNTRY, 2018, fold_from).await.expect("compact");
                fold_from = 4;
                // Compaction leaves one row per key (it rewrites only keys holding several), in
                // every quarter, although it read only those moved since the last fold.
                let unfolded: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT 1 FROM rollup_delta WHERE unit_id = ANY($1) AND year = 2018
                     GROUP BY unit_id, basis, kind, quarter, element_code, organisation_code HAVING count(*) > 1) k",
                )
                .bind(vec![province.id, rollup::COUNTRY])
                .fetch_one(&app.pool)
                .await
                .expect("count keys");
                assert_eq!(unfolded, 0, "seed {seed} step {step}: keys left unfolded after compaction");
            }
            // The full recomputation is slower: every third step and the last one.
            let differences =
                if step % 3 == 0 || step == 29 { rollup::verify(&app.pool).await.expect("verify") } else { Vec::new() };
            assert!(differences.is_empty(), "seed {seed} step {step}: {:?}", &differences[..differences.len().min(3)]);
            for period in &periods {
                for basis in [Basis::Accepted, Basis::Submitted] {
                    for root in [None, Some(province.path.as_str()), Some(district.path.as_str())] {
                        let rolled = aggregate::parts(&app.pool, root, *period, basis).await.expect("parts");
                        let live = aggregate::live_parts(&app.pool, root, *period, basis).await.expect("live");
                        let view = cache.view(&app.pool).await.expect("view");
                        let cached = view.parts(root, *period, basis).await.expect("cached parts");
                        let whole = |parts: &std::collections::BTreeMap<String, aggregate::Totals>| {
                            // Exact decimals: equal to the last digit, zeros of the scale aside.
                            let mut sum: Vec<(String, Decimal)> = aggregate::sum_parts(parts.values())
                                .into_iter()
                                .map(|(k, v)| (k, v.normalize()))
                                .collect();
                            sum.sort();
                            sum
                        };
                        assert_eq!(
                            whole(&rolled),
                            whole(&live),
                            "seed {seed} step {step} {period:?} {basis:?} {root:?}"
                        );
                        assert_eq!(
                            whole(&cached),
                            whole(&live),
                            "cached: seed {seed} step {step} {period:?} {basis:?} {root:?}"
                        );
                        // Part by part too: a district's communes are read live, their values
                        // folded in Rust (`live_parts_of`), where `live_parts` groups in SQL.
                        let by_part = |parts: &std::collections::BTreeMap<String, aggregate::Totals>| {
                            let mut rows: Vec<(String, String, Decimal)> = parts
                                .iter()
                                .flat_map(|(path, totals)| {
                                    totals.iter().map(|(k, v)| (path.clone(), k.clone(), v.normalize()))
                                })
                                .collect();
                            rows.sort();
                            rows
                        };
                        assert_eq!(
                            by_part(&cached),
                            by_part(&live),
                            "cached, part by part: seed {seed} step {step} {period:?} {basis:?} {root:?}"
                        );
                    }
                }
            }
        }
    }
    // A stock that becomes a flow (a catalogue change) is recomputed with it.
    sqlx::query("UPDATE data_elements SET aggregation = 'sum' WHERE code = 'DVHV_HIEN_CO'")
        .execute(&app.pool)
        .await
        .expect("catalogue change");
    assert!(rollup::verify(&app.pool).await.expect("verify").is_empty(), "roll-ups follow the catalogue");
}

/// An element that becomes a stock has its roll-ups recomputed in the catalogue change's
/// transaction: an acceptance in flight, which wrote the element's rows as a flow's, is waited
/// for, so that its stock rows are not lost (migration 0027).
#[tokio::test]
async fn an_element_becoming_a_stock_waits_for_a_move_in_flight() {
    use danvan::reports::store;
    let app = TestApp::spawn_with_demo().await;
    let id = submitted_in_a_commune(&app).await;
    let mut moving = app.pool.begin().await.expect("tx");
    let report = store::by_id(&mut moving, id).await.expect("report");
    let _ = store::transition(&mut moving, &report, Status::Accepted, (UserId(1), "kiểm tra"), "", &Default::default())
        .await
        .expect("accept");
    // An administrator makes the element a stock while the acceptance has not committed.
    let pool = app.pool.clone();
    let edit = tokio::spawn(async move {
        sqlx::query("UPDATE data_elements SET aggregation = 'last' WHERE code = 'DON_TIEP_NHAN'").execute(&pool).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!edit.is_finished(), "the recomputation waits for the move in flight");
    moving.commit().await.expect("commit");
    edit.await.expect("task").expect("catalogue change");
    let differences = danvan::dashboards::rollup::verify(&app.pool).await.expect("verify");
    assert!(differences.is_empty(), "{:?}", &differences[..differences.len().min(3)]);
}

/// A stock's latest value when reports move out of order: an earlier quarter's report moved in
/// or out under a later counted one changes the stock only up to that later quarter, and when a
/// report leaves, the latest value before it counts again (the kind-2 rows of `after_move`,
/// which the random steps above reach only by chance). `rollup verify` after every move.
#[tokio::test]
async fn a_stock_moved_under_a_later_report_counts_only_up_to_it() {
    use danvan::dashboards::rollup;
    use danvan::reports::store::{self, Draft};
    let app = TestApp::spawn_with_demo().await;
    let on = chrono::NaiveDate::from_ymd_opt(2016, 12, 31).expect("date");
    let unit = danvan::units::queries::resolve(&app.pool, "30883", on).await.expect("q").expect("unit");
    // (quarter, the stock's value, the status to reach), in an order that makes each case happen.
    let steps = [
        (3, 30, Status::Accepted),
        (1, 10, Status::Accepted),  // under Q3: counts for Q1–Q2 only
        (2, 20, Status::Submitted), // between them: "include submitted" only
        (1, 10, Status::Returned),  // leaves: nothing before it, Q2's 20 after it (submitted)
        (3, 30, Status::Returned),  // the later one leaves: Q2's 20 (submitted) up to Q4
        (1, 11, Status::Accepted),
        (2, 20, Status::Accepted),
        (3, 33, Status::Accepted),
        (2, 20, Status::Returned), // the middle one leaves: Q1's 11 for Q2, Q3's 33 from Q3
    ];
    for (step, (number, value, wanted)) in steps.into_iter().enumerate() {
        let quarter = quarter_of(2016, number);
        let mut tx = app.pool.begin().await.expect("tx");
        let mut report = store::find(&app.pool, unit.id, quarter).await.expect("find");
        if report.as_ref().is_none_or(|r| r.status.editable()) {
            let mut draft = Draft::default();
            draft.values.insert("DVHV_HIEN_CO.HND".to_owned(), Decimal::from(value));
            draft.values.insert("TD_DINH_KY".to_owned(), Decimal::from(value));
            let version = report.as_ref().map(|r| r.version).unwrap_or(0);
            report = Some(
                store::save(&mut tx, unit.id, quarter, version, &draft, (UserId(1), "kiểm tra")).await.expect("save"),
            );
        }
        let mut report = report.expect("report");
        while report.status != wanted {
            let next = match (report.status, wanted) {
                (Status::Draft | Status::Returned, _) => Status::Submitted,
                (Status::Submitted, Status::Accepted) => Status::Accepted,
                _ => Status::Returned,
            };
            // No cache here to tell: `rollup verify` reads the tables.
            let _change = store::transition(&mut tx, &report, next, (UserId(1), "kiểm tra"), "", &Default::default())
                .await
                .expect("move");
            report = store::by_id(&mut tx, report.id).await.expect("report");
        }
        tx.commit().await.expect("commit");
        let differences = rollup::verify(&app.pool).await.expect("verify");
        assert!(differences.is_empty(), "step {step}: {:?}", &differences[..differences.len().min(3)]);
    }
}

/// Draft saves change nothing a dashboard shows: they keep every cached dashboard and take no
/// lock on the generation row; a move of the report starts a new generation.
#[tokio::test]
async fn draft_saves_leave_cached_dashboards_alone() {
    use danvan::reports::store::{self, Draft};
    let app = TestApp::spawn_with_demo().await;
    let generation = || async {
        sqlx::query_scalar::<_, i64>("SELECT value FROM data_generation").fetch_one(&app.pool).await.expect("q")
    };
    let unit =
        danvan::units::queries::resolve(&app.pool, "30883", chrono::NaiveDate::from_ymd_opt(2018, 12, 31).expect("d"))
            .await
            .expect("q")
            .expect("unit");
    let mut tx = app.pool.begin().await.expect("tx");
    let mut draft = Draft::default();
    draft.values.insert("TD_DINH_KY".to_owned(), Decimal::from(3));
    let report = store::save(&mut tx, unit.id, quarter_of(2018, 2), 0, &draft, (UserId(1), "kiểm tra"))
        .await
        .expect("first save");
    tx.commit().await.expect("commit");
    let before = generation().await;
    for round in 0..3 {
        let mut tx = app.pool.begin().await.expect("tx");
        let current = store::find(&app.pool, unit.id, quarter_of(2018, 2)).await.expect("find").expect("report");
        draft.values.insert("TD_DINH_KY".to_owned(), Decimal::from(4 + round));
        store::save(&mut tx, unit.id, quarter_of(2018, 2), current.version, &draft, (UserId(1), "kiểm tra"))
            .await
            .expect("save");
        tx.commit().await.expect("commit");
    }
    assert_eq!(generation().await, before, "autosaves keep the cached dashboards");
    let mut tx = app.pool.begin().await.expect("tx");
    let current = store::by_id(&mut tx, report.id).await.expect("report");
    let change =
        store::transition(&mut tx, &current, Status::Submitted, (UserId(1), "kiểm tra"), "", &Default::default())
            .await
            .expect("submit");
    tx.commit().await.expect("commit");
    assert_eq!(generation().await, before, "a move names what it changed instead of locking the generation row");
    assert_eq!(change.year, 2018);
    assert!(change.path.ends_with(&format!(".{}", unit.id)), "the unit's path: {}", change.path);
}

async fn aggregates(client: &reqwest::Client, app: &TestApp, path: &str) -> serde_json::Value {
    let response = client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

fn value(doc: &serde_json::Value, key: &str) -> f64 {
    doc["values"][key].as_f64().unwrap_or(0.0)
}

/// `values = own + Σ children` for every figure.
fn assert_parts_add_up(doc: &serde_json::Value, what: &str) {
    let children = doc["children"].as_array().expect("children");
    for (key, whole) in doc["values"].as_object().expect("values") {
        let own = doc["own"][key].as_f64().unwrap_or(0.0);
        let parts: f64 = children.iter().filter_map(|c| c["values"][key].as_f64()).sum();
        assert!((own + parts - whole.as_f64().expect("number")).abs() < 1e-6, "{what}: {key}");
    }
}

/// Today's Lâm Đồng (68 from 01/07/2025) was formed from the old Lâm Đồng (68), Đắk Nông (67)
/// and Bình Thuận (60); today's Xã Đức Trọng (24958) from Thị trấn Liên Nghĩa (24958) and Xã
/// Phú Hội (24982). Its 2024 is its predecessors'; its 2025 adds their first half's flows to
/// its own second half, with stocks of the units that exist at the year's end only; the
/// country's 2025 is the sum of today's 34 provinces.
#[tokio::test]
async fn history_runs_through_the_lineage_across_the_reform() {
    let app = TestApp::spawn_with_demo().await;
    let old = "2024-12-31";
    let new = "2025-07-01";
    // Two old communes in two old provinces, 2024-Q4.
    app.report("24958", 2024, 4)
        .on(old)
        .values(&[("DON_TIEP_NHAN", "", "10"), ("DVHV_HIEN_CO", "HND", "100")])
        .insert()
        .await;
    app.report("24611", 2024, 4)
        .on(old)
        .values(&[("DON_TIEP_NHAN", "", "5"), ("DVHV_HIEN_CO", "HND", "50")])
        .insert()
        .await;
    // 2025: Liên Nghĩa's first quarter, Huyện Đức Trọng's own second quarter, and the new
    // commune's third quarter.
    app.report("24958", 2025, 1)
        .on(old)
        .values(&[("DON_TIEP_NHAN", "", "3"), ("DVHV_HIEN_CO", "HND", "110")])
        .insert()
        .await;
    app.report("678", 2025, 2).on(old).values(&[("DON_TIEP_NHAN", "", "2")]).insert().await;
    app.report("24958", 2025, 3)
        .on(new)
        .values(&[("DON_TIEP_NHAN", "", "7"), ("DVHV_HIEN_CO", "HND", "130")])
        .insert()
        .await;
    app.rebuild_rollups().await;
    let national = app.demo_client("quantri").await;

    // A province merged whole: 2024 is exactly its predecessors' sum, flows and stocks.
    let y2024 = aggregates(&national, &app, "/api/v1/aggregates/68?period=2024&unit_date=2025-07-01").await;
    assert_eq!(y2024["unit"]["name"], "Tỉnh Lâm Đồng");
    assert_eq!(y2024["unit"]["valid_from"], "2025-07-01");
    assert_eq!(value(&y2024, "DON_TIEP_NHAN"), 15.0);
    assert_eq!(value(&y2024, "DVHV_HIEN_CO"), 150.0);
    let names: Vec<&str> =
        y2024["children"].as_array().expect("children").iter().filter_map(|c| c["unit"]["name"].as_str()).collect();
    assert_eq!(names.len(), 3, "the predecessors stand below it for 2024: {names:?}");
    assert!(names.contains(&"Tỉnh Đắk Nông"), "{names:?}");
    assert_parts_add_up(&y2024, "Lâm Đồng 2024");
    // Without unit_date the code means the old Lâm Đồng at the end of 2024.
    let old_only = aggregates(&national, &app, "/api/v1/aggregates/68?period=2024").await;
    assert_eq!(value(&old_only, "DON_TIEP_NHAN"), 10.0);

    // 2025 spans the reform: flows 3 + 2 (first half) + 7; the stock is the new commune's
    // December figure only (Liên Nghĩa's 110 is history, not part of a later total).
    let y2025 = aggregates(&national, &app, "/api/v1/aggregates/68?period=2025&unit_date=2025-07-01").await;
    assert_eq!(value(&y2025, "DON_TIEP_NHAN"), 12.0);
    assert_eq!(value(&y2025, "DVHV_HIEN_CO"), 130.0);
    assert_parts_add_up(&y2025, "Lâm Đồng 2025");
    let children = y2025["children"].as_array().expect("children");
    assert!(children.len() > 100, "today's communes below it at the end of 2025");
    let duc_trong = children.iter().find(|c| c["unit"]["code"] == "24958").expect("Xã Đức Trọng");
    assert_eq!(value(duc_trong, "DON_TIEP_NHAN"), 10.0, "Liên Nghĩa's first quarter is Đức Trọng's history");
    assert_eq!(y2025["own"]["DON_TIEP_NHAN"].as_f64(), Some(2.0), "the old district's own report");

    // The country over 2025 equals today's 34 provinces; over 2024, the 63 of then.
    let nation = aggregates(&national, &app, "/api/v1/aggregates/TW?period=2025").await;
    assert_eq!(nation["children"].as_array().map(Vec::len), Some(34));
    let lam_dong =
        nation["children"].as_array().and_then(|c| c.iter().find(|c| c["unit"]["code"] == "68")).expect("68");
    assert_eq!(value(lam_dong, "DVHV_HIEN_CO"), 130.0);
    assert_eq!(value(lam_dong, "DON_TIEP_NHAN"), 12.0);
    // With Liên Nghĩa's June stock on top, the country would exceed its provinces by 110.
    assert_parts_add_up(&nation, "the country 2025");
    let nation_2024 = aggregates(&national, &app, "/api/v1/aggregates/TW?period=2024").await;
    assert_eq!(nation_2024["children"].as_array().map(Vec::len), Some(63));

    // A commune of today over 2024: its predecessors, whole.
    let commune = aggregates(&national, &app, "/api/v1/aggregates/24958?period=2024&unit_date=2025-07-01").await;
    assert_eq!(value(&commune, "DON_TIEP_NHAN"), 10.0);
    assert_eq!(commune["estimated"], false);

    // The page says where the figures come from, and marks the reform on the trend.
    let (status, page) =
        text(national.get(app.url("/dashboards/68?period=2024&unit_date=2025-07-01")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("đơn vị tiền thân") && page.contains("Tỉnh Đắk Nông"), "the predecessors are named");
    // A central target gives the page a tile with its 8-quarter trend.
    sqlx::query(
        "INSERT INTO targets (directive_id, indicator_code, comparator, value)
         SELECT id, 'TL_DVHV', '>=', 50 FROM directives WHERE issuing_unit_id IS NULL AND status = 'hieu_luc' LIMIT 1",
    )
    .execute(&app.pool)
    .await
    .expect("target");
    // Written beside the server, as another server would: its announcement is not waited for.
    app.cache.forget_generation();
    let (_, page) =
        text(national.get(app.url("/dashboards/68?period=2025-Q4&unit_date=2025-07-01")).send().await.expect("GET"))
            .await;
    assert!(page.contains("reform-mark"), "the trend marks 1 July 2025");
    assert!(page.contains("chính quyền địa phương 2 cấp"), "and so does its table");
    assert!(page.contains("Tỉnh Lâm Đồng ("), "the switch to the old unit that carried code 68");
    // 124 communes below: the first and last ten, the middle folded.
    assert!(page.contains("Xem 104 đơn vị ở giữa bảng xếp hạng"), "a long ranking is folded");
}

/// A commune of today's trend reaches back through its old communes (today's Xã Đức Trọng,
/// 24958, from Thị trấn Liên Nghĩa, 24958, and Xã Phú Hội, 24982): their quarters before
/// 1 July 2025, its own after, read together; a move of an old commune's report makes the
/// cached trend of the commune of today stale, although it lies outside its subtree.
#[tokio::test]
async fn a_communes_trend_reaches_through_its_old_communes() {
    use danvan::dashboards::cache::AggregateCache;
    use danvan::dashboards::history;
    use danvan::reports::store;

    let app = TestApp::spawn_with_demo().await;
    let old = "2024-12-31";
    app.report("24958", 2024, 4)
        .on(old)
        .values(&[("DON_TIEP_NHAN", "", "10"), ("DVHV_HIEN_CO", "HND", "100")])
        .insert()
        .await;
    app.report("24982", 2024, 4).on(old).values(&[("DON_TIEP_NHAN", "", "4")]).insert().await;
    app.report("24958", 2025, 1).on(old).values(&[("DON_TIEP_NHAN", "", "3")]).insert().await;
    let pending = app
        .report("24982", 2025, 2)
        .on(old)
        .status(Status::Submitted)
        .values(&[("DON_TIEP_NHAN", "", "2")])
        .insert()
        .await;
    // Not a predecessor: Huyện Đức Trọng's own report and a commune of another old province.
    app.report("678", 2025, 2).on(old).values(&[("DON_TIEP_NHAN", "", "50")]).insert().await;
    app.report("24611", 2024, 4).on(old).values(&[("DON_TIEP_NHAN", "", "500")]).insert().await;
    app.report("24958", 2025, 3)
        .on("2025-07-01")
        .values(&[("DON_TIEP_NHAN", "", "7"), ("DVHV_HIEN_CO", "HND", "130")])
        .insert()
        .await;
    let today = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
    let commune = danvan::units::queries::resolve(&app.pool, "24958", today).await.expect("q").expect("unit");
    let cache = AggregateCache::default();
    let trend = |basis: Basis, period: &'static str| {
        let (cache, pool, commune) = (&cache, &app.pool, &commune);
        async move {
            let view = cache.view(pool).await.expect("view");
            let period: Period = period.parse().expect("period");
            history::quarterly(&view, Some(commune), period, 8, basis)
                .await
                .expect("trend")
                .into_iter()
                .map(|(quarter, totals)| {
                    let get = |key: &str| totals.get(key).copied().unwrap_or_default().normalize();
                    (quarter.code(), get("DON_TIEP_NHAN"), get("DVHV_HIEN_CO.HND"))
                })
                .collect::<Vec<_>>()
        }
    };
    let expected = |q2: f64| {
        let quarters = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"];
        let figures =
            [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (14.0, 100.0), (3.0, 0.0), (q2, 0.0), (7.0, 130.0), (0.0, 0.0)];
        quarters
            .iter()
            .zip(figures)
            .map(|(q, (f, s))| (q.to_string(), d(f).normalize(), d(s).normalize()))
            .collect::<Vec<_>>()
    };
    assert_eq!(trend(Basis::Accepted, "2025-Q4").await, expected(0.0), "accepted reports only");
    assert_eq!(trend(Basis::Submitted, "2025-Q4").await, expected(2.0), "with Phú Hội's submitted quarter");

    // Phú Hội's second quarter is accepted: the cached trend of today's commune follows.
    let mut tx = app.pool.begin().await.expect("tx");
    let report = store::by_id(&mut tx, pending).await.expect("report");
    let change =
        store::transition(&mut tx, &report, Status::Accepted, (UserId(1), "kiểm tra"), "", &Default::default())
            .await
            .expect("accept");
    tx.commit().await.expect("commit");
    assert!(!change.path.starts_with(&commune.path), "the old commune lies outside today's subtree");
    cache.apply(&change);
    assert_eq!(trend(Basis::Accepted, "2025-Q4").await, expected(2.0), "the move reaches the cached trend");

    // Totals across the reform read whole subtrees: the same as the parts handed to the units
    // below (Lâm Đồng's communes of today) summed.
    app.rebuild_rollups().await;
    let province = danvan::units::queries::resolve(&app.pool, "68", today).await.expect("q").expect("unit");
    let year: Period = "2025".parse().expect("period");
    for basis in [Basis::Accepted, Basis::Submitted] {
        let view = cache.view(&app.pool).await.expect("view");
        for unit in [&province, &commune] {
            let whole = history::totals(&view, Some(unit), year, basis).await.expect("totals");
            let parts = history::composite(&view, Some(unit), year, basis).await.expect("composite").totals();
            let normal = |t: &aggregate::Totals| {
                let mut t: Vec<(String, Decimal)> = t.iter().map(|(k, v)| (k.clone(), v.normalize())).collect();
                t.sort();
                t
            };
            assert_eq!(normal(&whole), normal(&parts), "{} {basis:?}", unit.name);
        }
        let whole = history::totals(&view, Some(&province), year, basis).await.expect("totals");
        // 3 + 2 in the old communes, 50 in the old district's own report, 7 in the new commune.
        assert_eq!(whole.get("DON_TIEP_NHAN").map(|v| v.normalize()), Some(d(62.0).normalize()), "{basis:?}");
    }

    // A trend that starts after the reform is the commune's own.
    let own = trend(Basis::Accepted, "2027-Q2").await;
    assert_eq!(own.first().map(|q| q.0.as_str()), Some("2025-Q3"));
    assert_eq!(own[0].1, d(7.0).normalize());
}

/// An old commune split between two communes of today (Xã Ea BHốk, 24550, into Xã Ea Ktur
/// 24544 and Xã Dray Bhăng 24561) counts in full in one of them, marked as estimated, and in
/// the other not at all, listed as "một phần": never counted twice.
#[tokio::test]
async fn a_split_commune_counts_once_and_is_marked_estimated() {
    let app = TestApp::spawn_with_demo().await;
    app.report("24550", 2024, 4).on("2024-12-31").values(&[("DON_TIEP_NHAN", "", "8")]).insert().await;
    app.report("24561", 2024, 4).on("2024-12-31").values(&[("DON_TIEP_NHAN", "", "1")]).insert().await;
    app.rebuild_rollups().await;
    let national = app.demo_client("quantri").await;
    let principal = aggregates(&national, &app, "/api/v1/aggregates/24544?period=2024&unit_date=2025-07-01").await;
    assert_eq!(value(&principal, "DON_TIEP_NHAN"), 8.0);
    assert_eq!(principal["estimated"], true);
    let other = aggregates(&national, &app, "/api/v1/aggregates/24561?period=2024&unit_date=2025-07-01").await;
    assert_eq!(value(&other, "DON_TIEP_NHAN"), 1.0, "Ea BHốk counts in Ea Ktur only");
    assert_eq!(other["estimated"], true);
    let sources = other["sources"].as_array().expect("sources");
    let split = sources.iter().find(|s| s["unit"]["code"] == "24550").expect("Ea BHốk listed");
    assert_eq!(split["counted"], false);
    assert_eq!(split["counted_in"], "Xã Ea Ktur");
    let (_, page) =
        text(national.get(app.url("/dashboards/24561?period=2024&unit_date=2025-07-01")).send().await.expect("GET"))
            .await;
    assert!(page.contains("Số liệu ước tính") && page.contains("Một phần: số liệu tính ở Xã Ea Ktur"), "{page}");
}

/// Staff of a unit of today read their predecessors' history and never write it.
#[tokio::test]
async fn successors_read_history_read_only() {
    let app = TestApp::spawn_with_demo().await;
    app.report("24958", 2024, 4).on("2024-12-31").values(&[("DON_TIEP_NHAN", "", "10")]).insert().await;
    app.rebuild_rollups().await;
    app.user("ld.lamdong", "68").on("2025-07-01").role("lanh_dao").create().await;
    app.user("nl.ductrong", "24958").on("2025-07-01").role("nhap_lieu").create().await;
    app.user("ld.daklak", "66").on("2025-07-01").role("lanh_dao").create().await;
    let leader = app.client_for("ld.lamdong").await;
    let staff = app.client_for("nl.ductrong").await;
    let stranger = app.client_for("ld.daklak").await;
    let status = |client: &reqwest::Client, path: &str| {
        let request = client.get(app.url(path));
        async move { request.send().await.expect("GET").status().as_u16() }
    };
    // The old Đắk Nông and the old Liên Nghĩa, by the code they had then.
    assert_eq!(status(&leader, "/dashboards/67?period=2024").await, 200);
    assert_eq!(status(&leader, "/dashboards/24958?period=2024").await, 200);
    assert_eq!(status(&leader, "/api/v1/aggregates/68?period=2024").await, 200, "the old Lâm Đồng");
    assert_eq!(status(&stranger, "/dashboards/67?period=2024").await, 403);
    // Own code, no unit_date: the user's own unit of today, over its history.
    let doc = aggregates(&staff, &app, "/api/v1/aggregates/24958?period=2024").await;
    assert_eq!(doc["unit"]["valid_from"], "2025-07-01");
    assert_eq!(value(&doc, "DON_TIEP_NHAN"), 10.0);
    assert_eq!(status(&staff, "/reports/24958/2024-Q4?unit_date=2024-12-31").await, 200);
    // Writing the old report through the successor is refused.
    let response = staff
        .put(app.url("/api/v1/reports/24958/2024-Q4"))
        .json(&serde_json::json!({"version": 1, "values": {"DON_TIEP_NHAN": "11"}}))
        .send()
        .await
        .expect("PUT");
    assert_ne!(response.status(), 200);
    let stored: Decimal = app
        .scalar(
            "SELECT v.value FROM report_values v JOIN reports r ON r.id = v.report_id JOIN units u ON u.id = r.unit_id
         WHERE u.code = '24958' AND u.valid_to IS NOT NULL AND r.year = 2024 AND v.element_code = 'DON_TIEP_NHAN'",
        )
        .await;
    assert_eq!(stored, d(10.0));
}

/// A cached history of a unit of today follows a move of an old report it reaches back to:
/// Đắk Nông's commune Nghĩa Đức (24611) is accepted and today's Lâm Đồng's 2024 changes.
#[tokio::test]
async fn an_old_report_accepted_moves_the_cached_history_of_today() {
    let app = TestApp::spawn_with_demo().await;
    app.report("24958", 2024, 4)
        .on("2024-12-31")
        .values(&[("DON_TIEP_NHAN", "", "10"), ("DON_GIAI_QUYET", "", "5")])
        .insert()
        .await;
    app.rebuild_rollups().await;
    let national = app.demo_client("quantri").await;
    let page = "/dashboards/68?period=2024&unit_date=2025-07-01";
    let (status, before) = text(national.get(app.url(page)).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(before.contains("5/10 đơn (50"), "today's Lâm Đồng over 2024 holds Liên Nghĩa");
    let id = app
        .report("24611", 2024, 4)
        .status(Status::Submitted)
        .values(&[("DON_TIEP_NHAN", "", "10"), ("DON_GIAI_QUYET", "", "10")])
        .insert()
        .await;
    app.move_report(id, Status::Accepted).await;
    let (_, after) = text(national.get(app.url(page)).send().await.expect("GET")).await;
    assert!(after.contains("15/20 đơn (75"), "the accepted old report shows in today's history at once");
}

/// Hamlets under a commune of today: an administrator adds them (a bad local code comes back
/// with its message and the input kept), the commune office enters a hamlet's figures, and a
/// target for each hamlet ("trên 90% tổ chức ở thôn hoàn thành tốt nhiệm vụ") is measured as
/// "x/3 thôn đạt" on the commune's dashboard.
#[tokio::test]
async fn hamlet_targets_are_measured_as_hamlets_that_reach_them() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    let add = |local: &'static str, name: &'static str| {
        admin
            .post(app.url("/units/24958/hamlets"))
            .form(&[("local_code", local), ("name", name), ("kind", "thôn"), ("valid_from", "01/07/2025")])
            .send()
    };
    let (status, page) = text(add("Thôn 1", "Thôn Tân Lập").await.expect("POST")).await;
    assert_eq!(status, 422);
    let page = Page::parse(&page);
    let code = page.field("local_code");
    assert!(code.invalid && code.message.is_some_and(|m| m.contains("Mã thôn gồm 1–10 chữ cái")), "next to the code");
    assert_eq!(page.field("name").value, "Thôn Tân Lập", "input kept");
    for (local, name) in [("01", "Thôn Tân Lập"), ("02", "Thôn Phú Hòa"), ("03", "Thôn Đồng Lạc")] {
        let response = add(local, name).await.expect("POST");
        assert!(response.status().is_success() || response.status().is_redirection(), "{local}: {}", response.status());
    }
    let (_, page) = text(add("01", "Thôn Trùng Mã").await.expect("POST")).await;
    assert!(page.contains("24958-01 đã có thôn khác"), "a code in use is refused with a message");
    let (_, list) = text(admin.get(app.url("/units/24958/hamlets")).send().await.expect("GET")).await;
    assert!(list.contains("24958-03") && list.contains("Thôn Đồng Lạc"));

    // The commune office enters hamlet 01's figures through the API; hamlet 02 is accepted.
    let staff = app.user("nl.ductrong.thon", "24958").on("2025-07-01").role("nhap_lieu").signed_in().await;
    let response = staff
        .put(app.url("/api/v1/reports/24958-01/2026-Q1"))
        .json(&serde_json::json!({"version": 0, "values": {"TC_THON_TONG.HND": "20", "TC_THON_HTTNV.HND": "19"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    sqlx::query(
        "UPDATE reports SET status = 'da_duyet' FROM units u WHERE u.id = reports.unit_id AND u.code = '24958-01'",
    )
    .execute(&app.pool)
    .await
    .expect("accept");
    app.report("24958-02", 2026, 1)
        .on("2026-03-31")
        .values(&[("TC_THON_TONG", "HND", "20"), ("TC_THON_HTTNV", "HND", "18")])
        .insert()
        .await;
    let other = app.client_for("nl.ductrong.thon").await;
    let response = other
        .put(app.url("/api/v1/reports/24982/2026-Q1"))
        .json(&serde_json::json!({"version": 0, "values": {}}))
        .send()
        .await
        .expect("PUT");
    assert_ne!(response.status(), 200, "not another commune's report");
    sqlx::query(
        "INSERT INTO targets (directive_id, indicator_code, comparator, value, scope_level, per_unit)
         SELECT id, 'TL_TC_THON_HTTNV', '>', 90, 4, true FROM directives WHERE issuing_unit_id IS NULL AND status = 'hieu_luc' LIMIT 1",
    )
    .execute(&app.pool)
    .await
    .expect("target");
    let (status, page) =
        text(admin.get(app.url("/dashboards/24958?period=2026-Q1&unit_date=2025-07-01")).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200);
    // 95 % meets "> 90 %", 90 % does not, the third hamlet has no figures.
    assert!(page.contains("1/3 thôn đạt"), "measured per hamlet");
    assert!(page.contains("1 thôn chưa có số liệu"));
}

/// Issue 14 item 6: a reported 0/0, a unit that has not reported and a report reopened for
/// correction read three different ways on the dashboard, its ranking, the drill-down, the API
/// and the reviewer's overview; a commune's own dashboard does not say "0/0 units below".
#[tokio::test]
async fn zero_missing_and_being_corrected_read_differently() {
    let app = TestApp::spawn_with_demo().await;
    // Huyện Đức Trọng (678) has no demo reports: 24958 reports 0/0, 24961 reports 5 of 10,
    // 24964's accepted report is reopened, the others have not reported.
    let quarter = 2018;
    app.report("24958", quarter, 1).values(&[("DON_TIEP_NHAN", "", "0"), ("DON_GIAI_QUYET", "", "0")]).insert().await;
    app.report("24961", quarter, 1).values(&[("DON_TIEP_NHAN", "", "10"), ("DON_GIAI_QUYET", "", "5")]).insert().await;
    app.report("24964", quarter, 1)
        .status(Status::Returned)
        .values(&[("DON_TIEP_NHAN", "", "7"), ("DON_GIAI_QUYET", "", "7")])
        .insert()
        .await;
    app.rebuild_rollups().await;
    sqlx::query(
        "INSERT INTO report_events (report_id, at, from_status, to_status, remarks)
         SELECT r.id, e.at::timestamptz, e.from_status, e.to_status, e.remarks
         FROM reports r JOIN units u ON u.id = r.unit_id,
              (VALUES ('2018-04-05', 'nhap', 'da_gui', ''), ('2018-04-08', 'da_gui', 'da_duyet', ''),
                      ('2018-05-02', 'da_duyet', 'tra_lai', 'Sửa số đơn')) AS e(at, from_status, to_status, remarks)
         WHERE u.code = '24964' AND r.year = 2018 AND r.quarter = 1",
    )
    .execute(&app.pool)
    .await
    .expect("events");
    app.user("ld.lamdong.z", "68").on("2018-12-31").role("lanh_dao").create().await;
    app.user("duyet.ductrong", "678").on("2018-12-31").role("duyet").create().await;
    app.user("nl.liennghia", "24958").on("2018-12-31").role("nhap_lieu").create().await;
    let leader = app.client_for("ld.lamdong.z").await;

    let (status, page) = text(
        leader.get(app.url("/dashboards/678?period=2018-Q1&indicator=TL_GIAI_QUYET_DON")).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("0/0 (—)"), "a reported 0/0 reads as reported");
    assert!(page.contains("5/10 đơn (50,00%)"));
    assert!(page.contains("Chưa báo cáo"), "a unit without a report is not 0");
    assert!(page.contains("Đang sửa — số liệu đã duyệt trước đó tạm không tính"), "a reopened report is named");
    assert!(page.contains("Đang sửa (báo cáo đã duyệt được mở lại"), "completeness names the reopened report");
    assert!(!page.contains("Chưa có số liệu</td>"), "no unit reads 'no data' in the ranking");

    // The drill-down: nobody's figure is a 0 they did not report.
    let (_, drill) =
        text(leader.get(app.url("/dashboards/678/drill?period=2018-Q1&key=DON_TIEP_NHAN")).send().await.expect("GET"))
            .await;
    let row = |name: &str| {
        let at = drill.find(name).unwrap_or_else(|| panic!("{name} in the drill-down"));
        drill[at..].split("</tr>").next().unwrap_or_default().to_owned()
    };
    assert!(row("Thị trấn Liên Nghĩa").contains(">0</td>"), "a reported zero is 0");
    assert!(row("Xã Hiệp Thạnh").contains("chưa báo cáo"), "never reported: {}", row("Xã Hiệp Thạnh"));
    assert!(!row("Xã Hiệp Thạnh").contains(">0</td>"));
    assert!(row("Xã Liên Hiệp").contains("Đang sửa"), "{}", row("Xã Liên Hiệp"));

    // The API tells the three apart too.
    let (_, body) = text(leader.get(app.url("/api/v1/aggregates/678?period=2018-Q1")).send().await.expect("GET")).await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let reporting = |code: &str| {
        json["children"]
            .as_array()
            .expect("children")
            .iter()
            .find(|c| c["unit"]["code"] == code)
            .map(|c| c["reporting"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(reporting("24958"), "reported");
    assert_eq!(reporting("24964"), "being_corrected");
    assert_eq!(reporting("24967"), "not_reported");
    assert_eq!(json["completeness"]["being_corrected"], 1);

    // The reviewer's overview: being corrected, not late.
    let reviewer = app.client_for("duyet.ductrong").await;
    let (_, overview) = text(reviewer.get(app.url("/reviews?period=2018-Q1")).send().await.expect("GET")).await;
    let at = overview.find("Xã Liên Hiệp").expect("the reopened commune on the overview");
    let line = overview[at..].split("</tr>").next().unwrap_or_default();
    assert!(line.contains("Đang sửa"), "{line}");
    assert!(!line.contains("Gửi muộn"), "{line}");

    // A commune's own dashboard speaks of its own report, not "Đã gửi 0/0 đơn vị trực thuộc".
    let staff = app.client_for("nl.liennghia").await;
    let (status, own) = text(staff.get(app.url("/dashboards/24958?period=2018-Q1")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(!own.contains("0/0 đơn vị trực thuộc"), "no units below to count");
    assert!(own.contains("Báo cáo quý I năm 2018 của đơn vị: đã duyệt"));

    // A stock over a year: the drill-down says which quarter's value each unit's figure is.
    app.report("24970", quarter, 2).values(&[("DVHV_HIEN_CO", "HND", "100")]).insert().await;
    app.rebuild_rollups().await;
    let (_, drill) =
        text(leader.get(app.url("/dashboards/678/drill?period=2018&key=DVHV_HIEN_CO.HND")).send().await.expect("GET"))
            .await;
    assert!(drill.contains("100 (quý II năm 2018)"), "the quarter of a stock's value");

    // The annual workbook: a number, "0/0 (—)" and "Chưa báo cáo" are three different cells.
    use calamine::Reader;
    let response = leader.get(app.url("/exports/annual/678/2018.xlsx")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("bytes").to_vec();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = book.worksheet_range("Chỉ số theo đơn vị").expect("sheet");
    let cells = |name: &str| -> Vec<String> {
        sheet
            .rows()
            .find(|row| row.get(1).is_some_and(|c| *c == name))
            .map(|row| row.iter().skip(2).map(|c| c.to_string()).collect())
            .unwrap_or_default()
    };
    assert!(cells("Thị trấn Liên Nghĩa").iter().any(|c| c == "0/0 (—)"), "{:?}", cells("Thị trấn Liên Nghĩa"));
    let silent = cells("Xã Hiệp Thạnh");
    assert!(!silent.is_empty() && silent.iter().all(|c| c == "Chưa báo cáo"), "{silent:?}");
}
