//! One error type for handlers. It never writes a raw 500 text: the page layer turns it into a
//! Vietnamese error page inside the site layout.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("không tìm thấy")]
    NotFound,
    /// Not found, with what the person should know (an unknown unit code and the unit it
    /// likely meant).
    #[error("không tìm thấy: {0}")]
    NotFoundWith(String),
    #[error("không có quyền")]
    Forbidden,
    #[error("yêu cầu không hợp lệ: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Seconds a client is asked to wait (`Retry-After`) when the database is unreachable.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// Whether `error` means the database cannot be reached or is overloaded right now (no
/// connection within the acquire timeout, connection refused or lost, server shutting down or
/// starting, a statement cut by `statement_timeout`), as opposed to a fault in a query. Such
/// errors answer 503 with `Retry-After`, never 401 or 500.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now;
            // 57014: statement timeout; 53: insufficient resources (too many connections).
            code.starts_with("08") || code.starts_with("57P") || code == "57014" || code.starts_with("53")
        }),
        _ => false,
    }
}

/// [`is_unavailable`] for an error that may wrap a database error (anyhow chains).
pub fn is_unavailable_any(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<sqlx::Error>().is_some_and(is_unavailable))
}

/// The 503 answer while the database is unreachable: `Retry-After`, and the Vietnamese page
/// (added by the page layer) or, under `/api/`, a JSON error.
pub fn unavailable_response() -> Response {
    let page = ErrorPage::for_status(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())],
        page.message.clone(),
    )
        .into_response();
    response.extensions_mut().insert(page);
    response
}

/// Attached to an error response so the layout layer can render the page around it.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub fn for_status(status: StatusCode) -> Self {
        let (title, message) = match status {
            StatusCode::NOT_FOUND => {
                ("Không tìm thấy trang", "Trang hoặc dữ liệu bạn tìm không tồn tại, hoặc bạn không có quyền xem.")
            }
            StatusCode::FORBIDDEN => {
                ("Không có quyền truy cập", "Tài khoản của bạn không được phép thực hiện thao tác này.")
            }
            StatusCode::BAD_REQUEST => ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không hợp lệ."),
            StatusCode::PAYLOAD_TOO_LARGE => ("Dữ liệu quá lớn", "Nội dung gửi lên vượt quá giới hạn cho phép."),
            StatusCode::TOO_MANY_REQUESTS => {
                ("Quá nhiều yêu cầu", "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau ít phút.")
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                ("Thao tác không được hỗ trợ", "Địa chỉ này không nhận thao tác bạn vừa gửi.")
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                ("Hệ thống tạm thời không sẵn sàng", "Cơ sở dữ liệu chưa sẵn sàng. Vui lòng thử lại sau ít phút.")
            }
            _ => (
                "Đã xảy ra lỗi",
                "Hệ thống gặp lỗi khi xử lý yêu cầu. Dữ liệu của bạn không bị thay đổi; vui lòng thử lại.",
            ),
        };
        ErrorPage { title, message: message.to_owned() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::NotFound | AppError::NotFoundWith(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Database(error) if is_unavailable(error) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(error) if is_unavailable_any(error) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if let AppError::Internal(error) = &self
            && error.downcast_ref::<crate::auth::password::Busy>().is_some()
        {
            let mut page = ErrorPage::for_status(StatusCode::TOO_MANY_REQUESTS);
            page.message = crate::auth::password::BUSY_MESSAGE.to_owned();
            let mut response =
                (StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::RETRY_AFTER, "5")], page.message.clone())
                    .into_response();
            response.extensions_mut().insert(page);
            return response;
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            match &self {
                AppError::Database(error) => crate::metrics::count_unavailable(error),
                AppError::Internal(error) => crate::metrics::count_unavailable_any(error),
                _ => {}
            }
            tracing::warn!(error = %self, "cơ sở dữ liệu không sẵn sàng");
            return unavailable_response();
        }
        let mut page = ErrorPage::for_status(status);
        match &self {
            AppError::BadRequest(message) | AppError::NotFoundWith(message) => page.message = message.clone(),
            AppError::Database(error) => tracing::error!(%error, "lỗi cơ sở dữ liệu"),
            AppError::Internal(error) => {
                tracing::error!(error = %format!("{error:#}"), "lỗi nội bộ")
            }
            _ => {}
        }
        let mut response = (status, page.message.clone()).into_response();
        response.extensions_mut().insert(page);
        response
    }
}
