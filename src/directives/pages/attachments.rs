//! Files attached to a directive: upload (PDF or DOCX, checked and hashed), download, delete.

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::show::{Kept, show_page};
use super::{Editable, Errors, audit_and_commit, created, deleted};
use crate::directives::display;
use crate::directives::store::{self, DirectiveId};
use crate::error::{AppError, AppResult};
use crate::web::{AppState, Flash, Layout};

/// The largest upload request (a 10 MB file and the form around it); see `lib.rs`.
pub const UPLOAD_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub(super) async fn upload(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive }: Editable,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    // `Editable` checked the permission before the body was read: outside it, nothing about
    // the upload is worth saying.
    let id = directive.id;
    let bad_upload = || AppError::BadRequest("Tệp tải lên bị gián đoạn hoặc không hợp lệ; hãy thử lại.".to_owned());
    let mut multipart = multipart.map_err(|_| bad_upload())?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // The whole request is over the body limit (`UPLOAD_BODY_LIMIT`): the file is too.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(_) => return Err(bad_upload()),
        };
        // Only the first file counts; other fields and files are read past, never kept.
        let keep = field.name() == Some("file") && file.is_none() && !too_large;
        let name = field.file_name().unwrap_or("").to_owned();
        let mut content = Vec::new();
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    too_large = true;
                    break;
                }
                Err(_) => return Err(bad_upload()),
            };
            if !keep || too_large {
                continue;
            }
            if content.len() + chunk.len() > display::MAX_ATTACHMENT_BYTES {
                // Nothing more is kept. The rest (at most `UPLOAD_BODY_LIMIT`, enforced by the
                // layer) is read and dropped: closing early resets the connection and the
                // browser would show that instead of the message.
                too_large = true;
                content = Vec::new();
                continue;
            }
            content.extend_from_slice(&chunk);
        }
        if too_large {
            file = None;
        } else if keep {
            file = Some((name, content));
        }
    }
    let mut errors = Errors::new();
    let checked = match file {
        _ if too_large => Err(display::too_large_message()),
        None => Err("Chọn một tệp PDF hoặc DOCX để tải lên.".to_owned()),
        Some((name, _)) if name.trim().is_empty() => Err("Chọn một tệp PDF hoặc DOCX để tải lên.".to_owned()),
        // Opening a ZIP and hashing 10 MB are CPU work: off the async threads.
        Some((name, content)) => tokio::task::spawn_blocking(move || {
            display::check_file(&name, &content).map(|content_type| {
                let sha256 = hex::encode(Sha256::digest(&content));
                (name, content, content_type, sha256)
            })
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?,
    };
    let (name, content, content_type, sha256) = match checked {
        Ok(checked) => checked,
        Err(message) => {
            errors.set("file", message);
            return show_page(&state, layout, &user, directive, Kept { errors, ..Kept::default() }).await;
        }
    };
    let file_name = display::safe_file_name(&name);
    let mut tx = state.pool.begin().await?;
    let new = store::NewAttachment {
        directive_id: id,
        file_name: &file_name,
        content_type,
        sha256: &sha256,
        content: &content,
        uploaded_by: user.id,
    };
    let attachment = store::insert_attachment(&mut tx, &new).await?;
    let entry = created(&directive, "attachment", attachment.id, Some(attachment.audit_json()));
    audit_and_commit(tx, &user, entry).await?;
    Ok(Flash::success(&format!("Đã đính kèm {file_name}.")).redirect(&format!("/directives/{id}#tep")))
}

pub(super) async fn download(
    State(state): State<AppState>,
    Path((id, attachment)): Path<(DirectiveId, store::AttachmentId)>,
) -> AppResult<Response> {
    let found = store::attachment_content(&state.pool, id, attachment).await?;
    let (file_name, content_type, content) = found.ok_or(AppError::NotFound)?;
    let content_type = if content_type == display::DOCX { display::DOCX } else { display::PDF };
    let disposition = display::content_disposition(&file_name);
    let response = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(Body::from(content))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Editable { user, directive }: Editable,
    Path((_, attachment)): Path<(DirectiveId, store::AttachmentId)>,
) -> AppResult<Response> {
    let id = directive.id;
    let mut tx = state.pool.begin().await?;
    let removed = store::delete_attachment(&mut tx, id, attachment).await?.ok_or(AppError::NotFound)?;
    audit_and_commit(tx, &user, deleted(&directive, "attachment", removed.id, removed.audit_json())).await?;
    Ok(Flash::success(&format!("Đã xóa tệp {}.", removed.file_name)).redirect(&format!("/directives/{id}#tep")))
}
