//! `danvan import FILE`: the operator's import into any unit, with the web upload's parser
//! and limits, audited as the command line.

use std::path::Path;

use anyhow::Context;
use sqlx::PgPool;

use super::{Author, Outcome, import};
use crate::exports::values::{MAX_UPLOAD_BYTES, RawRow, parse_upload};

/// Reads and parses a file for `danvan import`, with the web upload's parser and limits.
pub async fn read_file(path: &Path) -> anyhow::Result<Vec<RawRow>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("không mở được tệp {}", path.display()))?;
    let mut bytes = Vec::new();
    // One byte past the limit is enough for the parser to refuse it, whatever the file's size.
    file.take(MAX_UPLOAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("không đọc được tệp {}", path.display()))?;
    let name = file_name(path);
    tokio::task::spawn_blocking(move || parse_upload(&name, &bytes))
        .await?
        .map_err(|refused| anyhow::anyhow!("{}", refused.message))
}

/// The file's name as the audit log and messages show it.
pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `danvan import FILE`: the operator's import into any unit, audited as the command line.
/// Prints the summary (each report too with `verbose`); on wrong rows prints them to stderr,
/// saves nothing and fails.
pub async fn run_cli(pool: &PgPool, path: &Path, rows: &[RawRow], verbose: bool) -> anyhow::Result<()> {
    let author = Author::command_line(&file_name(path));
    match import(pool, rows, |_| true, &author).await? {
        Outcome::Imported(summary) => {
            println!("{}", summary.headline());
            for problem in &summary.problems {
                println!("{problem}");
            }
            if verbose {
                for line in &summary.lines {
                    println!("{line}");
                }
            }
            Ok(())
        }
        Outcome::Refused(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            anyhow::bail!("Không nhập dòng nào: tệp có {} lỗi. Sửa rồi nhập lại cả tệp.", errors.len())
        }
        Outcome::Changed { label, unit_name } => anyhow::bail!(
            "Không nhập dòng nào: báo cáo {label} của {unit_name} vừa được người khác thay đổi. Chạy lại lệnh."
        ),
    }
}
