//! The connection pool, migrations, and the private PostgreSQL cluster the app owns when no
//! `DATABASE_URL` is given.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// Migrations are compiled into the binary so a deployment needs nothing but the executable.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database name used inside the private cluster.
const LOCAL_DATABASE: &str = "danvan";
const LOCAL_ROLE: &str = "danvan";
/// The role the web server connects as on the private cluster: it owns nothing, may read and
/// write the app's tables, and may only INSERT and SELECT the audit log (see [`grant_app_role`]).
pub const LOCAL_APP_ROLE: &str = "danvan_app";

/// What a pool is for; it decides how long one statement may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolPurpose {
    /// Requests of the web server: every statement ends within [`REQUEST_STATEMENT_TIMEOUT`],
    /// and a connection is waited for at most [`REQUEST_ACQUIRE_TIMEOUT`] (then 503).
    Requests,
    /// Operator commands (migrate, synth, user, backups): no statement timeout.
    Maintenance,
}

/// Longest a statement of a web request may run. Shorter than the 30 s request timeout, so
/// that the database stops the work of a request the HTTP layer has given up on.
pub const REQUEST_STATEMENT_TIMEOUT: Duration = Duration::from_secs(25);
/// Longest a web request waits for a database connection before answering 503: short, so that
/// while PostgreSQL is unreachable every route answers within about two seconds.
pub const REQUEST_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Where the app's data lives: either an existing server (`DATABASE_URL`) or a private cluster
/// inside the data directory.
pub enum Database {
    /// `options`: what the web server connects with (`DATABASE_URL`); `owner`: the role that owns
    /// the tables and runs migrations (`DANVAN_DATABASE_OWNER_URL`), when the operator split them.
    External {
        options: Box<PgConnectOptions>,
        owner: Option<Box<PgConnectOptions>>,
    },
    Local(LocalCluster),
}

impl Database {
    /// Picks the database the settings ask for, starting the private cluster if needed.
    pub async fn open(database_url: Option<&str>, owner_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        match database_url {
            Some(url) if !url.trim().is_empty() => {
                let options = PgConnectOptions::from_str(url)
                    .context("DATABASE_URL không hợp lệ / DATABASE_URL is not a valid PostgreSQL URL")?;
                let owner = match owner_url.filter(|u| !u.trim().is_empty()) {
                    Some(url) => Some(Box::new(PgConnectOptions::from_str(url).context(
                        "DANVAN_DATABASE_OWNER_URL không hợp lệ / DANVAN_DATABASE_OWNER_URL is not a valid PostgreSQL URL",
                    )?)),
                    None => None,
                };
                create_database_if_missing(owner.as_deref().unwrap_or(&options)).await?;
                Ok(Database::External { options: Box::new(options), owner })
            }
            _ => {
                let cluster = LocalCluster::ensure_running(data_dir)?;
                let admin = cluster.connect_options("postgres");
                create_database_if_missing(&admin.database(LOCAL_DATABASE)).await?;
                Ok(Database::Local(cluster))
            }
        }
    }

    /// The owner's connection: migrations, reference data and operator commands.
    pub fn connect_options(&self) -> PgConnectOptions {
        match self {
            Database::External { options, owner } => (**owner.as_ref().unwrap_or(options)).clone(),
            Database::Local(cluster) => cluster.connect_options(LOCAL_DATABASE),
        }
    }

    /// The web server's connection: the restricted role where there is one.
    pub fn app_connect_options(&self) -> PgConnectOptions {
        match self {
            Database::External { options, .. } => (**options).clone(),
            Database::Local(cluster) => cluster.app_connect_options(LOCAL_DATABASE),
        }
    }

    /// The restricted role to grant after migrations, and whether danvan makes it itself:
    /// always on the private cluster; with `DATABASE_URL` only when an owner URL is set apart.
    pub fn app_role(&self) -> Option<(String, bool)> {
        match self {
            Database::External { owner: Some(_), options } => Some((options.get_username().to_owned(), false)),
            Database::External { owner: None, .. } => None,
            Database::Local(_) => Some((LOCAL_APP_ROLE.to_owned(), true)),
        }
    }

    /// A short human description for the start-up log (never includes a password).
    pub fn describe(&self) -> String {
        match self {
            Database::External { options, .. } => format!(
                "PostgreSQL tại {}:{} / cơ sở dữ liệu {}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("(mặc định)")
            ),
            Database::Local(cluster) => {
                format!("cụm PostgreSQL riêng tại {}", cluster.pgdata.display())
            }
        }
    }

    /// The private cluster, when this deployment owns one (no `DATABASE_URL`).
    pub fn local_cluster(&self) -> Option<&LocalCluster> {
        match self {
            Database::Local(cluster) => Some(cluster),
            Database::External { .. } => None,
        }
    }

    /// Stops the private cluster if this process started it.
    pub fn shutdown(self) {
        if let Database::Local(cluster) = self {
            cluster.stop_if_owned();
        }
    }
}

/// A maintenance pool (no statement timeout): migrations, reference data, CLI commands.
pub async fn pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    pool_for(options, max_connections, PoolPurpose::Maintenance).await
}

/// A pool whose statements are bounded as `purpose` says. A request pool connects lazily
/// after the first connection, so the app starts, and keeps answering 503, while PostgreSQL
/// is away, and reconnects by itself when it is back.
pub async fn pool_for(options: PgConnectOptions, max_connections: u32, purpose: PoolPurpose) -> anyhow::Result<PgPool> {
    pool_options(max_connections, purpose)
        .connect_with(connect_options_for(options, purpose))
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")
}

/// The pool settings of `purpose` (see [`pool_for`]).
pub fn pool_options(max_connections: u32, purpose: PoolPurpose) -> PgPoolOptions {
    let builder = PgPoolOptions::new().max_connections(max_connections);
    match purpose {
        // Each acquisition's wait, at TRACE, feeds the metrics' acquire-time histogram.
        PoolPurpose::Requests => {
            builder.acquire_timeout(REQUEST_ACQUIRE_TIMEOUT).acquire_time_level(tracing::log::LevelFilter::Trace)
        }
        PoolPurpose::Maintenance => builder.acquire_timeout(Duration::from_secs(30)),
    }
}

/// The session settings of `purpose` (see [`pool_for`]).
pub fn connect_options_for(options: PgConnectOptions, purpose: PoolPurpose) -> PgConnectOptions {
    let options = options
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(1));
    match purpose {
        PoolPurpose::Requests => {
            let timeout = format!("{}ms", REQUEST_STATEMENT_TIMEOUT.as_millis());
            options.options([
                ("statement_timeout", timeout.as_str()),
                ("lock_timeout", "10s"),
                ("idle_in_transaction_session_timeout", "60s"),
            ])
        }
        PoolPurpose::Maintenance => options,
    }
}

/// [`pool_for`] `Requests` whose server processes run at `niceness`: each new connection asks
/// PostgreSQL for its process id and lowers that process's priority, as
/// [`crate::server::lower_thread_priority`] does for the server's reading threads. Only for the
/// private cluster, whose processes run on this machine under this user (or one root may
/// renice): a process id from another machine would name an unrelated local process. A
/// refusal only costs the preference, so it is logged, not fatal.
pub async fn niced_request_pool(
    options: PgConnectOptions,
    max_connections: u32,
    niceness: i32,
) -> anyhow::Result<PgPool> {
    pool_options(max_connections, PoolPurpose::Requests)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                let pid =
                    sqlx::query_scalar!(r#"SELECT pg_backend_pid() AS "pid!""#).fetch_one(&mut *connection).await?;
                crate::server::lower_process_priority(pid, niceness);
                Ok(())
            })
        })
        .connect_with(connect_options_for(options, PoolPurpose::Requests))
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")
}

/// Gives `role` what the web server needs and nothing more: read and write the app's tables
/// and sequences, but only INSERT and SELECT on the audit log and only SELECT on the migration
/// history. The tables stay owned by the migrating role, so the server's role cannot disable
/// the audit log's triggers, drop them, or switch `session_replication_role` (superuser only).
/// Run after every migration (idempotent): tables added later get their grants too.
/// With `create`, the role is made first if missing (the private cluster; trust over the
/// socket, so no password).
pub async fn grant_app_role(pool: &PgPool, role: &str, create: bool) -> anyhow::Result<()> {
    let quoted = quote_ident(role);
    if create {
        let exists =
            sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS "exists!""#, role)
                .fetch_one(pool)
                .await?;
        if !exists {
            // Dynamic: DDL naming the role, which cannot be a parameter.
            let statement = format!("CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION");
            if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await {
                // Another process (or a test) may have made it at the same instant.
                let raced =
                    error.as_database_error().and_then(|e| e.code()).is_some_and(|c| c == "42710" || c == "23505");
                if !raced {
                    return Err(error).context("không tạo được vai trò cơ sở dữ liệu của máy chủ web");
                }
            }
        }
    }
    let database = sqlx::query_scalar!(r#"SELECT current_database() AS "database!""#).fetch_one(pool).await?;
    // Dynamic: identifiers cannot be bound as parameters; both are quoted.
    let statements = [
        format!("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {quoted}", quote_ident(&database)),
        format!("GRANT USAGE ON SCHEMA public TO {quoted}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"),
        format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}"),
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON _sqlx_migrations FROM {quoted}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {quoted}"),
    ];
    let mut tx = pool.begin().await?;
    // Concurrent GRANTs on the same objects can fail with "tuple concurrently updated".
    sqlx::query!("SELECT pg_advisory_xact_lock(7294100)").execute(&mut *tx).await?;
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .context("không cấp được quyền cho vai trò của máy chủ web")?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("áp dụng migration thất bại / migrations failed")
}

async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options.get_database().map(str::to_owned).unwrap_or_else(|| options.get_username().to_owned());
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")?;
    let exists =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#, name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        // Dynamic: DDL naming the database, which cannot be a parameter.
        let statement = format!("CREATE DATABASE {}", quote_ident(&name));
        if let Err(error) = sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await {
            // Two processes may race to create it; losing the race is fine.
            let raced =
                error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "42P04" || code == "23505");
            if !raced {
                return Err(error).context("không tạo được cơ sở dữ liệu / cannot create database");
            }
        }
    }
    admin.close().await.ok();
    Ok(())
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A PostgreSQL cluster in `<data dir>/pg`, reachable only through a Unix socket in that
/// directory. When the process runs as root, the cluster runs as the `postgres` system user
/// (PostgreSQL refuses to run as root).
///
/// Clones share one [`ClusterState`]: the watchdog of `danvan serve` (src/operations/watchdog.rs)
/// holds a clone, and whichever clone stops the cluster stops the watchdog's restarts first.
#[derive(Clone)]
pub struct LocalCluster {
    pgdata: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    state: Arc<ClusterState>,
}

/// What the clones of one [`LocalCluster`] of this process share.
#[derive(Default)]
struct ClusterState {
    /// This process started the postmaster that runs now (at start-up or by a restart), so it
    /// stops it on exit.
    started_here: AtomicBool,
    /// Set once the process stops the cluster: no restart after that.
    stopping: AtomicBool,
    /// Held while this process starts or stops the cluster, so a restart never overlaps the
    /// stop at exit.
    control: std::sync::Mutex<()>,
}

/// What [`LocalCluster::restart_if_down`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// The postmaster was running (or someone else started it first): nothing done.
    AlreadyRunning,
    /// This process started it again (crash recovery included).
    Restarted,
    /// The process is stopping the cluster: it must stay down.
    Stopping,
}

impl LocalCluster {
    pub fn ensure_running(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_postgres_binaries().ok_or_else(|| {
            anyhow!(
                "Không tìm thấy PostgreSQL: hãy cài `apt-get install postgresql` hoặc đặt DATABASE_URL. \
                 / PostgreSQL server binaries not found: run `apt-get install postgresql` or set DATABASE_URL."
            )
        })?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("không tạo được thư mục dữ liệu {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize().with_context(|| format!("thư mục dữ liệu {}", data_dir.display()))?;
        let pgdata = data_dir.join("pg");
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")?.ok_or_else(|| {
                anyhow!(
                    "Chạy với quyền root cần người dùng hệ thống `postgres` (apt-get install postgresql). \
                     / Running as root needs the `postgres` system user."
                )
            })?;
            make_traversable(&data_dir)?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        let cluster = LocalCluster { pgdata, bin_dir, run_as, state: Arc::default() };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if !cluster.is_running() {
            cluster.start()?;
            cluster.state.started_here.store(true, Ordering::SeqCst);
        }
        Ok(cluster)
    }

    /// Whether `data_dir` already holds a private cluster (without creating or starting one).
    pub fn exists_in(data_dir: &Path) -> bool {
        data_dir.join("pg").join("PG_VERSION").is_file()
    }

    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// Connects as the cluster's owner role (migrations, operator commands).
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().host(&self.pgdata.to_string_lossy()).port(5432).username(LOCAL_ROLE).database(database)
    }

    /// Connects as the web server's restricted role ([`LOCAL_APP_ROLE`]).
    pub fn app_connect_options(&self, database: &str) -> PgConnectOptions {
        self.connect_options(database).username(LOCAL_APP_ROLE)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
            command.env("HOME", &self.pgdata);
        }
        command.env_remove("PGDATA").env_remove("PGHOST").env_remove("PGPORT");
        command.current_dir(self.pgdata.parent().unwrap_or(Path::new("/")));
        command
    }

    fn init(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.pgdata)?;
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(
                &self.pgdata,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            )
            .context("không đổi được chủ sở hữu thư mục cụm PostgreSQL")?;
        }
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-U", LOCAL_ROLE, "-E", "UTF8", "--locale=C.UTF-8"])
            .args(["--auth-local=trust", "--auth-host=reject", "--no-instructions"])
            .stdin(Stdio::null())
            .output()
            .context("không chạy được initdb")?;
        if !output.status.success() {
            bail!("initdb thất bại / initdb failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(())
    }

    /// Whether the cluster's postmaster answers `pg_ctl status`.
    pub fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|status| status.success())
            .unwrap_or(false)
    }

    /// Whether the postmaster named in `postmaster.pid` is alive, without spawning a process
    /// (cheap enough to ask every second). A zombie (killed, not yet reaped by whoever
    /// inherited it) counts as dead. When the file cannot be read as a pid, `pg_ctl status`
    /// decides. Blocking (a file read): call it from `spawn_blocking` in async code.
    pub fn postmaster_alive(&self) -> bool {
        let text = match std::fs::read_to_string(self.pgdata.join("postmaster.pid")) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return false,
            Err(_) => return self.is_running(),
        };
        let Some(pid) = text.lines().next().and_then(|line| line.trim().parse::<i32>().ok()).filter(|p| *p > 0) else {
            return self.is_running();
        };
        match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
            Ok(()) | Err(nix::errno::Errno::EPERM) => !is_zombie(pid),
            Err(_) => false,
        }
    }

    /// Starts the cluster again if its postmaster is dead (PostgreSQL runs crash recovery on
    /// start). Losing a race with whoever else starts it at the same moment (an operator, a
    /// second `danvan` command) is no error: the cluster is then running, started by them.
    /// Never restarts once this process has begun stopping the cluster. Blocking (`pg_ctl`).
    pub fn restart_if_down(&self) -> anyhow::Result<Restart> {
        let _control = self.state.control.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.state.stopping.load(Ordering::SeqCst) {
            return Ok(Restart::Stopping);
        }
        if self.postmaster_alive() {
            return Ok(Restart::AlreadyRunning);
        }
        match self.start() {
            Ok(()) => {
                // This process started the running postmaster: it stops it on exit.
                self.state.started_here.store(true, Ordering::SeqCst);
                Ok(Restart::Restarted)
            }
            Err(_) if self.postmaster_alive() => Ok(Restart::AlreadyRunning),
            Err(error) => Err(error),
        }
    }

    /// Starts the cluster (waits until it accepts connections).
    pub fn start(&self) -> anyhow::Result<()> {
        // The socket lives inside the cluster directory (mode 0700): only its owner and root
        // can reach it, and nothing listens on TCP.
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
            self.pgdata.display()
        );
        let output = self
            .command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(&self.pgdata)
            .arg("-l")
            .arg(self.pgdata.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options])
            .stdin(Stdio::null())
            .output()
            .context("không chạy được pg_ctl")?;
        if !output.status.success() {
            let log = std::fs::read_to_string(self.pgdata.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            bail!(
                "không khởi động được PostgreSQL / PostgreSQL did not start: {} {}",
                String::from_utf8_lossy(&output.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            );
        }
        Ok(())
    }

    /// Stops the cluster at once (`pg_ctl stop -m immediate`), as a crash would: used by the
    /// outage tests, whatever process started it.
    pub fn stop_immediately(&self) -> anyhow::Result<()> {
        let status = self.pg_ctl_stop("immediate").context("không chạy được pg_ctl")?;
        if !status.success() {
            bail!("pg_ctl stop thất bại");
        }
        Ok(())
    }

    /// `pg_ctl stop -m MODE -w`, waiting until the server is down.
    fn pg_ctl_stop(&self, mode: &str) -> std::io::Result<std::process::ExitStatus> {
        self.command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", mode, "-w"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    }

    /// Stops the cluster if this process started it; a cluster another `danvan` process
    /// started stays up for that process. Either way this process restarts it no more.
    pub fn stop_if_owned(&self) {
        let _control = self.state.control.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.state.stopping.store(true, Ordering::SeqCst);
        if !self.state.started_here.load(Ordering::SeqCst) {
            return;
        }
        if let Err(error) = self.pg_ctl_stop("fast") {
            tracing::warn!(%error, "không dừng được cụm PostgreSQL");
        }
    }
}

/// Whether process `pid` is a zombie (Linux `/proc`; elsewhere never).
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        // The state follows the command name, which is in parentheses and may contain spaces.
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// The `postgres` user must be able to walk into the data directory to reach its cluster.
fn make_traversable(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(dir)?;
    let mode = metadata.permissions().mode();
    if mode & 0o001 == 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o711))?;
    }
    for ancestor in dir.ancestors().skip(1) {
        let mode = std::fs::metadata(ancestor)?.permissions().mode();
        if mode & 0o001 == 0 {
            bail!(
                "Người dùng postgres không vào được {}: cần quyền o+x. / The postgres user cannot enter {} (needs o+x).",
                ancestor.display(),
                ancestor.display()
            );
        }
    }
    Ok(())
}

/// Finds `initdb`/`pg_ctl`: `DANVAN_PG_BIN`, then Debian's versioned directories (newest
/// first), then `PATH`.
pub fn find_postgres_binaries() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    // An explicit setting is obeyed alone, so a wrong value is reported instead of hidden.
    if let Some(dir) = std::env::var_os("DANVAN_PG_BIN").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return has_tools(&dir).then_some(dir);
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    if let Some((_, bin)) = versioned.into_iter().next() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|dir| has_tools(dir)))
}
