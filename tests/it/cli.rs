//! The real binary: `serve` on the private cluster in a data directory (also as root),
//! graceful shutdown, a second command beside a running server, `DATABASE_URL`, and the
//! message when PostgreSQL is missing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

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
    // Reads and writes have their own PostgreSQL processes; those of reads yield the CPU to
    // those of writes, like the server's own threads (a sign-in is a write).
    // Relative to the server's own niceness, which the cluster inherited (the test may run niced).
    let (own, niceness) = app_backend_niceness(dir.path());
    let read = (own + i64::from(danvan::server::READ_NICENESS)).min(19);
    assert!(niceness.contains(&read) && niceness.contains(&own), "postmaster {own}, backends {niceness:?}");
    // Where the kernel has custom time slices (Linux 6.12+, shown in /proc as `se.slice`), the
    // front runtime's threads and the writes' PostgreSQL processes ask for a short one.
    if slice_of(Path::new("/proc/self")).is_some() {
        let short = Some(danvan::server::WRITE_SLICE_NS);
        let front = threads_named(server.child.id(), "danvan-front");
        assert!(!front.is_empty() && front.iter().all(|t| slice_of(t) == short), "front threads {front:?}");
        let writes = app_backends(dir.path()).into_iter().filter(|(_, nice)| *nice == own);
        let slices: Vec<Option<u64>> = writes.map(|(path, _)| slice_of(&path)).collect();
        assert!(!slices.is_empty() && slices.iter().all(|s| *s == short), "write backends {slices:?}");
    }

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

// --- issue 16: the private cluster's watchdog, backups and restores ---

/// The pid in the private cluster's `postmaster.pid`, if there is one.
fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("pg").join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// The time slice the kernel gives the thread or process at `proc_path` (`/proc/…`), if it
/// reports one.
fn slice_of(proc_path: &Path) -> Option<u64> {
    let sched = std::fs::read_to_string(proc_path.join("sched")).ok()?;
    let line = sched.lines().find(|line| line.starts_with("se.slice"))?;
    line.split(':').nth(1)?.trim().parse().ok()
}

/// The `/proc` paths of process `pid`'s threads called `name`.
fn threads_named(pid: u32, name: &str) -> Vec<std::path::PathBuf> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the server's threads");
    tasks
        .flatten()
        .map(|task| task.path())
        .filter(|path| std::fs::read_to_string(path.join("comm")).is_ok_and(|comm| comm.trim() == name))
        .collect()
}

/// The `/proc` path and niceness of each process of the private cluster in `data_dir` that
/// serves the web server's role.
fn app_backends(data_dir: &Path) -> Vec<(std::path::PathBuf, i64)> {
    let postmaster = postmaster_pid(data_dir).expect("postmaster.pid");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let path = entry.path();
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(danvan::db::LOCAL_APP_ROLE) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        if fields.get(1).and_then(|ppid| ppid.parse::<i32>().ok()) == Some(postmaster)
            && let Some(nice) = fields.get(16).and_then(|nice| nice.parse::<i64>().ok())
        {
            found.push((path, nice));
        }
    }
    found
}

/// The niceness of the private cluster's postmaster in `data_dir`, and of each of its processes
/// that serves the web server's role.
fn app_backend_niceness(data_dir: &Path) -> (i64, Vec<i64>) {
    let postmaster = postmaster_pid(data_dir).expect("postmaster.pid");
    // Fields after the command's closing parenthesis: state, ppid (4th), …, nice (19th).
    let stat = std::fs::read_to_string(format!("/proc/{postmaster}/stat")).expect("postmaster's stat");
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let own = fields.get(16).and_then(|nice| nice.parse::<i64>().ok()).expect("postmaster's niceness");
    (own, app_backends(data_dir).into_iter().map(|(_, nice)| nice).collect())
}

/// PostgreSQL's postmaster killed with SIGKILL under `danvan serve` (a crash no init system
/// sees): the app notices, logs it, starts its cluster again (crash recovery) and serves again
/// by itself, and still stops the restarted cluster on exit.
#[tokio::test]
async fn serve_starts_its_private_cluster_again_after_a_crash() {
    let dir = data_dir();
    let server = start(dir.path(), &[]);
    let health = format!("{}/healthz", server.url);
    assert_eq!(get(&health).await.0, 200);
    let (niceness_before, _) = app_backend_niceness(dir.path());
    let crashed = postmaster_pid(dir.path()).expect("postmaster.pid");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(crashed), nix::sys::signal::Signal::SIGKILL).expect("SIGKILL");

    let killed_at = Instant::now();
    loop {
        let restarted = postmaster_pid(dir.path()).is_some_and(|pid| pid != crashed);
        if restarted && get(&health).await.0 == 200 {
            break;
        }
        assert!(killed_at.elapsed() < Duration::from_secs(30), "no PostgreSQL again 30 s after the crash");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(get(&format!("{}/login", server.url)).await.0, 200, "pages are served again");
    // Restarted from a thread at the server's own priority, not from one of the reads' threads,
    // whose niceness every process of the cluster would inherit.
    let (niceness_after, _) = app_backend_niceness(dir.path());
    assert_eq!(niceness_after, niceness_before, "the restarted postmaster's niceness");

    let output = stop(server);
    let log = output.join("\n");
    assert!(log.contains("không còn chạy (postmaster đã dừng): đang khởi động lại"), "{log}");
    assert!(log.contains("đã khởi động lại cụm PostgreSQL riêng"), "{log}");
    assert!(postmaster_pid(dir.path()).is_none(), "the restarted cluster is stopped on exit");
}

/// Runs `command` to its end, with `input` on stdin.
fn run(command: &mut Command, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn danvan");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn texts(output: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The value imported below, read straight from the private cluster of `data_dir`.
async fn imported_value(data_dir: &Path) -> Option<danvan::figures::Decimal> {
    let cluster = danvan::db::LocalCluster::ensure_running(data_dir).expect("cluster");
    let pool = danvan::db::pool(cluster.connect_options("danvan"), 1).await.expect("pool");
    let value = sqlx::query_scalar(
        "SELECT v.value FROM report_values v JOIN reports r ON r.id = v.report_id JOIN units u ON u.id = r.unit_id
         WHERE u.code = '30883' AND r.year = 2016 AND v.element_code = 'TD_DINH_KY'",
    )
    .fetch_optional(&pool)
    .await
    .expect("query");
    pool.close().await;
    cluster.stop_if_owned();
    value
}

/// The outside check's journey: a backup of a running server (demo data, an account and a
/// value made just before), restored into a new data directory, where the account, the value
/// and the roll-ups are as they were; a second restore there is refused unless `--force`, which
/// says what it replaces; a damaged, foreign or missing file is refused before anything is
/// touched; a backup of nothing is refused and writes nothing.
#[tokio::test]
async fn backup_of_a_running_server_restores_into_a_new_data_directory() {
    let data = data_dir();
    let server = start(data.path(), &["--demo"]);
    let output = run(
        danvan(data.path()).args(["user", "add", "--username", "saoluu.tinh", "--name", "Người sao lưu"]).args([
            "--unit",
            "91",
            "--as-of",
            "2020-12-31",
            "--role",
            "lanh_dao",
            "--password-stdin",
        ]),
        "Mat-khau-sao-luu-2026!\n",
    );
    assert!(output.status.success(), "{:?}", texts(&output));
    let values = data.path().join("so-lieu.csv");
    std::fs::write(&values, "unit_code,period,element_code,organisation,value\n30883,2016-Q1,TD_DINH_KY,,17\n")
        .expect("write");
    let output = danvan(data.path()).arg("import").arg(&values).output().expect("import");
    assert!(output.status.success(), "{:?}", texts(&output));

    let archive = data.path().join("backup.dump");
    let output = danvan(data.path()).arg("backup").arg(&archive).output().expect("backup");
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Đã sao lưu cơ sở dữ liệu danvan"), "{stdout}");
    let summary = stdout.split_once("byte); ").map(|(_, s)| s.trim().trim_end_matches('.').to_owned()).expect("counts");
    assert!(summary.contains("tài khoản") && summary.contains("giá trị") && summary.contains("migration"), "{summary}");
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let metadata = std::fs::metadata(&archive).expect("the archive exists");
        assert_eq!(metadata.uid(), nix::unistd::geteuid().as_raw(), "owned by whoever ran the backup");
        assert_eq!(metadata.permissions().mode() & 0o077, 0, "password hashes inside: owner only");
    }
    let leftovers: Vec<String> = std::fs::read_dir(data.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(get(&format!("{}/healthz", server.url)).await.0, 200, "the server kept running");
    stop(server);
    // A stopped deployment: its cluster is started for the backup and stopped again.
    let output = danvan(data.path()).arg("backup").arg(data.path().join("stopped.dump")).output().expect("backup");
    assert!(output.status.success(), "{:?}", texts(&output));
    assert!(texts(&output).0.contains(&summary), "{:?}", texts(&output));
    assert!(postmaster_pid(data.path()).is_none(), "stopped again after the backup");

    // Into a fresh directory, as the outside check does.
    let new = data_dir();
    let output = danvan(new.path()).arg("restore").arg(&archive).output().expect("restore");
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("Đã khôi phục vào cơ sở dữ liệu danvan"), "{stdout}");
    assert!(stdout.contains(&summary), "the counts of the backup: {summary}\n{stdout}");
    assert!(stdout.contains("khớp với bản sao lưu") && stdout.contains("khớp với phiên bản này"), "{stdout}");
    assert!(postmaster_pid(new.path()).is_none(), "restore stops the cluster it started");
    let output = danvan(new.path()).args(["user", "list"]).output().expect("user list");
    assert!(output.status.success() && texts(&output).0.contains("saoluu.tinh"), "{:?}", texts(&output));
    let output = danvan(new.path()).args(["rollup", "verify"]).output().expect("rollup verify");
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(imported_value(new.path()).await, Some(danvan::figures::Decimal::from(17)));

    // The same directory again: refused, unchanged, unless --force.
    let output = danvan(new.path()).arg("restore").arg(&archive).output().expect("restore");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("Cơ sở dữ liệu danvan không trống") && stderr.contains("--force"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let output = danvan(new.path()).args(["restore", "--force"]).arg(&archive).output().expect("restore --force");
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("Sẽ thay thế cơ sở dữ liệu danvan: {summary}")), "{stdout}");
    assert!(stdout.contains("Đã khôi phục"), "{stdout}");
    let output = danvan(new.path()).args(["user", "list"]).output().expect("user list");
    assert!(texts(&output).0.contains("saoluu.tinh"));

    // Files that are no backup, refused before a cluster is even made.
    let empty = data_dir();
    let garbage = data.path().join("rac.dump");
    std::fs::write(&garbage, "đây không phải bản sao lưu\n".repeat(100)).expect("write");
    let whole = std::fs::read(&archive).expect("read");
    let truncated = data.path().join("cut.dump");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).expect("write");
    for (file, message) in [
        (garbage, "không phải bản sao lưu của danvan"),
        (truncated, "hỏng"),
        (data.path().join("khong-co.dump"), "Không có tệp sao lưu"),
        (data.path().to_owned(), "không phải là một tệp"),
    ] {
        let output = danvan(empty.path()).arg("restore").arg(&file).output().expect("restore");
        let (stdout, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(1), "{}: {stdout}{stderr}", file.display());
        assert!(stderr.contains(message), "{}: {stderr}", file.display());
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!empty.path().join("pg").exists(), "nothing made for a bad file");

    // A backup of a directory without a deployment is refused and writes nothing.
    let output = danvan(empty.path()).arg("backup").arg(empty.path().join("x.dump")).output().expect("backup");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("không có gì để sao lưu"), "{stderr}");
    assert_eq!(std::fs::read_dir(empty.path()).expect("list").count(), 0, "nothing written");
}

/// The same commands on `DATABASE_URL`: back up one database, restore into another, which is
/// created empty; a second restore needs `--force`.
#[tokio::test]
async fn backup_and_restore_through_database_url() {
    let options = common::fresh_database().await;
    let source = options.get_database().unwrap_or_default().to_owned();
    let target = format!("{source}_khoi_phuc");
    let dir = data_dir();
    let output = run(
        danvan(dir.path())
            .env("DATABASE_URL", database_url(&source))
            .args(["user", "add", "--username", "url.quantri", "--name", "Quản trị", "--unit", "TW"])
            .args(["--role", "quan_tri", "--password-stdin"]),
        "Mat-khau-url-2026!\n",
    );
    assert!(output.status.success(), "{:?}", texts(&output));
    let archive = dir.path().join("url.dump");
    let output = danvan(dir.path())
        .env("DATABASE_URL", database_url(&source))
        .arg("backup")
        .arg(&archive)
        .output()
        .expect("run");
    assert!(output.status.success(), "{:?}", texts(&output));
    assert!(!dir.path().join("pg").exists(), "no private cluster with DATABASE_URL");

    let restore = |force: bool| {
        let mut command = danvan(dir.path());
        command.env("DATABASE_URL", database_url(&target)).arg("restore").arg(&archive);
        if force {
            command.arg("--force");
        }
        command.output().expect("restore")
    };
    let output = restore(false);
    assert!(output.status.success(), "{:?}", texts(&output));
    let pool = danvan::db::pool(common::server_options().database(&target), 1).await.expect("restored database");
    let users: Vec<String> = sqlx::query_scalar("SELECT username FROM users").fetch_all(&pool).await.expect("users");
    assert_eq!(users, ["url.quantri"]);
    pool.close().await;
    let output = restore(false);
    assert_eq!(output.status.code(), Some(1), "{:?}", texts(&output));
    assert!(texts(&output).1.contains("không trống"));
    let output = restore(true);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("Sẽ thay thế cơ sở dữ liệu {target}: ")) && stdout.contains("1 tài khoản"),
        "{stdout}"
    );

    // An archive of a newer danvan (a migration this binary lacks) is refused before anything.
    let pool = danvan::db::pool(options, 1).await.expect("source");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'tuong lai', true, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .expect("a migration from the future");
    pool.close().await;
    let newer = dir.path().join("newer.dump");
    let output =
        danvan(dir.path()).env("DATABASE_URL", database_url(&source)).arg("backup").arg(&newer).output().expect("run");
    assert!(output.status.success(), "{:?}", texts(&output));
    let untouched = format!("{source}_moi_hon");
    let output = danvan(dir.path())
        .env("DATABASE_URL", database_url(&untouched))
        .arg("restore")
        .arg(&newer)
        .output()
        .expect("restore");
    assert_eq!(output.status.code(), Some(1), "{:?}", texts(&output));
    assert!(texts(&output).1.contains("migration 99999 mà phiên bản danvan này không có"), "{:?}", texts(&output));
    let admin = danvan::db::pool(common::server_options().database("postgres"), 1).await.expect("admin");
    let created: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&untouched)
        .fetch_one(&admin)
        .await
        .expect("query");
    assert!(!created, "no database made for a refused archive");
}
