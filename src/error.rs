//! One error type for handlers. It never writes a raw 500 text: the page layer turns it into a
//! Vietnamese error page inside the site layout.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("không tìm thấy")]
    NotFound,
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
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Database(sqlx::Error::PoolTimedOut) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut page = ErrorPage::for_status(status);
        match &self {
            AppError::BadRequest(message) => page.message = message.clone(),
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
