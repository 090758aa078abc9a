//! The connection pool, migrations, and the private PostgreSQL cluster the app owns when no
//! `DATABASE_URL` is given.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// Migrations are compiled into the binary so a deployment needs nothing but the executable.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database name used inside the private cluster.
const LOCAL_DATABASE: &str = "danvan";
const LOCAL_ROLE: &str = "danvan";

/// Where the app's data lives: either an existing server (`DATABASE_URL`) or a private cluster
/// inside the data directory.
pub enum Database {
    External { options: Box<PgConnectOptions> },
    Local(LocalCluster),
}

impl Database {
    /// Picks the database the settings ask for, starting the private cluster if needed.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        match database_url {
            Some(url) if !url.trim().is_empty() => {
                let options = PgConnectOptions::from_str(url)
                    .context("DATABASE_URL không hợp lệ / DATABASE_URL is not a valid PostgreSQL URL")?;
                create_database_if_missing(&options).await?;
                Ok(Database::External { options: Box::new(options) })
            }
            _ => {
                let cluster = LocalCluster::ensure_running(data_dir)?;
                let admin = cluster.connect_options("postgres");
                create_database_if_missing(&admin.database(LOCAL_DATABASE)).await?;
                Ok(Database::Local(cluster))
            }
        }
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        match self {
            Database::External { options } => (**options).clone(),
            Database::Local(cluster) => cluster.connect_options(LOCAL_DATABASE),
        }
    }

    /// A short human description for the start-up log (never includes a password).
    pub fn describe(&self) -> String {
        match self {
            Database::External { options } => format!(
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

    /// Stops the private cluster if this process started it.
    pub fn shutdown(self) {
        if let Database::Local(cluster) = self {
            cluster.stop_if_owned();
        }
    }
}

pub async fn pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            options
                .log_statements(tracing::log::LevelFilter::Debug)
                .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(1)),
        )
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")?;
    Ok(pool)
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("áp dụng migration thất bại / migrations failed")
}

async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options.get_database().map(str::to_owned).unwrap_or_else(|| options.get_username().to_owned());
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?;
    if !exists {
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
pub struct LocalCluster {
    pgdata: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    started_here: bool,
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
        let mut cluster = LocalCluster { pgdata, bin_dir, run_as, started_here: false };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if !cluster.is_running() {
            cluster.start()?;
            cluster.started_here = true;
        }
        Ok(cluster)
    }

    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().host(&self.pgdata.to_string_lossy()).port(5432).username(LOCAL_ROLE).database(database)
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

    fn is_running(&self) -> bool {
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

    fn start(&self) -> anyhow::Result<()> {
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

    /// Stops the cluster if this process started it; a cluster another `danvan` process
    /// started stays up for that process.
    pub fn stop_if_owned(&self) {
        if !self.started_here {
            return;
        }
        let result = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "fast", "-w"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Err(error) = result {
            tracing::warn!(%error, "không dừng được cụm PostgreSQL");
        }
    }
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
