//! `POST /reports/{unit}/{period}/review`: the reviewer's moves (duyệt, trả lại, mở lại) on the
//! version they saw, with their remarks.

use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::field_value;
use super::form::{Extras, form_page, stored_state};
use crate::auth::CurrentUser;
use crate::auth::authz::Action;
use crate::error::{AppError, AppResult};
use crate::reports::ReportAddress;
use crate::reports::changes::describe_changes;
use crate::reports::store;
use crate::reports::workflow::{self, Remarks};
use crate::web::{AppState, Flash, Layout};

/// Duyệt / trả lại / mở lại. The form carries the version the reviewer saw: a report that
/// changed since is not acted on (409, with what changed and the remarks as typed).
pub async fn review(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    address: ReportAddress,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let unit = address.locate_for(&state.pool, &user, Action::ReviewReport).await?;
    let quarter = address.quarter;
    let Ok(seen) = field_value(&fields, "version").parse::<i32>() else {
        return Err(AppError::BadRequest(
            "Thiếu phiên bản báo cáo bạn đã xem; tải lại trang rồi thao tác lại.".to_owned(),
        ));
    };
    let action = field_value(&fields, "action").to_owned();
    let remarks = Remarks {
        general: field_value(&fields, "remarks").trim().to_owned(),
        fields: fields
            .iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix("r.")?;
                (!value.trim().is_empty()).then(|| (key.to_owned(), value.trim().to_owned()))
            })
            .collect(),
    };
    let mut tx = state.pool.begin().await?;
    let Some(report) = store::find_for_update(&mut tx, unit.id, quarter).await? else {
        return Err(AppError::BadRequest("Đơn vị chưa có báo cáo kỳ này.".to_owned()));
    };
    let kept_typing = |notice: String, conflict: Vec<String>| Extras {
        notice: Some(notice),
        conflict,
        review_remarks: remarks.general.clone(),
        review_field_remarks: remarks.fields.clone(),
        ..Extras::default()
    };
    if report.version != seen {
        tx.rollback().await?;
        let catalogue = crate::reports::catalogue(&state).await?;
        let opened = store::snapshot(&state.pool, report.id, seen).await?.unwrap_or_default();
        let now = store::snapshot(&state.pool, report.id, report.version).await?.unwrap_or_default();
        let changes = describe_changes(&catalogue, &opened, &now);
        let notice = "Chưa thực hiện: báo cáo đã thay đổi từ khi bạn mở. Xem các thay đổi và báo cáo hiện tại \
                      bên dưới rồi thao tác lại; ý kiến bạn đã gõ vẫn còn."
            .to_owned();
        let form = stored_state(&state, &unit, Some(&report)).await?;
        let extras = kept_typing(notice, changes);
        let page = form_page(&state, layout, &user, unit, quarter, Some(&report), form, extras).await?;
        return Err(AppError::conflict_page(page));
    }
    let transition = match workflow::check_review(&action, report.status, &remarks) {
        Ok(legal) => legal,
        Err(problem) => {
            tx.rollback().await?;
            let form = stored_state(&state, &unit, Some(&report)).await?;
            let extras = kept_typing(problem.to_owned(), Vec::new());
            let page = form_page(&state, layout, &user, unit, quarter, Some(&report), form, extras).await?;
            return Err(AppError::invalid_page(page));
        }
    };
    let change = workflow::make_move(&mut tx, (&unit, quarter), &report, transition, &remarks, &user).await?;
    tx.commit().await?;
    state.aggregates.apply(&change);
    let to = transition.to().label().to_lowercase();
    let message = format!("Báo cáo {} của {}: {to}.", quarter.label(), unit.name);
    Ok(Flash::success(&message).redirect(&format!("/reports/{}/{}", unit.code, quarter.code())))
}
