//! Files attached to a directive (PDF, DOCX).

use sqlx::{PgConnection, PgPool};

use super::DirectiveId;
use crate::vocabulary::id;

id! {
    /// A file's id (`attachments.id`), under its directive's.
    pub struct AttachmentId;
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: AttachmentId,
    pub directive_id: DirectiveId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl Attachment {
    pub fn kind_label(&self) -> &'static str {
        if self.content_type == crate::directives::display::PDF { "PDF" } else { "DOCX" }
    }

    pub fn size_text(&self) -> String {
        let kb = (self.size_bytes.max(0) + 1023) / 1024;
        if kb >= 1024 {
            format!(
                "{} MB",
                crate::format::decimal(rust_decimal::Decimal::from(kb) / rust_decimal::Decimal::from(1024), 1)
            )
        } else {
            format!("{} KB", crate::format::integer(kb))
        }
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "directive_id": self.directive_id,
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
        })
    }
}

pub async fn attachments(pool: &PgPool, directive_id: DirectiveId) -> sqlx::Result<Vec<Attachment>> {
    sqlx::query_as!(
        Attachment,
        r#"SELECT id, directive_id AS "directive_id: DirectiveId", file_name, content_type, size_bytes, sha256
         FROM attachments WHERE directive_id = $1 ORDER BY uploaded_at, id"#,
        directive_id as DirectiveId,
    )
    .fetch_all(pool)
    .await
}

/// A file as saved.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub directive_id: DirectiveId,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: crate::auth::UserId,
}

/// Saves a file and returns it, without its content.
pub async fn insert_attachment(conn: &mut PgConnection, file: &NewAttachment<'_>) -> sqlx::Result<Attachment> {
    sqlx::query_as!(
        Attachment,
        r#"INSERT INTO attachments (directive_id, file_name, content_type, size_bytes, sha256, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, directive_id AS "directive_id: DirectiveId", file_name, content_type, size_bytes, sha256"#,
        file.directive_id as DirectiveId,
        file.file_name,
        file.content_type,
        file.content.len() as i64,
        file.sha256,
        file.content,
        file.uploaded_by as crate::auth::UserId,
    )
    .fetch_one(&mut *conn)
    .await
}

/// Deletes file `id` of `directive_id` and returns it; `None` when the directive has no such file.
pub async fn delete_attachment(
    conn: &mut PgConnection,
    directive_id: DirectiveId,
    id: AttachmentId,
) -> sqlx::Result<Option<Attachment>> {
    sqlx::query_as!(
        Attachment,
        r#"DELETE FROM attachments WHERE id = $1 AND directive_id = $2
         RETURNING id, directive_id AS "directive_id: DirectiveId", file_name, content_type, size_bytes, sha256"#,
        id as AttachmentId,
        directive_id as DirectiveId,
    )
    .fetch_optional(&mut *conn)
    .await
}

/// A file to download: its name, content type and content.
pub async fn attachment_content(
    pool: &PgPool,
    directive_id: DirectiveId,
    id: AttachmentId,
) -> sqlx::Result<Option<(String, String, Vec<u8>)>> {
    let row = sqlx::query!(
        "SELECT file_name, content_type, content FROM attachments WHERE id = $1 AND directive_id = $2",
        id as AttachmentId,
        directive_id as DirectiveId
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| (row.file_name, row.content_type, row.content)))
}
