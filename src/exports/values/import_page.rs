//! The import page, `GET /imports/values` (the template, its limits and, for those who may
//! import, the form), and the upload it sends, `POST /imports/values`: the file read within the
//! limits of [`super::parse_upload`], then checked and saved by [`crate::exports::import`].

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;

use super::{COLUMNS, MAX_DATA_ROWS, MAX_UPLOAD_BYTES, STATUS_COLUMN, parse_upload};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::exports::import::{self, Author, Outcome};
use crate::format;
use crate::units::Unit;
use crate::web::{AppState, Layout, render};

/// Only one upload is parsed at a time per core or so: each may hold tens of MB while parsed.
static PARSE_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

#[derive(Template)]
#[template(path = "exports/import.html")]
struct ImportPage {
    layout: Layout,
    errors: Vec<String>,
    summary: Vec<String>,
    columns: [&'static str; 5],
    status_column: &'static str,
    max_rows: String,
    /// Whether the form is offered (see [`may_import`]).
    may_import: bool,
}

impl ImportPage {
    fn new(layout: Layout, errors: Vec<String>, summary: Vec<String>) -> Self {
        ImportPage {
            layout,
            errors,
            summary,
            columns: COLUMNS,
            status_column: STATUS_COLUMN,
            max_rows: format::integer(MAX_DATA_ROWS as i64),
            may_import: true,
        }
    }
}

/// GET /imports/values: the template and, for those who may import, the form.
pub async fn import_page(layout: Layout, user: CurrentUser) -> Response {
    render(&ImportPage { may_import: may_import(&user), ..ImportPage::new(layout, Vec::new(), Vec::new()) })
}

/// Whether the user may import at all: only those who enter some unit's report (the report form
/// and the API ask the same, `EnterReport`, row by row).
pub fn may_import(user: &CurrentUser) -> bool {
    user.unit.as_ref().is_some_and(|own| authz::can(user, Action::EnterReport, Some(Place::from(own))))
}

/// POST /imports/values: a multipart upload (field `file`). The caller's right to import is
/// checked before the body is read; the file is parsed off the async threads within the limits
/// of [`parse_upload`].
pub async fn import_values(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    // Before the first byte of the body (the multipart stream is only read below), and before
    // even its content type is judged.
    if !may_import(&user) {
        return Err(AppError::Forbidden);
    }
    // The page with what was imported or why not: 409 and 422 are refusals (`AppError`).
    let page = |layout: Layout, errors: Vec<String>, summary: Vec<String>, status: StatusCode| {
        crate::error::page_with_status(status, render(&ImportPage::new(layout, errors, summary)))
    };
    let Ok(mut multipart) = multipart else {
        let message = "Gửi tệp bằng biểu mẫu trên trang này (multipart/form-data).".to_owned();
        return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
    };
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
                return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("").to_owned();
        let mut field = field;
        let mut bytes = Vec::new();
        // Counted while streaming: the body limit alone would let a 12 MB file in.
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES => {
                    let message = format!("Tệp lớn hơn {} MB.", MAX_UPLOAD_BYTES / 1024 / 1024);
                    return page(layout, vec![message], Vec::new(), StatusCode::PAYLOAD_TOO_LARGE);
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => {
                    let message = format!("Không đọc được tệp gửi lên (tối đa {} MB).", MAX_UPLOAD_BYTES / 1024 / 1024);
                    return page(layout, vec![message], Vec::new(), StatusCode::BAD_REQUEST);
                }
            }
        }
        upload = Some((filename, bytes));
    }
    let Some((filename, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return page(layout, vec!["Chưa chọn tệp để nhập.".to_owned()], Vec::new(), StatusCode::BAD_REQUEST);
    };
    let parsed = {
        let _slot = PARSE_SLOTS.acquire().await.map_err(anyhow::Error::from)?;
        tokio::task::spawn_blocking(move || parse_upload(&filename, &bytes)).await.map_err(anyhow::Error::from)?
    };
    let data = match parsed {
        Ok(rows) => rows,
        Err(refused) => return page(layout, vec![refused.message], Vec::new(), refused.status),
    };
    let author = Author::user(&user);
    // The same rule as the report form and the API.
    let may_enter = |unit: &Unit| authz::can(&user, Action::EnterReport, Some(Place::from(unit)));
    match import::import(&state.pool, &data, may_enter, &author).await? {
        Outcome::Imported(summary) => {
            let mut lines = vec![summary.headline()];
            if !summary.problems.is_empty() {
                lines.push(format!(
                    "Số liệu đã lưu nháp nhưng {} quy tắc kiểm tra chưa đạt; sửa trên biểu mẫu báo cáo trước khi gửi:",
                    summary.problems.len()
                ));
                lines.extend(summary.problems);
            }
            lines.extend(summary.lines);
            page(layout, Vec::new(), lines, StatusCode::OK)
        }
        Outcome::Refused(mut errors) => {
            errors.insert(0, format!("Không nhập dòng nào: tệp có {} lỗi. Sửa rồi gửi lại cả tệp.", errors.len()));
            page(layout, errors, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Outcome::Changed { label, unit_name } => {
            let message = format!(
                "Không nhập dòng nào: báo cáo {label} của {unit_name} vừa được người khác thay đổi. Gửi lại tệp."
            );
            page(layout, vec![message], Vec::new(), StatusCode::CONFLICT)
        }
    }
}
