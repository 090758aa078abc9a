//! What an export answers with: a file to download, built off the async threads.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppResult;

/// The content type of a Word document (`.docx`).
pub const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
/// The content type of an Excel workbook (`.xlsx`).
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Runs CPU-heavy work (building a workbook or a document) on the blocking pool, so the async
/// threads keep answering other requests meanwhile. Its error, or a panic, is a 500.
pub async fn blocking<T, F>(work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
{
    Ok(tokio::task::spawn_blocking(work).await.map_err(anyhow::Error::from)??)
}

/// A download with a UTF-8 file name and an ASCII fallback, never cached.
pub fn attachment(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let ascii: String = crate::text::fold(filename)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '-' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC).to_string();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
