//! Accounts and the security baseline: every route × every role, unit scope, cross-site
//! requests, throttling, sessions, the audit log, and no password hash anywhere.

use std::sync::Arc;

use danvan::web::routes::Access;
use reqwest::cookie::CookieStore;

use crate::common::{self, PASSWORD, TestApp, text};

/// A request with a session made directly in the database (cheap: no password hashing).
async fn session_cookie(app: &TestApp, user_id: danvan::auth::UserId) -> String {
    let token = danvan::auth::sessions::create(&app.pool, user_id, "test").await.expect("session");
    format!("{}={token}", danvan::auth::SESSION_COOKIE)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    Denied,
    LoginRequired,
}

/// Who may use each route, for the five callers of the walk: anonymous, data entry at commune
/// 30883, reviewer at its district 905, leader and administrator at province 91. `A` allowed, `D`
/// refused (403/404), `L` asked to log in. A route missing here fails the suite: every new route
/// must say who may use it.
fn expectations(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        // /metrics: the tests' peer is 127.0.0.1, which the default allow-list lets in.
        ("GET", "/healthz" | "/metrics" | "/static/{*path}" | "/login") | ("POST", "/login") => "AAAAA",
        ("GET", "/" | "/about" | "/units" | "/units/{code}" | "/profile" | "/reports") => "LAAAA",
        ("POST", "/logout" | "/profile/password" | "/profile/tokens" | "/profile/tokens/{id}/revoke") => "LAAAA",
        ("GET", "/reviews") => "LDADD",
        // Hamlets of a commune of today (30886), outside these Kiên Giang accounts of 2020:
        // tests/dashboards.rs covers who may add them.
        ("GET" | "POST", "/units/{code}/hamlets") | ("POST", "/units/{code}/hamlets/{id}/end") => "LDDDD",
        ("GET", "/dashboards") => "LAAAA",
        // The province dashboard: its leader and administrator; the commune and district staff
        // only see their own unit.
        ("GET", "/dashboards/{unit}" | "/dashboards/{unit}/drill" | "/api/v1/aggregates/{unit}") => "LDDAA",
        ("GET", "/reports/{unit}/{period}" | "/api/v1/reports/{unit}/{period}") => "LAAAA",
        ("POST", "/reports/{unit}/{period}") | ("PUT", "/api/v1/reports/{unit}/{period}") => "LADDD",
        ("POST", "/reports/{unit}/{period}/review") => "LDADD",
        // The annual report and values of the province: whoever may read the province's data.
        ("GET", "/exports/annual/{unit}/{year}" | "/exports/values/{unit}/{year}") => "LDDAA",
        // Its narrative: the province's own office and administrators of its subtree.
        ("POST", "/exports/annual/{unit}/{year}/narrative") => "LDDDA",
        // Anyone signed in sees the import page; only data-entry staff may upload (checked before
        // the body is read), and every row against their own unit.
        ("GET", "/imports/values") => "LAAAA",
        ("POST", "/imports/values") => "LADDD",
        (_, p) if p.starts_with("/admin/users") || p == "/admin/audit" => "LDDDA",
        // Offices: administrators, for the units of their subtree (the example row is the
        // province's).
        (_, p) if p.starts_with("/admin/offices") => "LDDDA",
        // The catalogue: administrators at province level or above.
        (_, p) if p.starts_with("/admin/catalogue") => "LDDDA",
        // Directives are read by everyone; the example is a central document, which only
        // national accounts may change.
        ("GET", "/directives" | "/directives/new" | "/directives/{id}" | "/milestones") => "LAAAA",
        ("GET", "/directives/{id}/attachments/{attachment}") => "LAAAA",
        ("POST", "/directives") => "LAAAA",
        (_, p) if p.starts_with("/directives/{id}") => "LDDDD",
        _ => return None,
    })
}

#[tokio::test]
async fn every_route_checks_every_role() {
    let app = TestApp::spawn().await;
    let commune_user = app.user("mt.nhaplieu", "30883").role("nhap_lieu").create().await;
    let district = app.user("ct.duyet", "905").role("duyet").create().await;
    let leader = app.user("kg.lanhdao", "91").role("lanh_dao").create().await;
    let admin = app.user("kg.quantri", "91").role("quan_tri").create().await;
    let subject = app.user("mt.doituong", "30883").role("nhap_lieu").create().await;
    // The examples name catalogue entries (e.g. the drill-down of DVHV_HIEN_CO).
    let mut tx = app.pool.begin().await.expect("tx");
    danvan::catalogue::load_demo(&mut tx).await.expect("catalogue");
    tx.commit().await.expect("commit");
    let roles: [(&str, Option<danvan::auth::UserId>); 5] = [
        ("khách", None),
        ("nhap_lieu", Some(commune_user)),
        ("duyet", Some(district)),
        ("lanh_dao", Some(leader)),
        ("quan_tri", Some(admin)),
    ];
    // One directive (central, so no account here may edit it) and one attachment, for the
    // examples that name them.
    let some_directive = app.directive("99-NQ/TW", "Bộ Chính trị", "2020-01-01").insert().await;
    let some_attachment: i32 = sqlx::query_scalar(
        "INSERT INTO attachments (directive_id, file_name, content_type, size_bytes, sha256, content)
         VALUES ($1, 'a.pdf', 'application/pdf', 6, '', '%PDF-1'::bytea) RETURNING id",
    )
    .bind(some_directive)
    .fetch_one(&app.pool)
    .await
    .expect("attachment");
    // Catalogue rows the edit routes' examples name (the database has no demo data here).
    sqlx::raw_sql(
        "INSERT INTO organisations (code, name, short_name) VALUES ('VD_TO_CHUC', 'Tổ chức thử', 'Thử');
         INSERT INTO report_sections (code, name) VALUES ('VD_MUC', 'Mục thử');
         INSERT INTO data_elements (code, name, section_code, unit_of_measure, value_type, aggregation, levels)
             VALUES ('VD_SO_LIEU', 'Số liệu thử', 'VD_MUC', 'cuộc', 'integer', 'sum', '{1,2,3}');
         INSERT INTO indicators (code, name, numerator, display) VALUES ('VD_CHI_SO', 'Chỉ số thử', 'VD_SO_LIEU', 'value');
         INSERT INTO validation_rules (code, left_expr, operator, right_expr, severity, message)
             VALUES ('VD_QUY_TAC', 'VD_SO_LIEU', '<=', 'VD_SO_LIEU', 'error', 'Quy tắc thử');",
    )
    .execute(&app.pool)
    .await
    .expect("catalogue rows for the examples");
    // An office row of the province (Kiên Giang before the boards merged), for the examples.
    let some_office: i32 = app
        .scalar(
            "INSERT INTO offices (unit_id, valid_to, superior, name, symbol, display_name)
         SELECT id, '2025-02-28', 'TỈNH ỦY KIÊN GIANG', 'BAN DÂN VẬN', 'BDVTU', 'Ban Dân vận Tỉnh ủy Kiên Giang'
         FROM units WHERE code = '91' AND valid_to = '2025-06-30' RETURNING id",
        )
        .await;
    let table = danvan::route_table();
    assert!(table.len() >= 20, "the table holds every route");
    let mut checked = 0;
    for spec in &table {
        let path = spec
            .example
            .replace("{own_scope_user}", &subject.to_string())
            .replace("{some_directive}", &some_directive.to_string())
            .replace("{some_attachment}", &some_attachment.to_string())
            .replace("{some_office}", &some_office.to_string());
        // Changes to a directive are checked against its issuing unit inside the handler: for
        // this central document every account here is refused (tests/directives.rs covers who
        // may edit).
        let unit_checked = spec.example.contains("{some_directive}")
            && (spec.method != reqwest::Method::GET || spec.path.ends_with("/edit"));
        assert!(!path.contains('{'), "{}: example {} has an unfilled parameter", spec.path, spec.example);
        let letters = expectations(spec.method.as_str(), spec.path)
            .unwrap_or_else(|| panic!("{} {} has no authorization expectation in this test", spec.method, spec.path));
        if spec.access == Access::Public {
            assert_eq!(letters, "AAAAA", "{} is public", spec.path);
        }
        for ((role, user), letter) in roles.into_iter().zip(letters.chars()) {
            let expect = match letter {
                'A' => Expect::Allowed,
                'D' => Expect::Denied,
                _ => Expect::LoginRequired,
            };
            let mut request = app.client.request(spec.method.clone(), app.url(&path));
            if let Some(id) = user {
                request = request.header("cookie", session_cookie(&app, id).await);
            } else {
                request = request.header("cookie", "x=1");
            }
            if spec.method != reqwest::Method::GET {
                request = request.header("content-type", "application/x-www-form-urlencoded").body("x=");
            }
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let location = response.headers().get("location").map(|v| v.to_str().unwrap_or("").to_owned());
            let what = format!("{} {} as {role}: {status} {location:?}", spec.method, path);
            assert!(status < 500, "{what}");
            match expect {
                Expect::Allowed if unit_checked => assert!(![401, 404].contains(&status), "{what} should be allowed"),
                Expect::Allowed => assert!(![401, 403, 404].contains(&status), "{what} should be allowed"),
                Expect::Denied => assert!([403, 404].contains(&status), "{what} should be refused"),
                Expect::LoginRequired => {
                    let to_login = status == 303 && location.as_deref().is_some_and(|l| l.starts_with("/login"));
                    assert!(to_login || status == 401, "{what} should ask to log in");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * roles.len());
}

#[tokio::test]
async fn a_commune_cannot_read_or_change_another_communes_accounts() {
    let app = TestApp::spawn().await;
    let own = app.user("mta.quantri", "30883").role("quan_tri").create().await;
    let neighbour = app.user("mtb.nhaplieu", "30886").role("nhap_lieu").create().await;
    let colleague = app.user("mta.nhaplieu", "30883").role("nhap_lieu").create().await;
    let client = app.client_for("mta.quantri").await;
    let _ = own;

    let (status, page) = text(client.get(app.url("/admin/users")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("mta.nhaplieu"));
    assert!(!page.contains("mtb.nhaplieu"), "another commune's account is not listed");

    let (status, page) =
        text(client.get(app.url(&format!("/admin/users/{neighbour}"))).send().await.expect("GET")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("mtb.nhaplieu"));
    let response = client
        .post(app.url(&format!("/admin/users/{neighbour}")))
        .form(&[("full_name", "Đã bị sửa"), ("unit_code", "30883"), ("roles", "quan_tri"), ("version", "1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 404);
    let response = client.post(app.url(&format!("/admin/users/{neighbour}/password"))).send().await.expect("POST");
    assert_eq!(response.status(), 404);
    let name: String = sqlx::query_scalar("SELECT full_name FROM users WHERE id = $1")
        .bind(neighbour)
        .fetch_one(&app.pool)
        .await
        .expect("query");
    assert_eq!(name, "Người thử mtb.nhaplieu", "unchanged");

    // Creating an account in another commune is refused next to the unit field.
    let response = client
        .post(app.url("/admin/users"))
        .form(&[
            ("username", "ke.gian"),
            ("full_name", "Kẻ gian"),
            ("unit_code", "30886"),
            ("as_of", "2020-12-31"),
            ("roles", "quan_tri"),
            ("password", "mot-mat-khau-dai"),
        ])
        .send()
        .await
        .expect("POST");
    let (status, page) = text(response).await;
    assert_eq!(status, 422);
    assert!(page.contains("ngoài phạm vi bạn quản trị"));
    assert!(page.contains(r#"value="ke.gian""#), "input kept");

    // A data-entry user of the commune gets the 403 page, never the data.
    let staff = app.client_for("mta.nhaplieu").await;
    let (status, page) =
        text(staff.get(app.url(&format!("/admin/users/{colleague}"))).send().await.expect("GET")).await;
    assert_eq!(status, 403);
    assert!(page.contains("Không có quyền truy cập"));
    assert!(!page.contains("Người thử mta.nhaplieu</td>"));
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let client = app.user("xa.a", "30883").role("nhap_lieu").signed_in().await;
    let response = client
        .post(app.url("/logout"))
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("x", "1")])
        .send()
        .await
        .expect("POST");
    let (status, page) = text(response).await;
    assert_eq!(status, 403);
    assert!(page.contains(r#"lang="vi""#), "the Vietnamese 403 page");
    let (status, _) = text(client.get(app.url("/profile")).send().await.expect("GET")).await;
    assert_eq!(status, 200, "still signed in: the forged logout did nothing");

    // The same request from the app's own pages goes through.
    let response = client
        .post(app.url("/logout"))
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn repeated_failures_are_throttled_without_revealing_accounts() {
    let app = TestApp::spawn().await;
    app.user("xa.b", "30883").role("nhap_lieu").create().await;
    let client = app.new_client();
    let attempt = |username: &'static str, password: &'static str| {
        let client = client.clone();
        let url = app.url("/login");
        async move {
            text(client.post(url).form(&[("username", username), ("password", password)]).send().await.expect("POST"))
                .await
        }
    };
    let (status_unknown, page_unknown) = attempt("khong.co.ai", "sai-mat-khau").await;
    let (status_wrong, page_wrong) = attempt("xa.b", "sai-mat-khau").await;
    assert_eq!(status_unknown, status_wrong);
    assert!(page_unknown.contains(danvan::auth::login::WRONG_CREDENTIALS));
    assert!(page_wrong.contains(danvan::auth::login::WRONG_CREDENTIALS));
    for _ in 0..4 {
        attempt("xa.b", "sai-mat-khau").await;
    }
    let (status, page) = attempt("xa.b", "sai-mat-khau").await;
    assert_eq!(status, 429);
    assert!(page.contains("thử lại sau 15 phút"));
    let (status, _) = attempt("xa.b", PASSWORD).await;
    assert_eq!(status, 429, "even the right password waits while the account is paused");

    // Per address: many accounts from one address.
    for i in 0..20 {
        let username: &'static str = Box::leak(format!("doan.mo{i}").into_boxed_str());
        attempt(username, "x").await;
    }
    let (status, _) = attempt("another.name", "x").await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn sessions_survive_a_restart_and_logout_ends_them_on_the_server() {
    let app = TestApp::spawn().await;
    app.user("xa.c", "30883").role("nhap_lieu").create().await;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    app.login(&client, "xa.c").await;
    let cookie = jar.cookies(&app.url("/").parse().expect("url")).expect("cookie").to_str().expect("ascii").to_owned();
    assert!(cookie.contains(danvan::auth::SESSION_COOKIE));

    // Another server on the same database (a restart) knows the session.
    let restarted = app.restart().await;
    let (status, page) = text(
        reqwest::Client::new().get(restarted.url("/profile")).header("cookie", &cookie).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("xa.c"));

    // A new login gets a new session id.
    let other = app.new_client();
    app.login(&other, "xa.c").await;
    let sessions: i64 = app.scalar("SELECT count(*) FROM sessions").await;
    assert_eq!(sessions, 2);

    let response = client.post(app.url("/logout")).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("/profile"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 303, "the old cookie opens nothing after logout");
    let sessions: i64 = app.scalar("SELECT count(*) FROM sessions").await;
    assert_eq!(sessions, 1, "the session row is gone");
}

#[tokio::test]
async fn idle_and_absolute_expiry_end_sessions() {
    let app = TestApp::spawn().await;
    let id = app.user("xa.d", "30883").role("nhap_lieu").create().await;
    let idle = session_cookie(&app, id).await;
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '3 hours'").execute(&app.pool).await.expect("age");
    let absolute = session_cookie(&app, id).await;
    sqlx::query(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE last_seen_at > now() - interval '1 hour'",
    )
    .execute(&app.pool)
    .await
    .expect("expire");
    for cookie in [idle, absolute] {
        let response = app.client.get(app.url("/profile")).header("cookie", cookie).send().await.expect("GET");
        assert_eq!(response.status(), 303);
    }
}

#[tokio::test]
async fn the_last_active_administrator_stays() {
    let app = TestApp::spawn().await;
    let id = app.user("tw.quantri", "TW").role("quan_tri").create().await;
    let client = app.client_for("tw.quantri").await;
    let path = format!("/admin/users/{id}");
    let opened = app.open_form(&client, &path, "full_name").await;
    // Stepping down, or switching the account off, while no other administrator is active.
    for form in [opened.clone().set("roles", "lanh_dao"), opened.clone().unset("active")] {
        let (status, page) = app.send(&client, &form).await;
        assert_eq!(status, 422);
        assert!(page.contains("quản trị viên cuối cùng"), "{page}");
    }
    // With a second administrator, the first may step down.
    app.user("tw.quantri2", "TW").role("quan_tri").create().await;
    let (status, page) = app.send(&client, &opened.set("roles", "lanh_dao")).await;
    assert_eq!(status, 303, "{page}");
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_the_current_values() {
    let app = TestApp::spawn().await;
    app.user("tw.admin", "TW").role("quan_tri").create().await;
    let target = app.user("xa.e", "30883").role("nhap_lieu").create().await;
    let client = app.client_for("tw.admin").await;
    // Two administrators open the same account; the first saves.
    let path = format!("/admin/users/{target}");
    let first = app.open_form(&client, &path, "full_name").await;
    let second = app.open_form(&client, &path, "full_name").await;
    let (status, _) = app.send(&client, &first.set("full_name", "Tên mới A")).await;
    assert_eq!(status, 303);
    let (status, page) = app.send(&client, &second.set("full_name", "Tên mới B")).await;
    assert_eq!(status, 422);
    assert!(page.contains("vừa được người khác sửa"));
    assert!(page.contains("Tên mới A"), "the page shows what the other person saved");
}

#[tokio::test]
async fn the_audit_log_records_changes_and_refuses_edits() {
    let app = TestApp::spawn().await;
    let client = app.user("tw.audit", "TW").role("quan_tri").signed_in().await;
    let response = client
        .post(app.url("/admin/users"))
        .form(&[
            ("username", "moi.tao"),
            ("full_name", "Người mới"),
            ("unit_code", "30883"),
            ("as_of", "2020-12-31"),
            ("roles", "nhap_lieu"),
            ("roles", "lanh_dao"),
            ("password", "mat-khau-moi-2026"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let bad = app.new_client();
    bad.post(app.url("/login")).form(&[("username", "moi.tao"), ("password", "sai")]).send().await.expect("POST");

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id").fetch_all(&app.pool).await.expect("q");
    assert_eq!(actions, vec!["login", "create", "login_failed"]);
    let after: serde_json::Value = app.scalar("SELECT after FROM audit_log WHERE action = 'create'").await;
    assert_eq!(after["username"], "moi.tao");
    assert_eq!(after["roles"], serde_json::json!(["nhap_lieu", "lanh_dao"]));

    for statement in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let refused = sqlx::query(statement).execute(&app.pool).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }

    let (status, page) = text(client.get(app.url("/admin/audit?entity=user")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("moi.tao"));
    assert!(!page.contains("login_failed"), "filtered by entity");
    let (_, page) =
        text(client.get(app.url("/admin/audit?from=2000-01-01&to=2000-01-02")).send().await.expect("GET")).await;
    assert!(page.contains("0 mục"));
}

#[tokio::test]
async fn no_page_or_record_shows_a_password_hash() {
    let app = TestApp::spawn().await;
    let id = app.user("tw.hash", "TW").role("quan_tri").role("lanh_dao").create().await;
    let client = app.client_for("tw.hash").await;
    client.post(app.url(&format!("/admin/users/{id}/password"))).send().await.expect("POST");
    let client = app.new_client();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("q");
    assert!(hash.starts_with("$argon2id$"), "Argon2id");
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(danvan::auth::password::hash(PASSWORD.to_owned()).await.expect("hash"))
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("q");
    app.login(&client, "tw.hash").await;
    for path in ["/", "/profile", "/admin/users", &format!("/admin/users/{id}"), "/admin/audit"] {
        let (status, page) = text(client.get(app.url(path)).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{path}");
        assert!(!page.contains("$argon2"), "{path} shows a hash");
    }
    let leaked: i64 = app
        .scalar("SELECT count(*) FROM audit_log WHERE before::text LIKE '%argon2%' OR after::text LIKE '%argon2%'")
        .await;
    assert_eq!(leaked, 0);
}

/// Makes a token through the profile page (with the password) and returns it.
async fn mint_token(app: &TestApp, client: &reqwest::Client) -> String {
    let response = client
        .post(app.url("/profile/tokens"))
        .form(&[("name", "Phần mềm"), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let (status, page) = text(response).await;
    assert_eq!(status, 200);
    let start = page.find("dv_").expect("the token is shown once");
    page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

#[tokio::test]
async fn tokens_need_the_password_open_only_the_api_and_end_with_the_password() {
    let app = TestApp::spawn().await;
    let user = app.user("mt.api", "30883").role("nhap_lieu").create().await;
    app.user("kg.qt", "91").role("quan_tri").create().await;
    let client = app.client_for("mt.api").await;
    let api = "/api/v1/reports/30883/2018-Q3";

    // No password, or a wrong one: no token, the field says why.
    for form in [vec![("name", "Phần mềm")], vec![("name", "Phần mềm"), ("password", "sai-mat-khau")]] {
        let (status, page) =
            text(client.post(app.url("/profile/tokens")).form(&form).send().await.expect("POST")).await;
        assert_eq!(status, 422);
        assert!(page.contains("Mật khẩu hiện tại không đúng"), "{page}");
        assert!(page.contains(r#"value="Phần mềm""#), "the typed key name is kept");
        assert!(!page.contains("dv_"));
    }
    let failed: i64 = app.scalar("SELECT count(*) FROM audit_log WHERE action = 'password_check_failed'").await;
    assert_eq!(failed, 2, "failed password checks are audited");

    let token = mint_token(&app, &client).await;
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = bare.get(app.url(api)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    // Its use is in the audit log, attributed to the token.
    let used: Vec<String> =
        sqlx::query_scalar("SELECT client FROM audit_log WHERE action = 'use' AND entity = 'api_token'")
            .fetch_all(&app.pool)
            .await
            .expect("q");
    assert_eq!(used.len(), 1);
    assert!(used[0].starts_with("khóa API #"), "{used:?}");

    // Pages and forms do not take a bearer token.
    for (method, path) in [("GET", "/dashboards/30883?period=2018"), ("GET", "/profile"), ("POST", "/profile/tokens")] {
        let request =
            if method == "GET" { bare.get(app.url(path)) } else { bare.post(app.url(path)).form(&[("name", "x")]) };
        let response = request.bearer_auth(&token).send().await.expect("request");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(response.status() == 303 && location.starts_with("/login"), "{method} {path}: {}", response.status());
    }
    let tokens: i64 = app.scalar("SELECT count(*) FROM api_tokens").await;
    assert_eq!(tokens, 1, "a bearer cannot mint more tokens");

    // A password change ends every token of the account.
    let response = client
        .post(app.url("/profile/password"))
        .form(&[("current", PASSWORD), ("new", "Mat-khau-moi-2026"), ("confirm", "Mat-khau-moi-2026")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let response = bare.get(app.url(api)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 401, "a token made before the password change is dead");

    // An administrator's reset does the same.
    sqlx::query(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'kg.qt') WHERE id = $1",
    )
    .bind(user)
    .execute(&app.pool)
    .await
    .expect("q");
    let client = app.client_for("mt.api").await;
    let token = mint_token(&app, &client).await;
    let admin = app.client_for("kg.qt").await;
    let response = admin.post(app.url(&format!("/admin/users/{user}/password"))).send().await.expect("POST");
    assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(response.status(), 200);
    let response = bare.get(app.url(api)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 401, "a reset password ends the tokens");
}

#[tokio::test]
async fn administrators_list_and_revoke_tokens_and_deactivation_ends_them() {
    let app = TestApp::spawn().await;
    let user = app.user("mt.api2", "30883").role("nhap_lieu").create().await;
    app.user("kg.qt2", "91").role("quan_tri").create().await;
    let client = app.client_for("mt.api2").await;
    let first = mint_token(&app, &client).await;
    let second = mint_token(&app, &client).await;
    let bare = reqwest::Client::new();
    let api = app.url("/api/v1/reports/30883/2018-Q3");

    let admin = app.client_for("kg.qt2").await;
    let (status, page) = text(admin.get(app.url(&format!("/admin/users/{user}"))).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("/tokens/").count(), 2, "both live tokens are listed with a revoke button");
    let first_id: i32 = app.scalar("SELECT min(id) FROM api_tokens").await;
    let response =
        admin.post(app.url(&format!("/admin/users/{user}/tokens/{first_id}/revoke"))).send().await.expect("POST");
    assert_eq!(response.status(), 303);
    assert_eq!(bare.get(&api).bearer_auth(&first).send().await.expect("GET").status(), 401);
    assert_eq!(bare.get(&api).bearer_auth(&second).send().await.expect("GET").status(), 200);
    let revoked: i64 = app
        .scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'revoke' AND entity = 'api_token' AND actor_name = 'kg.qt2'",
        )
        .await;
    assert_eq!(revoked, 1);

    // Deactivation ends the other one for good: reactivating the account does not revive it.
    let version: i32 =
        sqlx::query_scalar("SELECT version FROM users WHERE id = $1").bind(user).fetch_one(&app.pool).await.expect("q");
    let edit = |active: bool, version: i32| {
        let mut form = vec![
            ("full_name", "Người thử".to_owned()),
            ("unit_code", "30883".to_owned()),
            ("as_of", "2020-12-31".to_owned()),
            ("roles", "nhap_lieu".to_owned()),
            ("version", version.to_string()),
        ];
        if active {
            form.push(("active", "1".to_owned()));
        }
        admin.post(app.url(&format!("/admin/users/{user}"))).form(&form).send()
    };
    // The account's own browser session was just read (and is kept for a second to spare the
    // database): the deactivation through this server still ends it on the very next page.
    assert_eq!(client.get(app.url("/profile")).send().await.expect("GET").status(), 200);
    assert_eq!(edit(false, version).await.expect("POST").status(), 303);
    let response = client.get(app.url("/profile")).send().await.expect("GET");
    assert_eq!(response.status(), 303, "a deactivated account's session opens nothing at once");
    assert_eq!(bare.get(&api).bearer_auth(&second).send().await.expect("GET").status(), 401);
    assert_eq!(edit(true, version + 1).await.expect("POST").status(), 303);
    assert_eq!(bare.get(&api).bearer_auth(&second).send().await.expect("GET").status(), 401, "still revoked");
}

#[tokio::test]
async fn parallel_guesses_are_counted_before_any_hash() {
    let app = TestApp::spawn().await;
    app.user("mt.doan", "30883").role("nhap_lieu").create().await;
    let mut guesses = Vec::new();
    for i in 0..15 {
        let client = app.new_client();
        let url = app.url("/login");
        guesses.push(tokio::spawn(async move {
            let password = format!("sai-{i}");
            client
                .post(url)
                .form(&[("username", "mt.doan"), ("password", password.as_str())])
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut judged = 0;
    for guess in guesses {
        let status = guess.await.expect("task").expect("POST");
        assert!([200, 429].contains(&status), "{status}");
        if status != 429 {
            judged += 1;
        }
    }
    assert!(judged <= danvan::auth::throttle::MAX_PER_ACCOUNT as usize, "{judged} of 15 parallel guesses were checked");
    // Even the right password waits out the window now.
    let response = app
        .new_client()
        .post(app.url("/login"))
        .form(&[("username", "mt.doan"), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 429);

    // A name longer than any account's is answered without a database write.
    let long = "a".repeat(100_000);
    let (status, page) = text(
        app.new_client()
            .post(app.url("/login"))
            .form(&[("username", long.as_str()), ("password", "x")])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains(danvan::auth::login::WRONG_CREDENTIALS));
    let longest: Option<i32> = app.scalar("SELECT max(length(actor_name)) FROM audit_log").await;
    assert!(longest.unwrap_or(0) <= 64, "no huge name in the audit log");
}

#[test]
fn concurrent_hashes_are_bounded() {
    let slots = danvan::auth::password::concurrent_hashes();
    assert!((2..=2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1)).contains(&slots));
}

#[tokio::test]
async fn redirects_after_login_stay_on_the_site() {
    let app = TestApp::spawn().await;
    app.user("mt.next", "30883").role("nhap_lieu").create().await;
    let hostile = [
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/%5c/evil.example",
        "/%5cevil.example",
        "//evil.example",
        "/%20/evil.example",
        "https://evil.example/",
        "%2F%2Fevil.example",
        "/%00/evil.example",
        "/%E2%80%8B/evil.example",
    ];
    let leaves_site = |location: &str| {
        let cleaned: String = location.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
        let cleaned = cleaned.replace('\\', "/");
        !cleaned.starts_with('/') || cleaned.starts_with("//") || cleaned.contains("://")
    };
    // Signed in: GET /login?next=… redirects at once.
    let client = app.client_for("mt.next").await;
    for next in hostile {
        let response = client.get(app.url(&format!("/login?next={next}"))).send().await.expect("GET");
        assert_eq!(response.status(), 303, "{next}");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(!leaves_site(&location), "{next} → {location:?}");
    }
    // Signing in with next=… in the form.
    for next in hostile {
        let decoded = percent_encoding::percent_decode_str(next).decode_utf8_lossy().into_owned();
        let response = app
            .new_client()
            .post(app.url("/login"))
            .form(&[("username", "mt.next"), ("password", PASSWORD), ("next", decoded.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 303, "{next}");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(!leaves_site(&location), "{next} → {location:?}");
    }
    // A local path with Vietnamese text still works.
    let response =
        client.get(app.url("/login?next=%2Funits%3Fq%3D%C4%91%E1%BB%A9c%20tr%E1%BB%8Dng")).send().await.expect("GET");
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(location, "/units?q=%C4%91%E1%BB%A9c%20tr%E1%BB%8Dng");
}

#[tokio::test]
async fn the_servers_database_role_cannot_rewrite_the_audit_log() {
    let app = TestApp::spawn().await;
    let pool = common::app_pool(&app.database).await;
    let me: String = sqlx::query_scalar("SELECT current_user").fetch_one(&pool).await.expect("q");
    assert_eq!(me, danvan::db::LOCAL_APP_ROLE, "the app connects as its restricted role");
    sqlx::query("INSERT INTO audit_log (actor_name, action, entity) VALUES ('kiểm tra', 'test', 'test')")
        .execute(&pool)
        .await
        .expect("the app may append to the audit log");
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.expect("and read it");
    assert!(seen >= 1);
    for statement in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_no_update ON audit_log",
        "SET session_replication_role = replica",
        "DELETE FROM _sqlx_migrations",
        "CREATE TABLE sneaky (id int)",
    ] {
        let error = sqlx::query(statement).execute(&pool).await.expect_err(statement);
        let code = error.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned()).unwrap_or_default();
        // 42501 insufficient privilege; 42883/42809 for "must be owner" variants.
        assert!(["42501", "42809"].contains(&code.as_str()), "{statement}: {error}");
    }
    // The statement timeout bounds every request's query.
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout").fetch_one(&pool).await.expect("q");
    assert_eq!(timeout, "25s");
}

#[tokio::test]
async fn behind_https_the_flash_cookie_is_secure_too() {
    let app = TestApp::spawn().await;
    let user = app.user("mt.https", "30883").role("nhap_lieu").create().await;
    let config = danvan::config::AppConfig { secure_cookies: true, ..danvan::config::AppConfig::for_tests() };
    let state = danvan::server::state(common::app_pool(&app.database).await, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    common::serve_in_background(listener, state);
    let response = app
        .new_client()
        .post(format!("{address}/profile/tokens/999/revoke"))
        .header("cookie", session_cookie(&app, user).await)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or("").to_owned()).collect();
    let flash = cookies.iter().find(|c| c.starts_with(danvan::auth::FLASH_COOKIE)).expect("a flash cookie");
    assert!(flash.contains("; Secure"), "{flash}");
    assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("private, no-store"));
}

#[tokio::test]
async fn the_demo_never_lands_in_a_deployment_with_real_accounts() {
    let app = TestApp::spawn().await;
    app.user("that.su", "91").role("quan_tri").create().await;
    danvan::demo::load(&app.pool).await.expect("demo load answers");
    let accounts: Vec<String> =
        sqlx::query_scalar("SELECT username FROM users ORDER BY username").fetch_all(&app.pool).await.expect("q");
    assert_eq!(accounts, vec!["that.su".to_owned()], "no demo account with the published password");
}

#[tokio::test]
async fn the_audit_filter_treats_wildcards_as_text() {
    let app = TestApp::spawn().await;
    let admin = app.user("kg.audit", "91").role("quan_tri").signed_in().await;
    // "%" would match every actor if it were a LIKE wildcard.
    let (status, page) = text(admin.get(app.url("/admin/audit?user=%25")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<td>kg.audit"), "no actor is named “%”");
    let (status, page) = text(admin.get(app.url("/admin/audit?user=kg.au")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<td>kg.audit"), "a plain part of the name still finds it");
}

/// Logs `username` in and returns the client with the notice given at sign-in, if any (the
/// flash shown on the next page).
async fn sign_in_notice(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = app.client_for(username).await;
    let (_, page) = app.get_as(&client, "/profile").await;
    let notice = page
        .split("<p class=\"flash info\" role=\"status\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or("")
        .to_owned();
    (client, notice)
}

#[tokio::test]
async fn an_account_of_a_dissolved_district_is_told_there_is_no_successor() {
    let app = TestApp::spawn().await;
    app.user("ct.nhaplieu", "905").role("nhap_lieu").create().await;
    app.user("kg.nhaplieu", "91").on("2025-07-01").role("nhap_lieu").create().await;
    let expected = "Huyện Châu Thành đã kết thúc hoạt động từ 01/07/2025 (không có đơn vị kế thừa); \
                    đề nghị quản trị viên chuyển tài khoản sang đơn vị mới.";
    let (client, notice) = sign_in_notice(&app, "ct.nhaplieu").await;
    assert_eq!(notice, expected, "told at sign-in");
    let (status, home) = text(client.get(app.url("/")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(home.contains("Đơn vị của tài khoản đã kết thúc hoạt động"), "{home:.3000}");
    assert!(home.contains(expected), "told on the home page");
    // An account of a unit that exists today is told nothing.
    let (client, notice) = sign_in_notice(&app, "kg.nhaplieu").await;
    assert_eq!(notice, "");
    let (_, home) = text(client.get(app.url("/")).send().await.expect("GET")).await;
    assert!(!home.contains("đã kết thúc hoạt động"));
}

#[tokio::test]
async fn an_account_of_an_old_commune_is_told_its_successor_until_an_administrator_moves_it() {
    let app = TestApp::spawn().await;
    let id = app.user("mta.nhaplieu", "30883").role("nhap_lieu").create().await;
    app.user("tw.quantri", "TW").role("quan_tri").create().await;
    let (client, notice) = sign_in_notice(&app, "mta.nhaplieu").await;
    assert!(
        notice.starts_with(
            "Xã Mong Thọ A đã kết thúc hoạt động từ 01/07/2025; đơn vị kế thừa là Xã Thạnh Lộc (mã 30886)."
        ),
        "{notice}"
    );
    let (_, home) = text(client.get(app.url("/")).send().await.expect("GET")).await;
    assert!(home.contains("đơn vị kế thừa là Xã Thạnh Lộc (mã 30886)"), "home page");
    assert!(home.contains("/units/30886?date="), "a link to the successor");

    let admin = app.client_for("tw.quantri").await;
    let (status, form) = text(admin.get(app.url(&format!("/admin/users/{id}"))).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    assert!(form.contains("Đơn vị của tài khoản này không còn: Xã Mong Thọ A"), "the administrator is told too");
    // 30886 today is Xã Thạnh Lộc (before the reform the code was Xã Mong Thọ B).
    let response = admin
        .post(app.url(&format!("/admin/users/{id}")))
        .form(&[
            ("full_name", "Người thử mta.nhaplieu"),
            ("unit_code", "30886"),
            ("as_of", ""),
            ("roles", "nhap_lieu"),
            ("active", "1"),
            ("version", "1"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let (name, from): (String, Option<chrono::NaiveDate>) =
        sqlx::query_as("SELECT n.name, n.valid_from FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("query");
    assert_eq!((name.as_str(), from), ("Xã Thạnh Lộc", chrono::NaiveDate::from_ymd_opt(2025, 7, 1)));

    // The same session now belongs to the new commune: no notice, and its office in the header.
    let (_, home) = text(client.get(app.url("/")).send().await.expect("GET")).await;
    assert!(!home.contains("đã kết thúc hoạt động"), "the notice is gone");
    assert!(home.contains("<span class=\"brand-office\">Đảng ủy xã Thạnh Lộc</span>"), "{home:.1500}");
    let (_, form) = text(admin.get(app.url(&format!("/admin/users/{id}"))).send().await.expect("GET")).await;
    assert!(!form.contains("Đơn vị của tài khoản này không còn"));
    let (_, notice) = sign_in_notice(&app, "mta.nhaplieu").await;
    assert_eq!(notice, "", "nothing to tell at the next sign-in");
}

#[tokio::test]
async fn the_header_names_the_office_of_the_users_unit_today() {
    let app = TestApp::spawn().await;
    app.user("mhh.nhaplieu", "30313").on("2025-07-01").role("nhap_lieu").create().await;
    app.user("ag.lanhdao", "91").on("2025-07-01").role("lanh_dao").create().await;
    app.user("tw.quantri", "TW").role("quan_tri").create().await;
    let header = |page: &str| {
        page.split("<span class=\"brand-office\">")
            .nth(1)
            .and_then(|r| r.split("</span>").next())
            .unwrap_or("")
            .to_owned()
    };
    let commune = app.client_for("mhh.nhaplieu").await;
    let (_, page) = text(commune.get(app.url("/about")).send().await.expect("GET")).await;
    assert_eq!(header(&page), "Đảng ủy xã Mỹ Hòa Hưng");
    let province = app.client_for("ag.lanhdao").await;
    let (_, page) = text(province.get(app.url("/about")).send().await.expect("GET")).await;
    assert_eq!(header(&page), "Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang");
    let admin = app.client_for("tw.quantri").await;
    let (_, page) = text(admin.get(app.url("/about")).send().await.expect("GET")).await;
    assert_eq!(header(&page), "Ban Dân vận Tỉnh ủy (thử nghiệm)", "a national account keeps the configured name");

    // An office recorded by an administrator shows at once.
    let response = admin
        .post(app.url("/admin/offices"))
        .form(&[
            ("unit_code", "30313"),
            ("as_of", "2025-07-01"),
            ("valid_from", "2025-07-01"),
            ("superior", "ĐẢNG BỘ TỈNH AN GIANG"),
            ("name", "ĐẢNG ỦY XÃ MỸ HÒA HƯNG"),
            ("symbol", "ĐU"),
            ("display_name", "Ban Xây dựng Đảng, Đảng ủy xã Mỹ Hòa Hưng"),
            ("recipients", "Ban Tuyên giáo và Dân vận Tỉnh ủy\nLưu Văn phòng Đảng ủy."),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let (_, page) = text(commune.get(app.url("/about")).send().await.expect("GET")).await;
    assert_eq!(header(&page), "Ban Xây dựng Đảng, Đảng ủy xã Mỹ Hòa Hưng");
}

/// Two administrators creating the same username at once: one account is made and the other
/// person is told next to the field (422, input kept), never a 500. The unique index decides,
/// not a read before the insert (the password is hashed in between: a wide window).
#[tokio::test]
async fn a_username_taken_meanwhile_is_refused_next_to_its_field() {
    let app = TestApp::spawn().await;
    let client = app.user("tw.admin", "TW").role("quan_tri").signed_in().await;
    let create = |username: String, full_name: &'static str| {
        client
            .post(app.url("/admin/users"))
            .form(&[
                ("username", username.as_str()),
                ("full_name", full_name),
                ("unit_code", "30883"),
                ("as_of", "2020-12-31"),
                ("roles", "nhap_lieu"),
                ("password", "mot-mat-khau-dai"),
            ])
            .send()
    };
    for round in 0..3 {
        let username = format!("trung.ten{round}");
        let (a, b) = tokio::join!(create(username.clone(), "Người A"), create(username.clone(), "Người B"));
        let mut answers = [text(a.expect("POST")).await, text(b.expect("POST")).await];
        answers.sort_by_key(|(status, _)| *status);
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        assert_eq!(statuses, [303, 422], "round {round}: one is created, the other is told");
        let page = &answers[1].1;
        assert!(page.contains("Tên đăng nhập này đã có người dùng."), "round {round}: {page}");
        assert!(page.contains(r#"id="username-error""#), "next to the username field");
        assert!(page.contains(&format!(r#"value="{username}""#)), "the input is kept");
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = $1")
            .bind(&username)
            .fetch_one(&app.pool)
            .await
            .expect("count");
        assert_eq!(count, 1);
    }
    // Later, one at a time: the same answer.
    let (status, page) = text(create("trung.ten0".to_owned(), "Người C").await.expect("POST")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Tên đăng nhập này đã có người dùng."));
    assert!(page.contains("Người C"), "the input is kept");
}
