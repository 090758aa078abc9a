//! The foundation: health, the unit trees and their lineage, search, collation, error pages.

mod common;

use std::time::Duration;

use chrono::NaiveDate;
use common::TestApp;
use danvan::units::queries;

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
    let counts = |rows: Vec<queries::TreeCount>| rows.into_iter().map(|c| (c.level, c.count)).collect::<Vec<_>>();
    let before = queries::counts_on(&app.pool, date(2025, 1, 4)).await.expect("counts");
    assert_eq!(counts(before), vec![(1, 63), (2, 696), (3, 10_051)]);
    let last_day = queries::counts_on(&app.pool, date(2025, 6, 30)).await.expect("counts");
    assert_eq!(counts(last_day), vec![(1, 63), (2, 696), (3, 10_051)]);
    let after = queries::counts_on(&app.pool, date(2025, 7, 1)).await.expect("counts");
    assert_eq!(counts(after), vec![(1, 34), (3, 3_321)]);

    // Five island districts have no communes.
    let empty_districts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM units d WHERE d.level = 2
         AND NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_id = d.id)",
    )
    .fetch_one(&app.pool)
    .await
    .expect("query");
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

/// A PostgreSQL cluster of its own, stopped under the running app: every route answers 503
/// with Retry-After (pages and API alike, signed in or not) within about two seconds, and the
/// app serves again by itself once PostgreSQL is back.
#[tokio::test]
async fn every_route_answers_503_while_postgresql_is_down_and_recovers() {
    let dir = tempfile::Builder::new().prefix("danvan-outage-").tempdir().expect("temporary directory");
    let cluster = danvan::db::LocalCluster::ensure_running(dir.path()).expect("a private cluster");
    // Stopped however the test ends, so no server outlives it.
    struct StopOnDrop<'a>(&'a danvan::db::LocalCluster);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            if self.0.is_running() {
                self.0.stop_immediately().ok();
            }
        }
    }
    let _guard = StopOnDrop(&cluster);
    let owner = danvan::db::pool(cluster.connect_options("postgres"), 2).await.expect("owner pool");
    danvan::db::migrate(&owner).await.expect("migrate");
    danvan::db::grant_app_role(&owner, danvan::db::LOCAL_APP_ROLE, true).await.expect("grant");
    let user = danvan::auth::users::insert(
        &owner,
        &danvan::auth::users::NewUser {
            username: "tw.lanhdao",
            full_name: "Lãnh đạo",
            unit_id: None,
            roles: &["lanh_dao".to_owned()],
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        },
    )
    .await
    .expect("user");
    let session = danvan::auth::sessions::create(&owner, user, "test").await.expect("session");
    owner.close().await;
    let pool = danvan::db::pool_for(cluster.app_connect_options("postgres"), 4, danvan::db::PoolPurpose::Requests)
        .await
        .expect("app pool");
    let state = danvan::server::state(pool, danvan::config::AppConfig::for_tests());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    common::serve_in_background(listener, state);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let cookie = format!("{}={session}", danvan::auth::SESSION_COOKIE);
    let get = |path: &str| client.get(format!("{address}{path}")).header("cookie", cookie.clone()).send();
    assert_eq!(get("/").await.expect("GET").status(), 200, "signed in while the database is up");

    cluster.stop_immediately().expect("stop PostgreSQL");
    let requests: Vec<(&str, &str, bool)> = vec![
        ("GET", "/", true),
        ("GET", "/reports", true),
        ("GET", "/dashboards", true),
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
