//! `danvan backup FILE`: a consistent archive of a running or stopped deployment.
//!
//! The archive is `pg_dump -Fc` of the app's database, taken in one snapshot: a transaction of
//! this command exports its snapshot, counts the rows in it (the figures printed) and `pg_dump`
//! dumps exactly that snapshot, while the server keeps serving. It is written to a temporary
//! file beside FILE (mode 0600: it holds password hashes), flushed to disk and renamed, so a
//! failed backup never leaves a partial file under FILE. `pg_dump` runs as the invoking user
//! (as root too: root reaches the private cluster's socket), so FILE belongs to that user.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

use super::counts::Contents;
use super::tools::{Tool, stderr_tail};
use crate::config::GlobalOptions;
use crate::db::{Database, LocalCluster};

/// Backs up the deployment `global` describes into `file`. The private cluster is started if
/// it is stopped, and stopped again afterwards only then (see [`Database::shutdown`]).
/// Errors: no PostgreSQL client, no deployment in the data directory, a database without
/// danvan's tables, or `pg_dump` failing (its last lines are quoted).
pub async fn run(global: &GlobalOptions, file: &Path) -> anyhow::Result<()> {
    let pg_dump = Tool::find("pg_dump")?;
    let temporary = temporary_path(file)?;
    let external = global.database_url.as_deref().is_some_and(|url| !url.trim().is_empty());
    if !external && !LocalCluster::exists_in(&global.data_dir) {
        bail!(
            "Thư mục dữ liệu {} chưa có cơ sở dữ liệu của danvan: không có gì để sao lưu \
             (kiểm tra DANVAN_DATA_DIR, hoặc đặt DATABASE_URL). / No danvan database in this data directory.",
            global.data_dir.display()
        );
    }
    let database =
        Database::open(global.database_url.as_deref(), global.database_owner_url.as_deref(), &global.data_dir).await?;
    let result = backup(&database, &pg_dump, file, &temporary).await;
    if result.is_err() {
        std::fs::remove_file(&temporary).ok();
    }
    database.shutdown();
    result
}

/// `.FILE.tmp-PID` in FILE's directory: the rename at the end stays on one file system.
fn temporary_path(file: &Path) -> anyhow::Result<PathBuf> {
    let Some(name) = file.file_name() else {
        bail!("{}: cần tên tệp để ghi bản sao lưu / FILE must name a file", file.display());
    };
    if file.is_dir() {
        bail!("{} là một thư mục: cần tên tệp để ghi bản sao lưu / FILE is a directory", file.display());
    }
    let directory = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !directory.is_dir() {
        bail!("Không có thư mục {} để ghi bản sao lưu / no such directory", directory.display());
    }
    Ok(directory.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id())))
}

async fn backup(database: &Database, pg_dump: &Tool, file: &Path, temporary: &Path) -> anyhow::Result<()> {
    let options = database.connect_options();
    let name = options.get_database().unwrap_or(options.get_username()).to_owned();
    let mut conn = PgConnection::connect_with(&options)
        .await
        .context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")?;
    // The snapshot pg_dump will dump, kept open until it has finished.
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut conn).await?;
    let snapshot: String =
        sqlx::query_scalar!(r#"SELECT pg_export_snapshot() AS "snapshot!""#).fetch_one(&mut conn).await?;
    let contents = Contents::read(&mut conn).await?;
    if !contents.rows.contains_key("_sqlx_migrations") {
        bail!(
            "Cơ sở dữ liệu {name} chưa có dữ liệu của danvan (chưa chạy migration): không có gì để sao lưu. \
             / The database holds no danvan data."
        );
    }
    create_private(temporary)?;
    let mut command = pg_dump.command(&options);
    command
        .args(["--format=custom", "--quote-all-identifiers"])
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(temporary)
        .stdin(Stdio::null());
    let output = tokio::process::Command::from(command).output().await.context("không chạy được pg_dump")?;
    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.ok();
    conn.close().await.ok();
    if !output.status.success() {
        bail!("pg_dump thất bại / pg_dump failed: {}", stderr_tail(&output.stderr));
    }
    let size = publish(temporary, file)?;
    println!(
        "Đã sao lưu cơ sở dữ liệu {name} ({}) vào {}: {}; {}.",
        database.describe(),
        file.display(),
        human_size(size),
        contents.summary()
    );
    Ok(())
}

/// Creates `path` readable by its owner only; pg_dump then writes into it.
fn create_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("không tạo được tệp {}", path.display()))?;
    Ok(())
}

/// Flushes the finished archive to disk and renames it to `file`; returns its size in bytes.
fn publish(temporary: &Path, file: &Path) -> anyhow::Result<u64> {
    let written = std::fs::File::open(temporary).with_context(|| format!("không mở được {}", temporary.display()))?;
    written.sync_all().context("không ghi được bản sao lưu xuống đĩa")?;
    let size = written.metadata()?.len();
    std::fs::rename(temporary, file)
        .with_context(|| format!("không đổi tên {} thành {}", temporary.display(), file.display()))?;
    // The rename itself must survive a power cut.
    if let Some(directory) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(directory).and_then(|d| d.sync_all()).ok();
    }
    Ok(size)
}

/// "2,3 MB (2.345.678 byte)".
pub(super) fn human_size(bytes: u64) -> String {
    use crate::figures::Decimal;
    let megabytes = Decimal::from(bytes) / Decimal::from(1_000_000u32);
    format!(
        "{} MB ({} byte)",
        crate::format::decimal(megabytes, 1),
        crate::format::integer(i64::try_from(bytes).unwrap_or(i64::MAX))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_the_vietnamese_way() {
        assert_eq!(human_size(2_345_678), "2,3 MB (2.345.678 byte)");
        assert_eq!(human_size(0), "0,0 MB (0 byte)");
    }

    #[test]
    fn the_temporary_file_sits_beside_the_backup() {
        let dir = std::env::temp_dir();
        let path = temporary_path(&dir.join("sao-luu.dump")).expect("path");
        assert_eq!(path.parent(), Some(dir.as_path()));
        assert!(path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".sao-luu.dump.tmp-")));
        assert!(temporary_path(&dir).is_err(), "a directory is no file name");
        assert!(temporary_path(&dir.join("khong-co-thu-muc/x.dump")).is_err());
    }
}
