//! `danvan restore FILE [--force]`: a backup into an empty database, checked afterwards.
//!
//! 1. The archive is read to its end first ([`Archive::read`]): a missing, foreign, truncated
//!    or damaged file, or one from a newer danvan (migrations this binary lacks), is refused
//!    before any database is created or touched.
//! 2. The target is the deployment's database: the private cluster of the data directory
//!    (initialised there when the directory is new) or `DATABASE_URL`. A database holding any
//!    table is refused, unless `--force`: then what it holds is printed, and the database is
//!    dropped and created again (refused while other sessions, e.g. a running server, use it).
//! 3. `pg_restore --no-owner --no-acl` in one transaction, stopping at the first error: role
//!    names differ between clusters, and a failed restore leaves the database empty.
//! 4. Every table's rows are counted and compared with the archive's; then the normal start-up
//!    runs ([`crate::server::open`]: migrations, which apply only what the archive lacks, the
//!    unit lists, and the grants of the web server's role), and the migrations recorded must
//!    equal the ones compiled into this binary. Any difference is an error (exit 1).

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::archive::Archive;
use super::backup::human_size;
use super::counts::Contents;
use super::tools::{Tool, stderr_tail};
use crate::config::GlobalOptions;
use crate::db::{self, Database, quote_ident};

/// Restores `file` into the deployment `global` describes; `force` replaces a database that
/// is not empty. The private cluster is stopped afterwards if this command started it.
pub async fn run(global: &GlobalOptions, file: &Path, force: bool) -> anyhow::Result<()> {
    let pg_restore = Tool::find("pg_restore")?;
    let archive = {
        let (tool, path) = (pg_restore.clone(), file.to_owned());
        tokio::task::spawn_blocking(move || Archive::read(&tool, &path)).await.context("đọc tệp sao lưu")??
    };
    println!("Bản sao lưu {}: {}; {}.", archive.path.display(), human_size(archive.size), archive.contents.summary());
    let compiled: Vec<i64> =
        db::MIGRATOR.iter().filter(|m| !m.migration_type.is_down_migration()).map(|m| m.version).collect();
    let unknown: Vec<String> =
        archive.contents.migrations.iter().filter(|v| !compiled.contains(v)).map(i64::to_string).collect();
    if !unknown.is_empty() {
        bail!(
            "Bản sao lưu có migration {} mà phiên bản danvan này không có (bản sao lưu của phiên bản mới hơn): \
             hãy khôi phục bằng phiên bản danvan đã tạo ra nó. / The archive comes from a newer danvan.",
            unknown.join(", ")
        );
    }
    let database =
        Database::open(global.database_url.as_deref(), global.database_owner_url.as_deref(), &global.data_dir).await?;
    let result = restore(global, &database, &pg_restore, &archive, force).await;
    database.shutdown();
    result
}

async fn restore(
    global: &GlobalOptions,
    database: &Database,
    pg_restore: &Tool,
    archive: &Archive,
    force: bool,
) -> anyhow::Result<()> {
    let options = database.connect_options();
    let name = options.get_database().unwrap_or(options.get_username()).to_owned();
    let mut conn = connect(&options).await?;
    let existing = Contents::read(&mut conn).await?;
    if !existing.is_empty() {
        if !force {
            bail!(
                "Cơ sở dữ liệu {name} không trống ({}): không khôi phục đè lên. Thêm --force để thay thế toàn bộ \
                 bằng bản sao lưu. / The database is not empty; --force replaces it.",
                existing.summary()
            );
        }
        let others: i64 = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"#,
        )
        .fetch_one(&mut conn)
        .await?;
        if others > 0 {
            bail!(
                "Có {others} kết nối khác đang dùng cơ sở dữ liệu {name} (máy chủ danvan đang chạy?): \
                 hãy dừng máy chủ rồi khôi phục. / Other sessions use the database: stop the server first."
            );
        }
        println!("Sẽ thay thế cơ sở dữ liệu {name}: {}.", existing.summary());
        conn.close().await.ok();
        recreate(&options, &name).await?;
    } else {
        conn.close().await.ok();
    }

    let mut command = pg_restore.command(&options);
    command
        .args(["--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"])
        .arg(format!("--dbname={}", conninfo_dbname(&name)))
        .arg(&archive.path)
        .stdin(Stdio::null());
    let output = tokio::process::Command::from(command).output().await.context("không chạy được pg_restore")?;
    if !output.status.success() {
        bail!(
            "pg_restore thất bại, cơ sở dữ liệu {name} không thay đổi gì: {} / pg_restore failed",
            stderr_tail(&output.stderr)
        );
    }

    let mut conn = connect(&options).await?;
    let restored = Contents::read(&mut conn).await?;
    conn.close().await.ok();
    let differences = archive.contents.differences(&restored);
    if !differences.is_empty() || restored.migrations != archive.contents.migrations {
        bail!(
            "Dữ liệu khôi phục không khớp với bản sao lưu / the restored data differs from the archive:\n  {}{}",
            differences.join("\n  "),
            if restored.migrations != archive.contents.migrations {
                format!(
                    "\n  migration: bản sao lưu {:?}, cơ sở dữ liệu {:?}",
                    archive.contents.migrations, restored.migrations
                )
            } else {
                String::new()
            }
        );
    }

    // The normal start-up: migrations (only those the archive lacks), unit lists, grants.
    let (started, pool) = crate::server::open(global, 2).await?;
    let checked = check_migrations(&pool).await;
    pool.close().await;
    started.shutdown();
    let (count, last) = checked?;
    let added = count.saturating_sub(archive.contents.migrations.len());
    println!(
        "Đã khôi phục vào cơ sở dữ liệu {name} ({}): {}; số dòng của {} bảng khớp với bản sao lưu; \
         {count} migration khớp với phiên bản này (mới nhất {last}{}).",
        database.describe(),
        restored.summary(),
        restored.rows.len(),
        if added > 0 { format!(", vừa áp dụng thêm {added}") } else { String::new() }
    );
    Ok(())
}

async fn connect(options: &PgConnectOptions) -> anyhow::Result<PgConnection> {
    PgConnection::connect_with(options).await.context("không kết nối được PostgreSQL / cannot connect to PostgreSQL")
}

/// Drops the database and creates it empty again, from the server's maintenance database.
async fn recreate(options: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut admin = connect(&options.clone().database("postgres")).await?;
    for statement in [
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
        format!("CREATE DATABASE {}", quote_ident(name)),
    ] {
        // Dynamic: DDL naming the database, which cannot be a parameter.
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.with_context(|| {
            format!(
                "không xoá và tạo lại được cơ sở dữ liệu {name} (cần là chủ sở hữu và có quyền CREATEDB) \
                 / cannot drop and re-create the database"
            )
        })?;
    }
    admin.close().await.ok();
    Ok(())
}

/// The migrations recorded must be exactly those compiled in ([`db::MIGRATOR`]), checksums
/// included. Returns their number and the latest version.
async fn check_migrations(pool: &sqlx::PgPool) -> anyhow::Result<(usize, i64)> {
    let recorded: Vec<(i64, Vec<u8>)> =
        sqlx::query!("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| (row.version, row.checksum))
            .collect();
    let compiled: Vec<(i64, Vec<u8>)> = db::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    if recorded != compiled {
        let versions = |list: &[(i64, Vec<u8>)]| list.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>().join(", ");
        bail!(
            "Migration trong cơ sở dữ liệu ({}) khác với phiên bản này ({}). / Recorded migrations differ from this binary's.",
            versions(&recorded),
            versions(&compiled)
        );
    }
    Ok((compiled.len(), compiled.last().map(|(v, _)| *v).unwrap_or(0)))
}

/// `dbname='…'` for libpq: a database name is taken as-is, even one with `=` in it.
fn conninfo_dbname(name: &str) -> String {
    format!("dbname='{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_quoted_for_libpq() {
        assert_eq!(conninfo_dbname("danvan"), "dbname='danvan'");
        assert_eq!(conninfo_dbname("a'b\\c=d"), "dbname='a\\'b\\\\c=d'");
    }
}
