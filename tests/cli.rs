//! The real binary: `serve` on the private cluster in a data directory (also as root),
//! graceful shutdown, a second command beside a running server, `DATABASE_URL`, and the
//! message when PostgreSQL is missing.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_danvan");

struct Server {
    child: Child,
    url: String,
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    // A failed assertion must not leave a server (and its cluster) running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).ok();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            self.child.kill().ok();
        }
    }
}

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("danvan-cli-").tempdir().expect("temporary directory");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn danvan(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.env_remove("DATABASE_URL").env("DANVAN_DATA_DIR", data_dir).env("DANVAN_LOG", "info");
    command
}

/// Starts `danvan serve` on a free port and waits for the start-up line with its URL.
fn start(data_dir: &Path, extra: &[&str]) -> Server {
    let mut child = danvan(data_dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn danvan serve");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = output.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(mut lines) = lines.lock() {
                lines.push(line.clone());
            }
            if let Some(start) = line.find("http://127.0.0.1:") {
                let url: String = line[start..].chars().take_while(|c| !c.is_whitespace()).collect();
                sender.send(url.trim_end_matches('/').to_owned()).ok();
            }
        }
    });
    let url = receiver.recv_timeout(Duration::from_secs(300)).expect("start-up line with the URL");
    Server { child, url, output }
}

fn stop(mut server: Server) -> Vec<String> {
    let pid = nix::unistd::Pid::from_raw(server.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "danvan exited with {status}");
            std::thread::sleep(Duration::from_millis(200));
            return server.output.lock().map(|lines| lines.clone()).unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "danvan did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("GET");
    (response.status().as_u16(), response.text().await.expect("body"))
}

/// A client signed in through the login form.
async fn signed_in(server: &Server, username: &str, password: &str) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let response = client
        .post(format!("{}/login", server.url))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200, "login follows the redirect to a page");
    let page = response.text().await.expect("body");
    assert!(!page.contains("name=\"password\""), "{username} signed in");
    client
}

async fn get_with(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.expect("GET");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn serve_owns_a_private_cluster_and_stops_it_cleanly() {
    let dir = data_dir();
    let server = start(dir.path(), &["--demo"]);
    assert_eq!(get(&format!("{}/healthz", server.url)).await, (200, "ok".to_owned()));
    let leader = signed_in(&server, "tinh.lanhdao", danvan::demo::DEMO_PASSWORD).await;
    let (status, page) = get_with(&leader, format!("{}/units?q=duc+trong", server.url)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Huyện Đức Trọng") && page.contains("Xã Đức Trọng"));
    assert!(page.contains("Ban Tuyên giáo và Dân vận"), "demo office name in the header");

    let pgdata = dir.path().join("pg");
    assert!(pgdata.join("PG_VERSION").exists(), "cluster inside the data directory");
    let conf = std::fs::read_to_string(pgdata.join("postmaster.opts")).expect("postmaster.opts");
    assert!(conf.contains("listen_addresses="), "no TCP listener: {conf}");
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(&pgdata).expect("metadata").uid();
        assert_ne!(owner, 0, "as root, the cluster belongs to the postgres user");
    }

    // A second command on the same data directory uses the running cluster.
    let output = danvan(dir.path()).arg("migrate").output().expect("danvan migrate");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(get(&format!("{}/healthz", server.url)).await.0, 200, "server still up");

    stop(server);
    assert!(!pgdata.join("postmaster.pid").exists(), "cluster stopped on exit");

    // The next start reuses the cluster and its data.
    let server = start(dir.path(), &[]);
    let leader = signed_in(&server, "tinh.lanhdao", danvan::demo::DEMO_PASSWORD).await;
    let (_, page) = get_with(&leader, format!("{}/units/91?date=2020-12-31", server.url)).await;
    assert!(page.contains("Tỉnh Kiên Giang"));
    stop(server);
    assert!(!pgdata.join("postmaster.pid").exists());
}

/// A `DATABASE_URL` for database `name` on the test server.
fn database_url(name: &str) -> String {
    let options = common::server_options();
    match options.get_host() {
        host if host.starts_with('/') => {
            format!("postgres://{}@localhost:{}/{name}?host={host}", options.get_username(), options.get_port())
        }
        _ => {
            let from_env = std::env::var("DATABASE_URL").expect("DATABASE_URL for a TCP test server");
            let base = from_env.rsplit_once('/').map(|(base, _)| base.to_owned()).unwrap_or(from_env);
            format!("{base}/{name}")
        }
    }
}

#[tokio::test]
async fn database_url_is_used_and_its_database_created_when_missing() {
    let options = common::server_options();
    let name = format!("danvan_cli_{}", std::process::id());
    let url = database_url(&name);
    let dir = data_dir();
    let output = danvan(dir.path()).env("DATABASE_URL", &url).arg("migrate").output().expect("danvan migrate");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!dir.path().join("pg").exists(), "no private cluster when DATABASE_URL is set");
    let pool = danvan::db::pool(options.database(&name), 1).await.expect("the database was created");
    let units: i64 = sqlx::query_scalar("SELECT count(*) FROM units").fetch_one(&pool).await.expect("count");
    assert!(units > 13_000);
}

#[tokio::test]
async fn missing_postgresql_is_one_clear_line() {
    let dir = data_dir();
    let output =
        danvan(dir.path()).env("DANVAN_PG_BIN", dir.path().join("khong-co")).arg("migrate").output().expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("apt-get install postgresql") && lines[0].contains("DATABASE_URL"));
    assert!(lines[0].contains("Không tìm thấy PostgreSQL"));
}

/// `danvan import FILE`: the operator imports into any unit (province, district, commune),
/// audited as the command line; a file with one wrong row changes nothing, names the row and
/// exits 1; the same file again changes nothing.
#[tokio::test]
async fn the_operator_imports_a_file_for_every_unit_all_or_nothing() {
    let options = common::fresh_database().await;
    let name = options.get_database().unwrap_or_default().to_owned();
    let pool = danvan::db::pool(options, 2).await.expect("pool");
    danvan::demo::load(&pool).await.expect("demo data");
    let dir = data_dir();
    let import = |file: &str, content: &str| {
        let path = dir.path().join(file);
        std::fs::write(&path, content).expect("write the file");
        danvan(dir.path()).env("DATABASE_URL", database_url(&name)).arg("import").arg(&path).output().expect("run")
    };
    let db = &pool;
    let state = move || async move {
        let rows: Vec<(String, i32, Option<i32>, String, danvan::figures::Decimal)> = sqlx::query_as(
            "SELECT u.code, r.version, r.updated_by, v.element_code || '.' || v.organisation_code, v.value
             FROM reports r JOIN units u ON u.id = r.unit_id JOIN report_values v ON v.report_id = r.id
             WHERE r.year = 2017 ORDER BY 1, 4",
        )
        .fetch_all(db)
        .await
        .expect("state");
        rows
    };

    // 2017 has no reports in the demo: the province's, a district's and a commune's are created.
    let good = "unit_code,period,element_code,organisation,value\n\
                91,2017-Q1,TD_DINH_KY,,3\n\
                905,2017-Q1,TD_DINH_KY,,5\n\
                30883,2017-Q1,TD_DINH_KY,,12\n\
                30883,2017-Q1,CB_MTDT_TONG,HND,1.234\n";
    let output = import("so-lieu.csv", good);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Đã nhập 4 giá trị vào 3 báo cáo; 0 giá trị trùng"), "{stdout}");
    let imported = state().await;
    let value = |code: &str, key: &str| {
        imported.iter().find(|r| r.0 == code && r.3 == key).map(|r| (r.1, r.2, r.4)).expect("value imported")
    };
    use danvan::figures::Decimal;
    assert_eq!(value("91", "TD_DINH_KY."), (1, None, Decimal::from(3)), "new draft, no account");
    assert_eq!(value("905", "TD_DINH_KY."), (1, None, Decimal::from(5)));
    assert_eq!(value("30883", "CB_MTDT_TONG.HND"), (1, None, Decimal::from(1234)));
    let statuses: Vec<String> = sqlx::query_scalar("SELECT DISTINCT status FROM reports WHERE year = 2017")
        .fetch_all(&pool)
        .await
        .expect("statuses");
    assert_eq!(statuses, ["nhap"]);
    let audited: Vec<(Option<i32>, String, String)> = sqlx::query_as(
        "SELECT actor_id, actor_name, client FROM audit_log WHERE action = 'import' AND entity = 'report'",
    )
    .fetch_all(&pool)
    .await
    .expect("audit");
    assert_eq!(audited.len(), 3, "one entry a report");
    assert!(
        audited.iter().all(|a| *a == (None, "cli".to_owned(), "danvan import so-lieu.csv".to_owned())),
        "{audited:?}"
    );

    // One wrong row: nothing changes, the row is named, exit 1.
    let bad = "unit_code,period,element_code,organisation,value\n\
               91,2017-Q1,TD_DINH_KY,,4\n\
               30883,2017-Q1,TD_DINH_KY,,245.00\n";
    let output = import("sai.csv", bad);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Dòng 3: giá trị “245.00” không hợp lệ"), "{stderr}");
    assert!(stderr.contains("Không nhập dòng nào: tệp có 1 lỗi"), "{stderr}");
    assert!(!stderr.contains("Dòng 2"), "the good row is no error: {stderr}");
    assert_eq!(state().await, imported, "nothing imported");

    // The first file again: every value equals what is stored.
    let output = import("so-lieu.csv", good);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Đã nhập 0 giá trị vào 0 báo cáo; 4 giá trị trùng"), "{stdout}");
    assert_eq!(state().await, imported);
    pool.close().await;
}
