//! The foundation: health, the unit trees and their lineage, search, collation, error pages.

use danvan::auth::UserId;
use std::time::Duration;

use chrono::NaiveDate;
use danvan::reports::store::{ReportId, Status};
use danvan::units::queries;

use crate::common::{self, TestApp};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

#[tokio::test]
async fn health_is_ok_then_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_text("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));

    app.drop_database().await;
    let (status, _) = app.get_text("/healthz").await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn each_tree_has_the_official_counts() {
    let app = TestApp::spawn_signed_in().await;
    let counts =
        |rows: Vec<queries::TreeCount>| rows.into_iter().map(|c| (c.level.number(), c.count)).collect::<Vec<_>>();
    let before = queries::counts_on(&app.pool, date(2025, 1, 4)).await.expect("counts");
    assert_eq!(counts(before), vec![(1, 63), (2, 696), (3, 10_051)]);
    let last_day = queries::counts_on(&app.pool, date(2025, 6, 30)).await.expect("counts");
    assert_eq!(counts(last_day), vec![(1, 63), (2, 696), (3, 10_051)]);
    let after = queries::counts_on(&app.pool, date(2025, 7, 1)).await.expect("counts");
    assert_eq!(counts(after), vec![(1, 34), (3, 3_321)]);

    // Five island districts have no communes.
    let empty_districts: i64 = app
        .scalar(
            "SELECT count(*) FROM units d WHERE d.level = 2
         AND NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_id = d.id)",
        )
        .await;
    assert_eq!(empty_districts, 5);
}

#[tokio::test]
async fn duc_trong_commune_was_formed_from_lien_nghia_and_phu_hoi() {
    let app = TestApp::spawn_signed_in().await;
    let new = queries::resolve(&app.pool, "24958", date(2025, 7, 1)).await.expect("query").expect("new unit");
    assert_eq!(new.name, "Xã Đức Trọng");
    let old = queries::resolve(&app.pool, "24958", date(2020, 12, 31)).await.expect("query").expect("old unit");
    assert_eq!(old.name, "Thị trấn Liên Nghĩa");

    let mut predecessors: Vec<(String, String)> = queries::predecessors(&app.pool, new.id)
        .await
        .expect("query")
        .into_iter()
        .map(|link| (link.unit.code.clone(), link.unit.name.clone()))
        .collect();
    predecessors.sort();
    assert_eq!(
        predecessors,
        vec![("24958".into(), "Thị trấn Liên Nghĩa".into()), ("24982".into(), "Xã Phú Hội".into())]
    );

    let (status, page) = app.get_text("/units/24958?date=2025-07-01").await;
    assert_eq!(status, 200);
    assert!(page.contains("Xã Đức Trọng"));
    assert!(page.contains("Trước sắp xếp"));
    assert!(page.contains(r#"href="/units/24958?date=2025-06-30">Thị trấn Liên Nghĩa"#), "{page}");
    assert!(page.contains(r#"href="/units/24982?date=2025-06-30">Xã Phú Hội"#));
    assert!(page.contains("Nhập toàn bộ"));
}

#[tokio::test]
async fn kien_giang_went_into_an_giang() {
    let app = TestApp::spawn_signed_in().await;
    let (status, page) = app.get_text("/units/91?date=2020-12-31").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Tỉnh Kiên Giang</h1>"), "{page}");
    assert!(page.contains("30/06/2025"), "validity shown");
    assert!(page.contains("Sau sắp xếp"));
    assert!(page.contains(r#"href="/units/91?date=2025-07-01">Tỉnh An Giang"#), "{page}");
    // Kiên Giang's districts are listed below it, and the counts add up.
    assert!(page.contains("Huyện Châu Thành"));

    let (status, page) = app.get_text("/units/91").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Tỉnh An Giang</h1>"), "today, code 91 is An Giang");
    assert!(page.contains(r#"href="/units/91?date=2025-06-30">Tỉnh Kiên Giang"#));
}

#[tokio::test]
async fn search_ignores_accents_and_matches_codes() {
    let app = TestApp::spawn_signed_in().await;
    let (status, page) = app.get_text("/units?q=duc+trong").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"lang="vi""#));
    assert!(page.contains("Huyện Đức Trọng"));
    assert!(page.contains("Xã Đức Trọng"));

    let (_, page) = app.get_text("/units?q=kien+giang").await;
    assert!(page.contains("Tỉnh Kiên Giang"));
    assert!(page.contains("30/06/2025"), "the old province's validity is shown");

    let (_, page) = app.get_text("/units?q=K%C3%8DEN%20%20GIANG").await;
    assert!(page.contains("Tỉnh Kiên Giang"), "case and spacing do not matter");

    let (_, page) = app.get_text("/units?q=30883").await;
    assert!(page.contains("Xã Mong Thọ A"));

    let (status, page) = app.get_text("/units?q=%27%3B+drop+table+units%3B--").await;
    assert_eq!(status, 200);
    assert!(page.contains("Không có đơn vị nào khớp"));
    let (_, page) = app.get_text("/units?q=%25").await;
    assert!(page.contains("Không có đơn vị nào khớp"), "a bare % is not a wildcard");
}

#[tokio::test]
async fn lists_follow_vietnamese_collation() {
    let app = TestApp::spawn_signed_in().await;
    let names: Vec<String> = ["Ba Tri", "Đà Lạt", "Bà Rịa", "Ân Thi", "Dĩ An", "An Phú", "Eakar", "Duy Xuyên"]
        .into_iter()
        .map(String::from)
        .collect();
    let sorted = queries::sort_vietnamese(&app.pool, &names).await.expect("sort");
    assert_eq!(sorted, vec!["An Phú", "Ân Thi", "Bà Rịa", "Ba Tri", "Dĩ An", "Duy Xuyên", "Đà Lạt", "Eakar"]);

    // The province list of the old tree follows the same rules: Đ after D, by the proper name.
    let (_, page) = app.get_text("/units?date=2025-01-04").await;
    let position = |name: &str| page.find(name).unwrap_or_else(|| panic!("{name} missing"));
    assert!(position("Tỉnh An Giang") < position("Tỉnh Bà Rịa - Vũng Tàu"));
    assert!(position("Tỉnh Bà Rịa - Vũng Tàu") < position("Tỉnh Bắc Giang"));
    assert!(position("Tỉnh Điện Biên") > position("Tỉnh Đắk Nông"));
    assert!(position("Tỉnh Đắk Lắk") > position("Tỉnh Cà Mau"));
    assert!(position("Tỉnh Đắk Lắk") > position("Thành phố Đà Nẵng"));
    assert!(position("Tỉnh Đồng Tháp") < position("Tỉnh Gia Lai"));
}

/// Values PostgreSQL cannot store — a NUL character, a date before 4714 BC — are refused with a
/// message (or a 404 for an address), never a 500, signed in or not.
#[tokio::test]
async fn values_the_database_cannot_store_are_refused_not_a_500() {
    let app = TestApp::spawn_with_demo().await;
    let anonymous = app.new_client();
    let (status, page) = app.post_form_as(&anonymous, "/login", &[("username", "a\0"), ("password", "x")]).await;
    assert_eq!(status, 400, "a NUL in the user name, before anyone signs in: {page}");
    assert!(page.contains("ký tự NUL"), "{page}");
    let leader = app.demo_client("tinh.lanhdao").await;
    for path in ["/dashboards/%00", "/units/%00", "/reports/%00/2020-Q1"] {
        let status = leader.get(app.url(path)).send().await.expect("GET").status();
        assert_eq!(status, 404, "{path}");
    }
    for path in [
        "/units?date=-5000-01-01",
        "/units?q=%00",
        "/directives?q=a%00b",
        "/dashboards/91?period=2020&unit_date=-5000-01-01",
        "/exports/annual/91/2020?unit_date=-5000-01-01",
    ] {
        let status = leader.get(app.url(path)).send().await.expect("GET").status();
        assert!(status.is_success() || status.is_client_error(), "{path}: {status}");
    }
    // The report form and the API: nothing saved, a message.
    let staff = app.demo_client("xa.nhaplieu").await;
    let (status, page) =
        app.post_form_as(&staff, "/reports/30883/2017-Q1", &[("version", "0"), ("v.TD_DINH_KY", "1\0")]).await;
    assert!(status == 400 || status == 422, "{status}: {page}");
    let reports: i64 = app
        .scalar(
            "SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id
             WHERE u.code = '30883' AND r.year = 2017 AND r.quarter = 1",
        )
        .await;
    assert_eq!(reports, 0, "nothing was saved");
    // The API's narrative is cleaned as pasted text is (a control character becomes a space).
    let response = staff
        .put(app.url("/api/v1/reports/30883/2017-Q1"))
        .json(&serde_json::json!({"version": 0, "values": {"TD_DINH_KY": 7}, "narrative": {"ket_qua": "a\u{0}b"}}))
        .send()
        .await
        .expect("PUT");
    assert!(!response.status().is_server_error(), "{}", response.status());
}

/// Ending a hamlet on a date when its code is used by a newer hamlet from before then breaks
/// no constraint with a 500: the list comes back with the message and the date typed.
#[tokio::test]
async fn a_hamlet_ended_over_its_codes_next_holder_is_refused_next_to_the_date() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    let add = [("local_code", "01"), ("name", "Thôn Tân Lập"), ("kind", "thôn"), ("valid_from", "01/07/2025")];
    let (status, _) = app.post_form_as(&admin, "/units/24958/hamlets", &add).await;
    assert_eq!(status, 303);
    let first: i32 = app.scalar("SELECT id FROM units WHERE code = '24958-01'").await;
    let (status, _) =
        app.post_form_as(&admin, &format!("/units/24958/hamlets/{first}/end"), &[("valid_to", "2025-12-31")]).await;
    assert_eq!(status, 303);
    let again = [("local_code", "01"), ("name", "Thôn Tân Lập Mới"), ("kind", "thôn"), ("valid_from", "01/01/2026")];
    let (status, _) = app.post_form_as(&admin, "/units/24958/hamlets", &again).await;
    assert_eq!(status, 303, "the code is free again from 2026");
    // The first hamlet's end moved past the second's start (a request the page does not offer:
    // an ended hamlet has no end form).
    let (status, page) =
        app.post_form_as(&admin, &format!("/units/24958/hamlets/{first}/end"), &[("valid_to", "2026-06-30")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("mã 24958-01 đã có thôn khác dùng sau đó"), "{page}");
    // An end before the start, on the hamlet in use: refused, the date typed kept in its row.
    let second: i32 = app.scalar("SELECT id FROM units WHERE code = '24958-01' AND valid_to IS NULL").await;
    let (status, page) =
        app.post_form_as(&admin, &format!("/units/24958/hamlets/{second}/end"), &[("valid_to", "2025-10-01")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"value="2025-10-01" aria-invalid="true""#), "the date typed is kept");
    let ends: String =
        app.scalar("SELECT valid_to::text FROM units WHERE code = '24958-01' AND name = 'Thôn Tân Lập'").await;
    assert_eq!(ends, "2025-12-31", "unchanged");
}

/// A hamlet's reports stay reachable by their address (the code on the quarter's last day): it
/// cannot end before the last day of its latest report's quarter, and ending on that day keeps
/// the report where it was.
#[tokio::test]
async fn a_hamlet_cannot_end_before_its_latest_reports_quarter() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.demo_client("quantri").await;
    let add = [("local_code", "02"), ("name", "Thôn Phú Hòa"), ("kind", "thôn"), ("valid_from", "01/07/2025")];
    let (status, _) = app.post_form_as(&admin, "/units/24958/hamlets", &add).await;
    assert_eq!(status, 303);
    let hamlet: i32 = app.scalar("SELECT id FROM units WHERE code = '24958-02'").await;
    app.report("24958-02", 2025, 4).on("2025-12-31").status(Status::Accepted).insert().await;
    let end = format!("/units/24958/hamlets/{hamlet}/end");
    let (status, page) = app.post_form_as(&admin, &end, &[("valid_to", "15/11/2025")]).await;
    assert_eq!(status, 422, "{page:.2000}");
    assert!(page.contains("Thôn Phú Hòa đã có báo cáo quý IV năm 2025: ngày kết thúc phải từ 31/12/2025 trở đi."));
    let ends: Option<String> = app.scalar("SELECT valid_to::text FROM units WHERE code = '24958-02'").await;
    assert_eq!(ends, None, "still in use");
    let (status, _) = app.post_form_as(&admin, &end, &[("valid_to", "31/12/2025")]).await;
    assert_eq!(status, 303, "ending on the quarter's last day");
    let (status, _) = app.get_as(&admin, "/reports/24958-02/2025-Q4").await;
    assert_eq!(status, 200, "the report is still at its address");
}

#[tokio::test]
async fn unknown_pages_and_units_get_the_vietnamese_404() {
    let app = TestApp::spawn_signed_in().await;
    for path in ["/khong-co-trang-nay", "/units/99999", "/units/khong-co"] {
        let (status, page) = app.get_text(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains(r#"<html lang="vi">"#), "{path}");
        assert!(page.contains("Không tìm thấy trang"), "{path}");
    }
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_cached_assets() {
    let app = TestApp::spawn_signed_in().await;
    let response = app.get("/units").await;
    let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");

    let response = app.get("/static/css/app.css").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"].to_str().expect("ascii").contains("max-age"));
    let etag = response.headers()["etag"].clone();
    let again = app.client.get(app.url("/static/css/app.css")).header("if-none-match", etag).send().await.expect("GET");
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn a_bad_date_is_explained_and_kept() {
    let app = TestApp::spawn_signed_in().await;
    let (status, page) = app.get_text("/units?date=31%2F02%2F2025").await;
    assert_eq!(status, 200);
    assert!(page.contains("Ngày không hợp lệ"));
    assert!(page.contains(r#"value="31/02/2025""#), "the typed text is kept");
}

#[tokio::test]
async fn a_client_that_sends_its_headers_slowly_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let state = danvan::server::state(common::app_pool(&app.database).await, danvan::config::AppConfig::for_tests());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(danvan::server::serve_until(listener, state, Duration::from_secs(1), std::future::pending()));

    // A whole request is answered.
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Headers that never finish: the server closes the connection after the timeout.
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
    let started = std::time::Instant::now();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the slow connection was still open after 10 s");
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
}

/// A request that changes data is accepted, read, served and answered without the reads'
/// runtime: with its threads all busy (here the test's one thread, blocked), a sign-in and a
/// report save still get their answers. At quarter-end a save then never queues behind the
/// dashboards being read (`server::serve_until`). With the connections served on the reads'
/// runtime, neither answer comes before the thread is free again.
#[tokio::test]
async fn a_save_is_answered_while_every_reading_thread_is_busy() {
    let app = TestApp::spawn_with_demo().await;
    let (login, save) = (app.url("/login"), app.url("/api/v1/reports/30883/2017-Q2"));
    // A thread and runtime of its own: the client must not need the blocked thread either.
    let client = std::thread::spawn(move || -> Result<(u16, u16), String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())?;
            let form = [("username", "xa.nhaplieu"), ("password", danvan::demo::DEMO_PASSWORD)];
            let signed_in = client.post(login).form(&form).send().await.map_err(|e| e.to_string())?;
            let body = serde_json::json!({"version": 0, "values": {"TD_DINH_KY": 1}});
            let saved = client.put(save).json(&body).send().await.map_err(|e| e.to_string())?;
            Ok((signed_in.status().as_u16(), saved.status().as_u16()))
        })
    });
    // Holds this runtime's only thread (no await) until the client is done, at most 30 s.
    let started = std::time::Instant::now();
    while !client.is_finished() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(client.is_finished(), "the sign-in and the save waited for the reads' threads");
    assert_eq!(client.join().expect("client thread"), Ok((303, 200)));
    // The saved figure.
    let figure: String = app
        .scalar(
            "SELECT v.value::text FROM report_values v JOIN reports r ON r.id = v.report_id \
         WHERE r.unit_id IN (SELECT id FROM units WHERE code = '30883') AND r.year = 2017 AND r.quarter = 2 \
           AND v.element_code = 'TD_DINH_KY'",
        )
        .await;
    assert_eq!(figure, "1");
}

/// A PostgreSQL cluster of its own, stopped under the running app: every route answers 503
/// with Retry-After (pages and API alike, signed in or not) within about two seconds, and the
/// app serves again by itself once PostgreSQL is back.
#[tokio::test]
async fn every_route_answers_503_while_postgresql_is_down_and_recovers() {
    let dir = tempfile::Builder::new().prefix("danvan-outage-").tempdir().expect("temporary directory");
    let cluster = danvan::db::LocalCluster::ensure_running(dir.path()).expect("a private cluster");
    let _stop = StopCluster(&cluster);
    let owner = danvan::db::pool(cluster.connect_options("postgres"), 2).await.expect("owner pool");
    danvan::db::migrate(&owner).await.expect("migrate");
    danvan::db::grant_app_role(&owner, danvan::db::LOCAL_APP_ROLE, true).await.expect("grant");
    let cookie = session_cookie(&owner, "tw.lanhdao", None, "lanh_dao").await;
    owner.close().await;
    let pool = danvan::db::pool_for(cluster.app_connect_options("postgres"), 4, danvan::db::PoolPurpose::Requests)
        .await
        .expect("app pool");
    let state = danvan::server::state(pool, danvan::config::AppConfig::for_tests());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    common::serve_in_background(listener, state);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let get = |path: &str| client.get(format!("{address}{path}")).header("cookie", cookie.clone()).send();
    assert_eq!(get("/").await.expect("GET").status(), 200, "signed in while the database is up");

    cluster.stop_immediately().expect("stop PostgreSQL");
    let requests: Vec<(&str, &str, bool)> = vec![
        ("GET", "/", true),
        ("GET", "/reports", true),
        // (`/dashboards` alone redirects to the user's own dashboard without the database when the
        // session was read a moment ago: the dashboard itself is what needs it.)
        ("GET", "/dashboards/TW?period=2020", true),
        ("GET", "/api/v1/reports/30883/2020-Q1", true),
        ("POST", "/reports/30883/2020-Q1", true),
        ("POST", "/login", false),
        ("GET", "/healthz", false),
    ];
    for (method, path, signed_in) in requests {
        let started = std::time::Instant::now();
        let mut request = client.request(method.parse().expect("method"), format!("{address}{path}"));
        if signed_in {
            request = request.header("cookie", cookie.clone());
        }
        if method == "POST" {
            request = request.form(&[("username", "tw.lanhdao"), ("password", "x"), ("TD_DINH_KY", "12")]);
        }
        let response = request.send().await.expect("request");
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let retry = response.headers().get("retry-after").is_some();
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let body = response.text().await.expect("body");
        assert_eq!(status, 503, "{method} {path}: {body}");
        assert!(elapsed < Duration::from_millis(2500), "{method} {path} took {elapsed:?}");
        if path != "/healthz" {
            assert!(retry, "{method} {path} says when to retry");
            if path.starts_with("/api/") {
                assert!(kind.starts_with("application/json"), "{path}: {kind}");
                assert!(body.contains("Cơ sở dữ liệu chưa sẵn sàng"), "{body}");
            } else {
                assert!(kind.starts_with("text/html"), "{path}: {kind}");
                assert!(body.contains("Hệ thống tạm thời không sẵn sàng"), "{body}");
            }
        }
    }

    cluster.start().expect("start PostgreSQL again");
    let mut recovered = false;
    for _ in 0..20 {
        if get("/").await.expect("GET").status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the app serves again once PostgreSQL is back");
}

// --- issue 14: codes as written, search, text from Word ---

/// A unit code is text of its level's length, matched as written: `0091` is no unit (the ward is
/// `00091`), `4` is no unit (the province is `04`), and whoever typed them is asked whether they
/// meant the likely unit.
#[tokio::test]
async fn codes_are_matched_as_written_and_unknown_ones_suggest_the_likely_unit() {
    let app = TestApp::spawn_signed_in().await;
    let on = date(2020, 12, 31);
    for typed in ["0091", "091", "4", " 4", "1", "0004"] {
        let found = queries::resolve(&app.pool, typed, on).await.expect("query");
        assert!(found.is_none(), "“{typed}” resolved to {:?}", found.map(|u| u.name));
        assert!(queries::carriers(&app.pool, typed).await.expect("query").is_empty(), "carriers of “{typed}”");
    }
    let ward = queries::resolve(&app.pool, "00091", on).await.expect("query").expect("00091");
    assert_eq!(ward.name, "Phường Phú Thượng");
    let province = queries::resolve(&app.pool, "04", on).await.expect("query").expect("04");
    assert_eq!(province.name, "Tỉnh Cao Bằng");
    let many = queries::resolve_many(&app.pool, &["4".to_owned(), "04".to_owned(), "0091".to_owned()], on)
        .await
        .expect("query");
    assert_eq!(many.iter().map(|(typed, u)| (typed.as_str(), u.code.as_str())).collect::<Vec<_>>(), vec![("04", "04")]);

    // Forms and the command line: refused with the likely unit.
    let refused = danvan::units::resolve_for_person(&app.pool, "4", on).await.expect_err("4 is no code");
    assert_eq!(refused, "Không có mã 4. Có phải 04 — Tỉnh Cao Bằng?");
    let refused = danvan::units::resolve_for_person(&app.pool, "0091", on).await.expect_err("0091 is no code");
    assert_eq!(refused, "Không có mã 0091. Có phải 00091 — Phường Phú Thượng?");
    let refused = danvan::units::resolve_for_person(&app.pool, "abc", on).await.expect_err("abc is no code");
    assert!(refused.starts_with("Không có mã abc."), "{refused}");

    // Addresses: 404 with the same message, for the national leader too.
    let (status, page) = app.get_text("/dashboards/0091?period=2020").await;
    assert_eq!(status, 404);
    assert!(page.contains("Không có mã 0091. Có phải 00091 — Phường Phú Thượng?"), "{page}");
    let (status, _) = app.get_text("/dashboards/00091?period=2020").await;
    assert_eq!(status, 200, "the ward as written opens");
    let (status, page) = app.get_text("/units/0091").await;
    assert_eq!(status, 404);
    assert!(page.contains("Có phải 00091 — Phường Phú Thượng?"), "{page}");
    let (status, body) = app.get_text("/api/v1/reports/4/2020-Q4").await;
    assert_eq!(status, 404);
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(body["error"], "Không có mã 4. Có phải 04 — Tỉnh Cao Bằng?");
    let (status, body) = app.get_text("/api/v1/aggregates/4?period=2020").await;
    assert_eq!(status, 404);
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(body["error"], "Không có mã 4. Có phải 04 — Tỉnh Cao Bằng?");
    for export in ["/exports/annual/4/2020", "/exports/annual/4/2020.docx", "/exports/values/4/2020.csv"] {
        let (status, page) = app.get_text(export).await;
        assert_eq!(status, 404, "{export}");
        assert!(page.contains("Có phải 04 — Tỉnh Cao Bằng?"), "{export}: {page}");
    }
    // The year is read before the code: no year, no export, whatever the code.
    let (status, page) = app.get_text("/exports/annual/4/1999.docx").await;
    assert_eq!(status, 404);
    assert!(!page.contains("Có phải"), "{page}");
}

/// An import row with the code `4` is refused with the likely unit, and nothing is saved
/// (Tỉnh Cao Bằng, `04`, receives nothing).
#[tokio::test]
async fn an_import_row_with_a_short_code_is_refused_not_padded() {
    let app = TestApp::spawn_with_demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("so-lieu.csv");
    std::fs::write(&path, "unit_code,period,element_code,organisation,value\n4,2020-Q1,TD_DINH_KY,,12\n")
        .expect("write");
    let rows = danvan::exports::import::read_file(&path).await.expect("read");
    let reports_before: i64 = app.scalar("SELECT count(*) FROM reports").await;
    let author = danvan::exports::import::Author::command_line("so-lieu.csv");
    let outcome = danvan::exports::import::import(&app.pool, &rows, |_| true, &author).await.expect("import");
    let danvan::exports::import::Outcome::Refused(errors) = outcome else { panic!("the row with code 4 was imported") };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("“4”") && errors[0].contains("Có phải 04 — Tỉnh Cao Bằng?"), "{errors:?}");
    let reports_after: i64 = app.scalar("SELECT count(*) FROM reports").await;
    assert_eq!(reports_after, reports_before, "nothing saved");
}

/// The favicon is served, linked from every page, and allowed by the CSP.
#[tokio::test]
async fn pages_link_a_favicon_the_csp_allows() {
    let app = TestApp::spawn().await;
    let response = app.get("/login").await;
    let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let page = response.text().await.expect("body");
    let href = page
        .split("<link rel=\"icon\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a favicon link in the layout")
        .to_owned();
    assert!(href.starts_with("/static/"), "{href}: same origin, so that img-src 'self' allows it");
    assert!(csp.contains("img-src 'self'"), "{csp}");
    let icon = app.get(&href).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/svg+xml"));
    assert!(icon.text().await.expect("svg").starts_with("<svg"));
}

/// The validity of a unit in force before our first list reads "đến 30/06/2025", never
/// "trước 04/01/2025 – 30/06/2025".
#[tokio::test]
async fn the_validity_of_units_before_the_first_list_reads_properly() {
    let app = TestApp::spawn_signed_in().await;
    let old = queries::resolve(&app.pool, "91", date(2020, 12, 31)).await.expect("query").expect("old Kiên Giang");
    assert_eq!(old.validity_text(), "đến 30/06/2025");
    let (status, page) = app.get_text("/units/91?date=2020-12-31").await;
    assert_eq!(status, 200);
    assert!(page.contains("đến 30/06/2025") && !page.contains("trước 04/01/2025"), "{page}");
}

// --- issue 16: metrics and structured logs ---

/// The value of the Prometheus sample whose name is `name` and whose labels include every one
/// of `labels` (`route="/units/{code}"`), summed over the samples that match; 0 when none does.
fn sample(exposition: &str, name: &str, labels: &[&str]) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|label| rest.contains(label))).then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// `/metrics` from 127.0.0.1 (loopback, allowed by default): Prometheus text, requests
/// counted under the route's template (never the path), latency histograms, pool gauges,
/// reports by status, roll-up lag; untouched by the page layers (no HTML, no error page).
/// From another address (127.0.0.2 is loopback too, but not in the list) or through a proxy:
/// the site's 404, which does not reveal the route.
#[tokio::test]
async fn metrics_count_requests_by_route_template_for_allowed_peers_only() {
    let app = TestApp::spawn_signed_in().await;
    let scraper = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let scrape = || async {
        let response = scraper.get(app.url("/metrics")).send().await.expect("GET /metrics");
        let status = response.status().as_u16();
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        (status, kind, response.text().await.expect("body"))
    };
    let (status, kind, before) = scrape().await;
    assert_eq!(status, 200, "{before}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let route = r#"route="/units/{code}""#;
    let counted =
        |text: &str| sample(text, "danvan_http_requests_total", &[r#"method="GET""#, route, r#"status="200""#]);
    for code in ["91", "905", "30883"] {
        let (status, _) = app.get_text(&format!("/units/{code}?date=2020-12-31")).await;
        assert_eq!(status, 200);
    }
    let (status, _, after) = scrape().await;
    assert_eq!(status, 200);
    assert!(counted(&after) >= counted(&before) + 3.0, "three requests counted:\n{after}");
    assert!(!after.contains("/units/91") && !after.contains("/units/30883"), "raw paths are no labels");
    assert!(
        sample(&after, "danvan_http_request_duration_seconds_bucket", &[route, r#"le="0.001""#]) >= 0.0
            && after.contains(r#"le="10""#)
            && sample(&after, "danvan_http_request_duration_seconds_count", &[route]) >= 3.0,
        "a latency histogram from 1 ms to 10 s:\n{after}"
    );
    assert!(after.contains(r#"danvan_db_pool_connections{pool="reads",state="idle"}"#), "{after}");
    assert!(sample(&after, "danvan_db_pool_max_connections", &[r#"pool="reads""#]) >= 1.0, "{after}");
    for status in ["nhap", "da_gui", "tra_lai", "da_duyet"] {
        assert!(after.contains(&format!("danvan_reports{{status=\"{status}\"}}")), "reports {status}:\n{after}");
    }
    assert!(after.lines().any(|line| line == "danvan_rollup_lag_seconds 0"), "{after}");
    assert!(after.lines().any(|line| line.starts_with("danvan_dashboard_parts_read_total ")), "{after}");
    assert!(!after.contains("<html") && !after.contains("<!DOCTYPE"), "no page around the figures");

    // Another peer, however it asks: the same 404 page as a page that does not exist.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client on 127.0.0.2");
    let response = elsewhere.get(app.url("/metrics")).send().await.expect("GET /metrics from 127.0.0.2");
    let (status, page) = common::text(response).await;
    assert_eq!(status, 404);
    assert!(page.contains("Không tìm thấy trang") && !page.contains("danvan_"), "{page}");
    let (unknown_status, unknown_page) =
        common::text(elsewhere.get(app.url("/metrics-x")).send().await.expect("GET")).await;
    assert_eq!((unknown_status, unknown_page.len()), (404, page.len()), "indistinguishable from an unknown page");
    let proxied = scraper.get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.expect("GET");
    assert_eq!(proxied.status(), 404, "through a proxy the peer says nothing of the client");
}

/// `DANVAN_LOG_FORMAT=json` on the real binary: one JSON object per line, a line per request
/// with the method, route template, status, latency and request id, and nothing of the cookie
/// or the query. `DANVAN_METRICS_ALLOW` is read at start: here it lets in 127.0.0.2 only, and
/// the binary's subscriber feeds the pool's acquire-time histogram.
#[tokio::test]
async fn json_logs_have_one_line_per_request_and_the_allow_list_comes_from_the_environment() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let dir = tempfile::Builder::new().prefix("danvan-logs-").tempdir().expect("temporary directory");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    struct Stop(std::process::Child);
    impl Drop for Stop {
        // SIGTERM, so that the server stops its private cluster before the folder goes.
        fn drop(&mut self) {
            let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).ok();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            self.0.kill().ok();
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_danvan"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env("DANVAN_DATA_DIR", dir.path())
        .env("DANVAN_LOG", "info")
        .env("DANVAN_LOG_FORMAT", "json")
        .env("DANVAN_METRICS_ALLOW", "127.0.0.2")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn danvan serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Stop(child);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(mut lines) = sink.lock() {
                lines.push(line);
            }
        }
    });
    let wait_for = |what: &dyn Fn(&str) -> bool, seconds: u64| {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(line) = lines.lock().expect("lines").iter().find(|line| what(line)).cloned() {
                return line;
            }
            assert!(Instant::now() < deadline, "no such line in: {:?}", lines.lock().expect("lines"));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let started = wait_for(&|line| line.contains("http://127.0.0.1:"), 300);
    let start: serde_json::Value = serde_json::from_str(&started).expect("the start-up line is JSON");
    let message = start["message"].as_str().expect("message");
    let url: String =
        message[message.find("http://").expect("url")..].chars().take_while(|c| !c.is_whitespace()).collect();
    let url = url.trim_end_matches('/').to_owned();

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = client
        .get(format!("{url}/units/91?date=2020-12-31&password=hunter2"))
        .header("cookie", "danvan_session=topsecret-cookie")
        .header("x-request-id", "load-test-42")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("load-test-42"));
    let status = response.status().as_u16();
    let logged = wait_for(&|line| line.contains("load-test-42") && line.contains("danvan::http"), 10);
    let entry: serde_json::Value = serde_json::from_str(&logged).expect("a JSON line");
    assert_eq!(entry["level"], "INFO", "{entry}");
    assert_eq!(entry["method"], "GET", "{entry}");
    assert_eq!(entry["route"], "/units/{code}", "{entry}");
    assert_eq!(entry["status"], status, "{entry}");
    assert!(entry["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{entry}");
    assert_eq!(entry["request_id"], "load-test-42", "{entry}");

    // The allow-list from the environment: 127.0.0.1 is not in it, 127.0.0.2 is.
    let (status, _) = common::text(client.get(format!("{url}/metrics")).send().await.expect("GET")).await;
    assert_eq!(status, 404, "127.0.0.1 is not in DANVAN_METRICS_ALLOW=127.0.0.2");
    let allowed = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client on 127.0.0.2");
    let (status, metrics) = common::text(allowed.get(format!("{url}/metrics")).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{metrics}");
    assert!(sample(&metrics, "danvan_db_pool_acquire_seconds_count", &[]) >= 1.0, "acquire times:\n{metrics}");
    assert!(metrics.contains(r#"danvan_http_requests_total{method="GET",route="/units/{code}""#), "{metrics}");

    drop(server);
    let all = lines.lock().expect("lines").join("\n");
    assert!(!all.contains("hunter2") && !all.contains("topsecret"), "no query or cookie in the logs:\n{all}");
    for line in all.lines() {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
        assert!(parsed.is_ok_and(|v| v.is_object()), "every line is a JSON object: {line}");
    }
}

// --- issue 16: more than one machine (a streaming replica for reads) ---

/// Runs a PostgreSQL tool as the user the private clusters run as (`postgres` under root).
fn as_cluster_owner(command: &mut std::process::Command) -> &mut std::process::Command {
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::process::CommandExt;
        let user = nix::unistd::User::from_name("postgres").expect("passwd").expect("a postgres user");
        command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    command
}

/// Creates an account (of `unit`, `None`: national) with one role, on a database the test app
/// does not own, and signs it in: the `Cookie` header value of its session.
async fn session_cookie(
    owner: &sqlx::PgPool,
    username: &str,
    unit_id: Option<danvan::units::UnitId>,
    role: &str,
) -> String {
    let account = danvan::auth::users::NewUser {
        username,
        full_name: username,
        unit_id,
        roles: &[role.to_owned()],
        // Nobody signs in with a password here: a well-formed hash of no one's password.
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    };
    let user = danvan::auth::users::insert(owner, &account).await.expect("account");
    let session = danvan::auth::sessions::create(owner, user, "test").await.expect("session");
    format!("{}={session}", danvan::auth::SESSION_COOKIE)
}

/// Stops a cluster however the test ends, so no server outlives it.
struct StopCluster<'a>(&'a danvan::db::LocalCluster);

impl Drop for StopCluster<'_> {
    fn drop(&mut self) {
        if self.0.is_running() {
            self.0.stop_immediately().ok();
        }
    }
}

/// One GET with the given cookies (no cookie store: each request says exactly what it carries).
async fn get_with(client: &reqwest::Client, url: String, cookies: &str) -> (u16, String, Duration) {
    let started = std::time::Instant::now();
    let response = client.get(url).header("cookie", cookies).send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"), started.elapsed())
}

/// Two real PostgreSQL clusters: a primary and a streaming hot standby made from it with
/// `pg_basebackup -R`, the app reading dashboards, aggregates and exports from the standby.
/// With the standby's replay paused (so that it is distinguishably behind):
/// - an export without the read-your-writes cookie is served from the standby (it lacks what
///   the primary committed since), and from the primary once the lag bound is lowered below
///   the standby's lag;
/// - after a save through the API, the same user's export carries the save (the cookie sends
///   the read to the primary), while a request without the cookie still reads the standby;
/// - a report accepted on the primary shows at once on the dashboard and in the aggregates API
///   although both had cached the figures before, computed on the standby: a cache invalidated
///   by the primary is never refilled from a standby that has not replayed the change.
///
/// Then with the standby stopped (`pg_ctl stop -m immediate`) every routed read still answers
/// 200 from the primary, and the standby is used again once it is back.
#[tokio::test]
async fn reads_use_the_replica_except_after_ones_own_writes_and_fall_back_to_the_primary() {
    use danvan::reports::store::{self, Status};
    let primary_dir = tempfile::Builder::new().prefix("danvan-primary-").tempdir().expect("temporary directory");
    let primary = danvan::db::LocalCluster::ensure_running(primary_dir.path()).expect("a primary cluster");
    let _stop_primary = StopCluster(&primary);
    let owner = danvan::db::pool(primary.connect_options("postgres"), 2).await.expect("owner pool");
    danvan::db::migrate(&owner).await.expect("migrate");
    danvan::units::reference::ensure_loaded(&owner).await.expect("units");
    let mut tx = owner.begin().await.expect("tx");
    danvan::catalogue::load_demo(&mut tx).await.expect("catalogue");
    tx.commit().await.expect("commit");
    danvan::db::grant_app_role(&owner, danvan::db::LOCAL_APP_ROLE, true).await.expect("grant");
    let leader = session_cookie(&owner, "tw.lanhdao", None, "lanh_dao").await;
    let province =
        danvan::units::resolve_for_person(&owner, "91", date(2017, 12, 31)).await.expect("code").expect("Kiên Giang");
    let clerk = session_cookie(&owner, "tinh.nhaplieu", Some(province.id), "nhap_lieu").await;

    // The standby: a base backup of the primary over its socket, streaming from it.
    let standby_dir = tempfile::Builder::new().prefix("danvan-standby-").tempdir().expect("temporary directory");
    let pgdata = standby_dir.path().join("pg");
    std::fs::create_dir(&pgdata).expect("standby directory");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(standby_dir.path(), std::fs::Permissions::from_mode(0o711)).expect("chmod");
        std::fs::set_permissions(&pgdata, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres").expect("passwd").expect("a postgres user");
            nix::unistd::chown(&pgdata, Some(user.uid), Some(user.gid)).expect("chown");
        }
    }
    let bin = danvan::db::find_postgres_binaries().expect("PostgreSQL binaries");
    let output = as_cluster_owner(std::process::Command::new(bin.join("pg_basebackup")).current_dir("/"))
        .arg("-h")
        .arg(primary.pgdata())
        .args(["-p", "5432", "-U", "danvan", "-X", "stream", "-c", "fast", "-R", "-D"])
        .arg(&pgdata)
        .output()
        .expect("pg_basebackup runs");
    assert!(output.status.success(), "pg_basebackup: {}", String::from_utf8_lossy(&output.stderr));
    // The private cluster keeps its socket in its data directory: the copy holds the primary's
    // socket lock file.
    std::fs::remove_file(pgdata.join(".s.PGSQL.5432.lock")).ok();
    let standby = danvan::db::LocalCluster::ensure_running(standby_dir.path()).expect("the standby starts");
    let _stop_standby = StopCluster(&standby);
    let control = danvan::db::pool(standby.connect_options("postgres"), 1).await.expect("standby control pool");
    let recovering: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&control).await.expect("q");
    assert!(recovering, "the copy runs as a hot standby");

    // The app: primary for everything, the standby for routed reads.
    let pool = danvan::db::pool_for(primary.app_connect_options("postgres"), 4, danvan::db::PoolPurpose::Requests)
        .await
        .expect("app pool");
    let replica = std::sync::Arc::new(danvan::replica::Replica::new(
        standby.app_connect_options("postgres"),
        4,
        Duration::from_secs(60),
    ));
    let mut state = danvan::server::state(pool, danvan::config::AppConfig::for_tests());
    state.replica = Some(replica.clone());
    let lag = {
        let state = state.clone();
        move || danvan::replica::replica_lag_seconds(&state)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    common::serve_in_background(listener, state);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let url = |path: &str| format!("{address}{path}");
    let wait_for = |what: &'static str, done: Box<dyn Fn() -> bool>| async move {
        for _ in 0..100 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("waited 10 s for {what}");
    };
    wait_for(
        "the replica to be measured",
        Box::new({
            let lag = lag.clone();
            move || lag().is_some_and(|l| l < 5.0)
        }),
    )
    .await;

    let aggregates = "/api/v1/aggregates/91?period=2017-Q1";
    let dashboard = "/dashboards/30883?period=2017-Q1";
    let received = |body: &str| -> f64 {
        let doc: serde_json::Value = serde_json::from_str(body).expect("json");
        doc["values"]["DON_TIEP_NHAN"].as_f64().unwrap_or(0.0)
    };
    // Cached before anything happens (computed on the standby, which is up to date).
    let (status, body, _) = get_with(&client, url(aggregates), &leader).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(received(&body), 0.0);
    let (status, body, _) = get_with(&client, url(dashboard), &leader).await;
    assert_eq!(status, 200);
    assert!(!body.contains("5/10 đơn"));

    // The standby stops replaying: from now on it is behind, visibly.
    sqlx::query("SELECT pg_wal_replay_pause()").execute(&control).await.expect("pause replay");
    let id: ReportId = sqlx::query_scalar(
        "WITH r AS (INSERT INTO reports (unit_id, year, quarter, status)
                    SELECT id, 2017, 1, 'da_gui' FROM units WHERE code = '30883' AND valid_to IS NOT NULL RETURNING id)
         INSERT INTO report_values (report_id, element_code, value)
         SELECT id, code, v FROM r, (VALUES ('DON_TIEP_NHAN', 10.0), ('DON_GIAI_QUYET', 5.0)) AS x(code, v)
         RETURNING report_id",
    )
    .fetch_one(&owner)
    .await
    .expect("insert");
    let mut tx = owner.begin().await.expect("tx");
    let report = store::by_id(&mut tx, id).await.expect("report");
    // The app hears this acceptance only through NOTIFY, as from another app server.
    let _change =
        store::transition(&mut tx, &report, Status::Accepted, (UserId(1), "kiểm tra"), "", &Default::default())
            .await
            .expect("accept");
    tx.commit().await.expect("commit");

    // The cached figures follow the primary at once, though the standby has not replayed it.
    let mut seen = (0.0, false);
    for _ in 0..50 {
        let (_, body, _) = get_with(&client, url(aggregates), &leader).await;
        let (_, page, _) = get_with(&client, url(dashboard), &leader).await;
        seen = (received(&body), page.contains("5/10 đơn"));
        if seen == (10.0, true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, (10.0, true), "aggregates and dashboard after an acceptance the standby has not replayed");
    // An export (not cached) reads the standby, which lacks the acceptance…
    let export = "/exports/values/91/2017.csv";
    let (status, csv, _) = get_with(&client, url(export), &leader).await;
    assert_eq!(status, 200);
    assert!(!csv.contains("DON_TIEP_NHAN"), "read from the paused standby: {csv}");
    // …and the primary once the standby lags more than the bound.
    replica.set_max_lag(Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (status, csv, _) = get_with(&client, url(export), &leader).await;
    assert_eq!(status, 200);
    assert!(csv.contains("DON_TIEP_NHAN"), "past the lag bound, read from the primary: {csv}");
    replica.set_max_lag(Duration::from_secs(60));

    // Read-your-writes: a save through the API sets the cookie; with it the clerk's next read
    // goes to the primary, without it to the (paused) standby.
    let report_api = url("/api/v1/reports/91/2018-Q1");
    let response = client.get(&report_api).header("cookie", &clerk).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let version = response.json::<serde_json::Value>().await.expect("json")["version"].clone();
    let response = client
        .put(&report_api)
        .header("cookie", &clerk)
        .json(&serde_json::json!({"version": version, "values": {"TD_DINH_KY": "7"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let written = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|c| c.starts_with(&format!("{}=", danvan::replica::routing::COOKIE))))
        .map(str::to_owned)
        .expect("a save sets the read-your-writes cookie");
    let position = danvan::replica::parse_lsn(written.split_once('=').expect("cookie").1).expect("a WAL position");
    assert!(!replica.has_replayed(position), "the paused standby lacks the save");
    let export = "/exports/values/91/2018.csv";
    let with_cookie = format!("{clerk}; {written}");
    let (status, csv, _) = get_with(&client, url(export), &with_cookie).await;
    assert_eq!(status, 200);
    assert!(csv.contains("TD_DINH_KY"), "the clerk reads their own save: {csv}");
    let (status, csv, _) = get_with(&client, url(export), &clerk).await;
    assert_eq!(status, 200);
    assert!(!csv.contains("TD_DINH_KY"), "without the cookie, the paused standby: {csv}");

    // Replay resumes: the standby catches up and serves the save too.
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&control).await.expect("resume replay");
    wait_for(
        "the standby to replay the save",
        Box::new({
            let replica = replica.clone();
            move || replica.has_replayed(position)
        }),
    )
    .await;
    let (status, csv, _) = get_with(&client, url(export), &clerk).await;
    assert_eq!(status, 200);
    assert!(csv.contains("TD_DINH_KY"), "the standby caught up: {csv}");
    control.close().await;

    // The standby crashes: every routed read still answers, from the primary.
    standby.stop_immediately().expect("stop the standby");
    for path in [aggregates, dashboard, "/dashboards/91/drill?period=2017-Q1&key=DON_TIEP_NHAN", export] {
        let cookie = if path == export { &clerk } else { &leader };
        let (status, body, elapsed) = get_with(&client, url(path), cookie).await;
        assert_eq!(status, 200, "{path} with the standby down: {body}");
        assert!(elapsed < Duration::from_secs(5), "{path} took {elapsed:?}");
    }
    wait_for(
        "the standby to count as down",
        Box::new({
            let lag = lag.clone();
            move || lag().is_none()
        }),
    )
    .await;
    let (status, body, _) = get_with(&client, url(aggregates), &leader).await;
    assert_eq!((status, received(&body)), (200, 10.0));

    // Back: the monitor finds it again.
    standby.start().expect("start the standby again");
    wait_for("the standby to be used again", Box::new(move || lag().is_some())).await;
    let (status, csv, _) = get_with(&client, url(export), &clerk).await;
    assert_eq!(status, 200);
    assert!(csv.contains("TD_DINH_KY"));
    owner.close().await;
}

/// Each closed vocabulary in the code (`danvan::vocabulary`) holds exactly the words its
/// column's CHECK constraint allows: a word the table accepts but the enum lacks would fail to
/// decode (an error on every page showing it), one the enum offers but the table refuses would
/// fail on save.
#[tokio::test]
async fn every_vocabulary_holds_the_words_its_column_allows() {
    use danvan::catalogue::{Aggregation, IndicatorDisplay, Severity, ValueType};
    use danvan::directives::store::{DirectiveStatus, MilestoneKind};
    use danvan::directives::{Comparator, DirectiveKind, Issuer};
    use danvan::reports::store::TaskState;
    use danvan::reports::workflow::Status;

    let app = TestApp::spawn().await;
    let columns: [(&str, &str, Vec<&str>); 12] = [
        ("reports", "status", Status::ALL.map(Status::as_str).to_vec()),
        ("report_task_progress", "status", TaskState::ALL.map(TaskState::as_str).to_vec()),
        ("directives", "kind", DirectiveKind::ALL.map(DirectiveKind::as_str).to_vec()),
        ("directives", "issuer", Issuer::ALL.map(Issuer::as_str).to_vec()),
        ("directives", "status", DirectiveStatus::ALL.map(DirectiveStatus::as_str).to_vec()),
        ("milestones", "kind", MilestoneKind::ALL.map(MilestoneKind::as_str).to_vec()),
        ("targets", "comparator", Comparator::ALL.map(Comparator::as_str).to_vec()),
        // A rule compares with one bound: every comparator but the range.
        ("validation_rules", "operator", danvan::catalogue::store::OPERATORS.map(Comparator::as_str).to_vec()),
        ("validation_rules", "severity", Severity::ALL.map(Severity::as_str).to_vec()),
        ("data_elements", "value_type", ValueType::ALL.map(ValueType::as_str).to_vec()),
        ("data_elements", "aggregation", Aggregation::ALL.map(Aggregation::as_str).to_vec()),
        ("indicators", "display", IndicatorDisplay::ALL.map(IndicatorDisplay::as_str).to_vec()),
    ];
    for (table, column, vocabulary) in columns {
        let definitions: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND cardinality(c.conkey) = 1 AND a.attname = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_all(&app.pool)
        .await
        .expect("constraints");
        assert_eq!(definitions.len(), 1, "{table}.{column}: one CHECK of its words: {definitions:?}");
        // `CHECK ((status = ANY (ARRAY['nhap'::text, …])))`: the quoted words.
        let mut allowed: Vec<&str> = definitions[0].split('\'').skip(1).step_by(2).collect();
        let mut words = vocabulary.clone();
        allowed.sort_unstable();
        words.sort_unstable();
        assert_eq!(words, allowed, "{table}.{column}: {}", definitions[0]);
    }
}
