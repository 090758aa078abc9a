//! Import and export of values in the documented template
//! (`unit_code, period, element_code, organisation, value`).

use axum::extract::{Path, State};
use axum::response::Response;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::web::AppState;

pub async fn export_values(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, year_text)): Path<(String, String)>,
) -> AppResult<Response> {
    let (year, _ext) = super::split_year(&year_text)?;
    let _unit = super::unit_for_year(&state, &user, &code, year).await?;
    Err(AppError::BadRequest("Chưa hỗ trợ.".into()))
}

pub async fn import_page(_user: CurrentUser) -> AppResult<Response> {
    Err(AppError::BadRequest("Chưa hỗ trợ.".into()))
}

pub async fn import_values(_user: CurrentUser) -> AppResult<Response> {
    Err(AppError::BadRequest("Chưa hỗ trợ.".into()))
}
