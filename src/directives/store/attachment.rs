//! Files attached to a directive (PDF, DOCX).

use sqlx::{FromRow, PgConnection, PgPool};

#[derive(Debug, Clone, FromRow)]
pub struct Attachment {
    pub id: i32,
    pub directive_id: i32,
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

pub async fn attachments(pool: &PgPool, directive_id: i32) -> sqlx::Result<Vec<Attachment>> {
    sqlx::query_as(
        "SELECT id, directive_id, file_name, content_type, size_bytes, sha256 FROM attachments
         WHERE directive_id = $1 ORDER BY uploaded_at, id",
    )
    .bind(directive_id)
    .fetch_all(pool)
    .await
}

/// The columns of [`Attachment`], without the content.
const ATTACHMENT_COLUMNS: &str = "id, directive_id, file_name, content_type, size_bytes, sha256";

/// A file as saved.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub directive_id: i32,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i32,
}

/// Saves a file and returns it, without its content.
pub async fn insert_attachment(conn: &mut PgConnection, file: &NewAttachment<'_>) -> sqlx::Result<Attachment> {
    let sql = format!(
        "INSERT INTO attachments (directive_id, file_name, content_type, size_bytes, sha256, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ATTACHMENT_COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(file.directive_id)
        .bind(file.file_name)
        .bind(file.content_type)
        .bind(file.content.len() as i64)
        .bind(file.sha256)
        .bind(file.content)
        .bind(file.uploaded_by)
        .fetch_one(&mut *conn)
        .await
}

/// Deletes file `id` of `directive_id` and returns it; `None` when the directive has no such file.
pub async fn delete_attachment(
    conn: &mut PgConnection,
    directive_id: i32,
    id: i32,
) -> sqlx::Result<Option<Attachment>> {
    let sql = format!("DELETE FROM attachments WHERE id = $1 AND directive_id = $2 RETURNING {ATTACHMENT_COLUMNS}");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(directive_id).fetch_optional(&mut *conn).await
}

/// A file to download: its name, content type and content.
pub async fn attachment_content(
    pool: &PgPool,
    directive_id: i32,
    id: i32,
) -> sqlx::Result<Option<(String, String, Vec<u8>)>> {
    sqlx::query_as("SELECT file_name, content_type, content FROM attachments WHERE id = $1 AND directive_id = $2")
        .bind(id)
        .bind(directive_id)
        .fetch_optional(pool)
        .await
}
