//! Reading a backup archive before anything is restored from it: is it a danvan archive, is it
//! whole, and how many rows does each table hold.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};

use super::counts::Contents;
use super::tools::{Tool, stderr_tail};

/// The first bytes of every `pg_dump -Fc` archive.
const MAGIC: &[u8] = b"PGDMP";

/// An archive that `pg_restore` reads to its end, with what it holds.
pub struct Archive {
    pub path: PathBuf,
    pub size: u64,
    pub contents: Contents,
}

impl Archive {
    /// Checks `path` is a whole danvan archive and counts its rows: the file exists and is a
    /// custom-format archive, its table of contents holds danvan's migration table, and all
    /// of its data decompresses (a truncated or damaged file fails here, before the database
    /// is touched). Blocking: it reads the whole archive.
    pub fn read(pg_restore: &Tool, path: &Path) -> anyhow::Result<Archive> {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                bail!("Không có tệp sao lưu {} / no such backup file", path.display())
            }
            Err(error) => return Err(error).with_context(|| format!("không đọc được tệp {}", path.display())),
        };
        if !metadata.is_file() {
            bail!("{} không phải là một tệp / is not a file", path.display());
        }
        let mut magic = [0u8; MAGIC.len()];
        let starts_right = std::fs::File::open(path)
            .and_then(|mut file| file.read_exact(&mut magic))
            .map(|()| magic == MAGIC)
            .unwrap_or(false);
        if !starts_right {
            bail!(
                "Tệp {} không phải bản sao lưu của danvan (không phải định dạng pg_dump -Fc). \
                 / {} is not a danvan backup (not a pg_dump custom-format archive).",
                path.display(),
                path.display()
            );
        }
        let listing = pg_restore
            .offline()
            .arg("--list")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .context("không chạy được pg_restore")?;
        if !listing.status.success() {
            bail!(
                "Tệp sao lưu {} hỏng hoặc không đọc được: {} / the archive is damaged",
                path.display(),
                stderr_tail(&listing.stderr)
            );
        }
        let listing = String::from_utf8_lossy(&listing.stdout);
        if !listing.lines().any(|line| line.contains(" TABLE DATA public _sqlx_migrations ")) {
            bail!(
                "Tệp {} là bản sao lưu PostgreSQL nhưng không phải của danvan (không có bảng _sqlx_migrations). \
                 / not a danvan archive.",
                path.display()
            );
        }
        let contents = count_rows(pg_restore, path)?;
        Ok(Archive { path: path.to_owned(), size: metadata.len(), contents })
    }
}

/// Streams the archive's data as `COPY` text through `pg_restore --data-only` and counts each
/// table's rows (one line a row: COPY's text format escapes newlines inside values) and the
/// migration versions recorded.
fn count_rows(pg_restore: &Tool, path: &Path) -> anyhow::Result<Contents> {
    let mut child = pg_restore
        .offline()
        .args(["--data-only", "--file=-"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("không chạy được pg_restore")?;
    // Drained apart, so a talkative stderr never blocks the data stream.
    let stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            stderr.read_to_end(&mut buffer).ok();
            buffer
        })
    });
    let parsed = match child.stdout.take() {
        Some(stdout) => parse_copy_stream(BufReader::with_capacity(1 << 20, stdout)),
        None => Err(anyhow::anyhow!("pg_restore không có đầu ra")),
    };
    let status = child.wait().context("pg_restore")?;
    let stderr = stderr.and_then(|handle| handle.join().ok()).unwrap_or_default();
    if !status.success() {
        bail!("Tệp sao lưu {} hỏng hoặc không đọc hết được: {}", path.display(), stderr_tail(&stderr));
    }
    parsed.with_context(|| format!("đọc dữ liệu của tệp sao lưu {}", path.display()))
}

/// Counts the rows of each `COPY public.table (…) FROM stdin;` block of a plain-text dump.
fn parse_copy_stream(mut reader: impl BufRead) -> anyhow::Result<Contents> {
    let mut contents = Contents::default();
    let mut current: Option<(String, Option<usize>)> = None;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        match &current {
            Some(_) if text == b"\\." => current = None,
            Some((table, version_column)) => {
                *contents.rows.entry(table.clone()).or_insert(0) += 1;
                if let Some(column) = version_column {
                    // `_sqlx_migrations`: keep the version of each applied migration.
                    let fields: Vec<&[u8]> = text.split(|b| *b == b'\t').collect();
                    let version = fields.get(*column).and_then(|f| std::str::from_utf8(f).ok()?.parse::<i64>().ok());
                    if let Some(version) = version {
                        contents.migrations.push(version);
                    }
                }
            }
            None => {
                let header = text.strip_prefix(b"COPY public.").or_else(|| text.strip_prefix(b"COPY \"public\"."));
                if let Some(header) = header {
                    let header = String::from_utf8_lossy(header);
                    let name = header.split([' ', '(']).next().unwrap_or_default().trim_matches('"').to_owned();
                    let columns: Vec<&str> = header
                        .split_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(list, _)| list.split(',').map(|c| c.trim().trim_matches('"')).collect())
                        .unwrap_or_default();
                    let version_column =
                        (name == "_sqlx_migrations").then(|| columns.iter().position(|c| *c == "version")).flatten();
                    contents.rows.entry(name.clone()).or_insert(0);
                    current = Some((name, version_column));
                }
            }
        }
    }
    if let Some((table, _)) = current {
        bail!("dữ liệu bảng {table} bị cắt ngang");
    }
    contents.migrations.sort_unstable();
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_blocks_are_counted_per_table() {
        let dump = "--\n-- Data for Name: units\n--\n\n\
                    COPY public.units (id, code, name) FROM stdin;\n1\t91\tKiên Giang\n2\t905\tdòng\\nhai\n\\.\n\n\
                    COPY public.users (id) FROM stdin;\n\\.\n\n\
                    COPY \"public\".\"_sqlx_migrations\" (\"version\", \"description\", \"success\") FROM stdin;\n\
                    21\ttext\tt\n1\tfoundation\tt\n\\.\n";
        let contents = parse_copy_stream(dump.as_bytes()).expect("parsed");
        assert_eq!(contents.rows.get("units"), Some(&2));
        assert_eq!(contents.rows.get("users"), Some(&0), "an empty table is listed");
        assert_eq!(contents.rows.get("_sqlx_migrations"), Some(&2));
        assert_eq!(contents.migrations, [1, 21]);
    }

    #[test]
    fn a_cut_block_is_an_error() {
        let dump = "COPY public.units (id) FROM stdin;\n1\n2\n";
        assert!(parse_copy_stream(dump.as_bytes()).is_err());
    }
}
