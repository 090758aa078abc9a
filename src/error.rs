//! One error type for handlers. It never writes a raw 500 text: the page layer turns it into a
//! Vietnamese error page inside the site layout, or under `/api/` into JSON.
//!
//! A refused form is an error too: [`AppError::Unprocessable`] (422) and [`AppError::Conflict`]
//! (409) carry either the page re-rendered with the input kept and a message next to each field
//! ([`FieldErrors`]), or, for the API, a message and the fields' messages that answer as JSON
//! `{"error": "…", "errors": {"field": "…"}}`. A unique or exclusion constraint the database
//! refuses becomes a field's message through [`ResultExt::on_constraint`] (insert, then read
//! the refusal: no SELECT-then-INSERT race); any other database error stays a 500, never field
//! text.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

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
    /// 409: the data changed under the person (someone saved since the form was opened) or its
    /// state refuses the change (a report already submitted).
    #[error("xung đột: {0}")]
    Conflict(Refusal),
    /// 422: the input cannot be accepted as it is.
    #[error("dữ liệu không hợp lệ: {0}")]
    Unprocessable(Refusal),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// What a 409 or 422 answers with.
pub enum Refusal {
    /// The page again (HTML): the form with the input kept and the messages next to the fields.
    /// Its status becomes the error's, unless rendering it failed (then it stays a 500).
    Page(Box<Response>),
    /// A message and the fields' messages: JSON under `/api/`, the error page elsewhere.
    Fields(FieldErrors),
}

impl std::fmt::Debug for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Page(page) => f.debug_tuple("Page").field(&page.status()).finish(),
            Refusal::Fields(errors) => f.debug_tuple("Fields").field(errors).finish(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Page(_) => f.write_str("biểu mẫu được hiển thị lại"),
            Refusal::Fields(errors) => f.write_str(errors.summary_or_default()),
        }
    }
}

impl AppError {
    /// 422 with `page`: the form again, the input kept and the messages next to the fields.
    pub fn invalid_page(page: Response) -> Self {
        AppError::Unprocessable(Refusal::Page(Box::new(page)))
    }

    /// 409 with `page`: the form again, saying what changed meanwhile.
    pub fn conflict_page(page: Response) -> Self {
        AppError::Conflict(Refusal::Page(Box::new(page)))
    }

    /// 422 with a message and the fields' messages (JSON under `/api/`).
    pub fn invalid(errors: FieldErrors) -> Self {
        AppError::Unprocessable(Refusal::Fields(errors))
    }

    /// 409 with a message (JSON under `/api/`).
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(Refusal::Fields(FieldErrors::with_summary(message)))
    }
}

/// `page` as it is, or, when the form it shows was refused (`refused`), the 422 that carries it.
pub fn page_or_invalid(page: Response, refused: bool) -> AppResult<Response> {
    if refused { Err(AppError::invalid_page(page)) } else { Ok(page) }
}

/// `page` answered with `status`: a 409 or 422 as [`AppError::Conflict`] or
/// [`AppError::Unprocessable`], any other status (200, a 400 or 413 page, a 429) on the page
/// itself, unless the page failed to render (it stays a 500).
pub fn page_with_status(status: StatusCode, page: Response) -> AppResult<Response> {
    match status {
        StatusCode::CONFLICT => Err(AppError::conflict_page(page)),
        StatusCode::UNPROCESSABLE_ENTITY => Err(AppError::invalid_page(page)),
        _ => Ok(with_status(status, page)),
    }
}

/// `page` with `status`, unless it failed to render: a 500 stays a 500.
fn with_status(status: StatusCode, mut page: Response) -> Response {
    if page.status().is_success() {
        *page.status_mut() = status;
    }
    page
}

/// The default summary of refused input.
pub const INVALID_SUMMARY: &str = "Dữ liệu không hợp lệ; chưa lưu gì.";

/// Messages next to the fields of a form, in Vietnamese, keyed by the field's name (`username`,
/// `task.number`, `version` for a stale edit), and a summary shown above the form or, in JSON,
/// as `error`.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    /// Keyed by the field's name: a fixed name (`username`), or one made from data (the report
    /// form's `CODE.ORG`).
    fields: HashMap<Cow<'static, str>, String>,
    summary: Option<String>,
}

impl FieldErrors {
    /// No message yet.
    pub fn new() -> Self {
        FieldErrors::default()
    }

    /// Only a summary, for a refusal that concerns no one field.
    pub fn with_summary(message: impl Into<String>) -> Self {
        FieldErrors { fields: HashMap::new(), summary: Some(message.into()) }
    }

    /// Adds `message` next to `field`, unless the field has one already (the first problem
    /// found is the one to fix first).
    pub fn add(&mut self, field: impl Into<Cow<'static, str>>, message: impl Into<String>) {
        self.fields.entry(field.into()).or_insert_with(|| message.into());
    }

    /// Puts `message` next to `field`, replacing any earlier one.
    pub fn set(&mut self, field: impl Into<Cow<'static, str>>, message: impl Into<String>) {
        self.fields.insert(field.into(), message.into());
    }

    /// Reads an optional field: `None` when left blank; otherwise what `read` makes of the
    /// trimmed text, or `None` with `message` next to `field` when it makes nothing of it
    /// (`errors.optional("deadline", &form.deadline, "Ngày không hợp lệ: …", units::parse_date)`).
    pub fn optional<T>(
        &mut self,
        field: &'static str,
        text: &str,
        message: &str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let value = read(text);
        if value.is_none() {
            self.set(field, message);
        }
        value
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Whether any field's name starts with `prefix` (`task.`: the task form of a page).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.fields.keys().any(|field| field.starts_with(prefix))
    }

    /// No message next to any field (a summary alone does not count: it is set with them).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Field names with a message but `aside`, for the summary at the top of the form (in a
    /// stable order): the summary shows the message of `aside` on its own (`version`, a stale
    /// edit; or a field the form does not draw).
    pub fn fields_except(&self, aside: &str) -> Vec<&str> {
        let mut fields: Vec<&str> = self.fields.keys().map(|f| f.as_ref()).filter(|f| *f != aside).collect();
        fields.sort_unstable();
        fields
    }

    /// The messages in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut all: Vec<(&str, &str)> = self.fields.iter().map(|(k, v)| (k.as_ref(), v.as_str())).collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all.into_iter()
    }

    pub fn set_summary(&mut self, message: impl Into<String>) {
        self.summary = Some(message.into());
    }

    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    fn summary_or_default(&self) -> &str {
        self.summary.as_deref().unwrap_or(INVALID_SUMMARY)
    }

    /// The JSON answer: `{"error": summary, "errors": {field: message}}` (`errors` only when a
    /// field has a message), the shape the API's errors have.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".to_owned(), Value::String(self.summary_or_default().to_owned()));
        if !self.fields.is_empty() {
            body.insert("errors".to_owned(), self.messages_json());
        }
        Value::Object(body)
    }

    /// The fields' messages as a JSON object, `{field: message}`.
    pub fn messages_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.to_owned(), Value::String(v.to_owned()))).collect())
    }
}

/// Turns a database constraint the database refused into what the person is told, after the
/// fact (insert, then read the refusal), as launchbadge's realworld-axum-sqlx does: two people
/// saving the same name at once get the same message, never a 500. Constraint names are those
/// of `migrations/`.
pub trait ResultExt<T> {
    /// `map` turns the violation of `constraint` into the error to answer; any other error is
    /// kept (a database error stays a 500).
    fn on_constraint(self, constraint: &str, map: impl FnOnce() -> AppError) -> AppResult<T>;

    /// The violation of `constraint` becomes `message` next to `field` in `errors` and
    /// `Ok(None)`: the caller shows the form again. Any other error is kept.
    fn on_constraint_field(
        self,
        constraint: &str,
        errors: &mut FieldErrors,
        field: &'static str,
        message: impl Into<String>,
    ) -> AppResult<Option<T>>;
}

/// Whether `error` is the violation of the database constraint (or unique index) `name`.
pub fn violates(error: &sqlx::Error, name: &str) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.constraint() == Some(name))
}

impl<T, E: Into<AppError>> ResultExt<T> for Result<T, E> {
    fn on_constraint(self, constraint: &str, map: impl FnOnce() -> AppError) -> AppResult<T> {
        self.map_err(|error| match error.into() {
            AppError::Database(error) if violates(&error, constraint) => map(),
            other => other,
        })
    }

    fn on_constraint_field(
        self,
        constraint: &str,
        errors: &mut FieldErrors,
        field: &'static str,
        message: impl Into<String>,
    ) -> AppResult<Option<T>> {
        match self.map_err(Into::into) {
            Ok(value) => Ok(Some(value)),
            Err(AppError::Database(error)) if violates(&error, constraint) => {
                errors.add(field, message);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}

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

/// What to tell the person when PostgreSQL refuses a value the request carried, not the code: a
/// NUL character (`22021`, `22P05` in `jsonb`), a date outside PostgreSQL's range (`22008`), a
/// value longer than its column (`22001`). Answered 400 with this message, never a 500; the
/// statement failed, so nothing of the request was stored.
fn refused_value(error: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = error else { return None };
    match db.code()?.as_ref() {
        "22021" | "22P05" => {
            Some("Dữ liệu gửi lên có ký tự không dùng được (ký tự NUL). Hãy xóa ký tự đó rồi gửi lại.")
        }
        "22008" => Some("Ngày tháng nằm ngoài khoảng cho phép. Hãy nhập ngày dạng 30/06/2025."),
        "22001" => Some("Dữ liệu gửi lên dài quá mức cho phép. Hãy rút ngắn rồi gửi lại."),
        _ => None,
    }
}

/// [`refused_value`] for an error that may wrap a database error (anyhow chains).
fn refused_value_any(error: &anyhow::Error) -> Option<&'static str> {
    error.chain().find_map(|cause| cause.downcast_ref::<sqlx::Error>().and_then(refused_value))
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
            StatusCode::CONFLICT => (
                "Dữ liệu vừa thay đổi",
                "Dữ liệu đã được người khác thay đổi trong lúc bạn thao tác; tải lại trang rồi thử lại.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY => {
                ("Yêu cầu chưa hợp lệ", "Dữ liệu gửi lên chưa hợp lệ; hãy sửa rồi thử lại.")
            }
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
        let refused = match &self {
            AppError::Database(error) => refused_value(error),
            AppError::Internal(error) => refused_value_any(error),
            _ => None,
        };
        if let Some(message) = refused {
            tracing::warn!(error = %self, "giá trị bị cơ sở dữ liệu từ chối");
            return AppError::BadRequest(message.to_owned()).into_response();
        }
        let status = match &self {
            AppError::NotFound | AppError::NotFoundWith(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
        let refusal = match self {
            AppError::Conflict(refusal) | AppError::Unprocessable(refusal) => refusal,
            other => return other.error_response(status),
        };
        match refusal {
            Refusal::Page(page) => with_status(status, *page),
            Refusal::Fields(errors) => {
                // JSON, which the page layer keeps under `/api/`; elsewhere it shows the page
                // with the summary.
                let mut page = ErrorPage::for_status(status);
                page.message = errors.summary_or_default().to_owned();
                let mut response = (status, axum::Json(errors.to_json())).into_response();
                response.extensions_mut().insert(page);
                response
            }
        }
    }
}

impl AppError {
    /// The answer of an error that is not a refused form: the text, and the [`ErrorPage`] the
    /// page layer dresses it with.
    fn error_response(self, status: StatusCode) -> Response {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_optional_field_is_blank_read_or_refused_next_to_itself() {
        let mut errors = FieldErrors::new();
        let year = |text: &str| text.parse::<i32>().ok();
        assert_eq!(errors.optional("year", "  ", "Năm gồm 4 chữ số.", year), None);
        assert_eq!(errors.optional("year", " 2025 ", "Năm gồm 4 chữ số.", year), Some(2025));
        assert!(errors.is_empty(), "blank and readable leave no message");
        assert_eq!(errors.optional("year", "hai nghìn", "Năm gồm 4 chữ số.", year), None);
        assert_eq!(errors.get("year"), Some("Năm gồm 4 chữ số."));
    }

    #[test]
    fn field_errors_keep_the_first_message_and_answer_json() {
        let mut errors = FieldErrors::new();
        errors.add("username", "Tên đăng nhập này đã có người dùng.");
        errors.add("username", "a later message");
        errors.set("password", "Mật khẩu cần ít nhất 8 ký tự.");
        assert_eq!(errors.get("username"), Some("Tên đăng nhập này đã có người dùng."));
        assert!(errors.has_prefix("pass"));
        assert_eq!(
            errors.to_json(),
            json!({"error": INVALID_SUMMARY, "errors": {
                "password": "Mật khẩu cần ít nhất 8 ký tự.",
                "username": "Tên đăng nhập này đã có người dùng.",
            }})
        );
        assert_eq!(FieldErrors::with_summary("Không sửa được.").to_json(), json!({"error": "Không sửa được."}));
    }

    #[test]
    fn field_names_may_come_from_data() {
        // The report form's fields are named from the catalogue: `CODE.ORG`.
        let mut errors = FieldErrors::new();
        errors.set(format!("{}.{}", "DVHV_HIEN_CO", "HND"), "Số không đọc được.");
        errors.add("version", "Báo cáo vừa được lưu.");
        assert!(errors.has("DVHV_HIEN_CO.HND"));
        assert_eq!(errors.fields_except("version"), vec!["DVHV_HIEN_CO.HND"]);
        assert_eq!(
            errors.messages_json(),
            json!({"DVHV_HIEN_CO.HND": "Số không đọc được.", "version": "Báo cáo vừa được lưu."})
        );
    }

    /// The shared field macros (`templates/macros/fields.html`): a refused field is marked and
    /// described by its message, the input is kept, the summary links to the field.
    #[test]
    fn the_field_macros_mark_a_refused_field_and_keep_the_input() {
        use askama::Template;

        #[derive(Template)]
        #[template(
            source = r#"{% import "macros/fields.html" as f %}{% call f::summary(errors) %}{% endcall %}
{% call f::input("number", "number", "Số", typed, errors.get("number"), required = true) %}Ví dụ <strong>25-NQ/TW</strong>.{% endcall %}
{% call f::input("f-name", "name", "Tên", "", errors.get("name"), help_id = true) %}Gợi ý{% endcall %}"#,
            ext = "html"
        )]
        struct Form<'a> {
            errors: &'a FieldErrors,
            typed: &'a str,
        }

        let mut errors = FieldErrors::new();
        errors.add("number", "Thiếu dấu “/”.");
        errors.add("version", "Đã có người sửa.");
        let html = Form { errors: &errors, typed: "25<NQ" }.render().expect("render");
        assert!(html.contains(r##"<li><a href="#number">Thiếu dấu “/”.</a></li>"##), "{html}");
        assert!(html.contains(r#"<p id="version-error">Đã có người sửa.</p>"#), "{html}");
        assert!(html.contains(r#"<p class="help">Ví dụ <strong>25-NQ/TW</strong>.</p>"#), "{html}");
        assert!(
            html.contains(
                r#"<input id="number" name="number" value="25&#60;NQ" required class="invalid" aria-invalid="true" aria-describedby="number-error"><p class="field-error" id="number-error">Thiếu dấu “/”.</p>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<p class="help" id="f-name-help">Gợi ý</p><input id="f-name" name="name" value="" aria-describedby="f-name-help"></div>"#),
            "{html}"
        );
    }

    #[test]
    fn a_refused_page_takes_the_status_unless_it_failed_to_render() {
        let page = axum::response::Html("<form></form>").into_response();
        assert_eq!(AppError::invalid_page(page).into_response().status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = axum::response::Html("<form></form>").into_response();
        assert_eq!(AppError::conflict_page(page).into_response().status(), StatusCode::CONFLICT);
        let failed = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        assert_eq!(AppError::invalid_page(failed).into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        let ok = axum::response::Html("<p></p>").into_response();
        assert_eq!(
            page_with_status(StatusCode::TOO_MANY_REQUESTS, ok).map(|r| r.status()).ok(),
            Some(StatusCode::TOO_MANY_REQUESTS)
        );
    }

    #[test]
    fn refused_fields_answer_json_with_the_page_message() {
        let response = AppError::conflict("Báo cáo đang ở trạng thái “Đã gửi”: không sửa được.").into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let content_type = response.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        assert_eq!(content_type, Some("application/json"));
        let page = response.extensions().get::<ErrorPage>().map(|p| p.message.clone());
        assert_eq!(page.as_deref(), Some("Báo cáo đang ở trạng thái “Đã gửi”: không sửa được."));
    }

    #[test]
    fn a_database_error_other_than_the_constraint_is_never_field_text() {
        let mut errors = FieldErrors::new();
        let result: Result<i32, sqlx::Error> = Err(sqlx::Error::RowNotFound);
        let mapped = result.on_constraint_field("users_username", &mut errors, "username", "đã có");
        assert!(errors.is_empty(), "no message next to the field");
        let Err(error) = mapped else { panic!("the error stays an error") };
        assert_eq!(error.into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        let result: Result<i32, sqlx::Error> = Err(sqlx::Error::RowNotFound);
        let mapped = result.on_constraint("users_username", || AppError::conflict("đã có"));
        assert!(matches!(mapped, Err(AppError::Database(_))));
        let ok: Result<i32, sqlx::Error> = Ok(7);
        assert_eq!(ok.on_constraint_field("users_username", &mut errors, "username", "đã có").ok().flatten(), Some(7));
    }
}
