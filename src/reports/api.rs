//! `GET`/`PUT /api/v1/reports/{unit_code}/{period}`: the same permissions and validation as
//! the form, in JSON. Values are numbers or Vietnamese-formatted strings ("1.234", "51,95").
//!
//! `GET` lists the fields of the unit's level today under `values` (null when empty), and under
//! `other_values` every stored figure that is not such a field any more (its element or
//! organisation was retired, or the element's levels or breakdown changed): those stay stored.
//!
//! `PUT` replaces only the keys it names in `values` (null or "" removes one); every other
//! stored figure stays, `other_values` included: a key that is not a field of the level today
//! is refused, never removed. `narrative`, when sent, replaces all five sections. This is the
//! same rule as the form, which replaces only the fields it showed.
//!
//! The API says what the form says: text typed on the form that could not be read is returned
//! under `unread` beside the field's `null` (`"unread": {"DUONG_GTNT_KM": "12.212,12.5"}`); a
//! `PUT` with such text is refused (422) with the field's message under `errors` and the text
//! under `unread`. Rules that do not hold are listed under `problems` with the figures of both
//! sides (`working`, `left`, `right`), judged on the report as it stands after the `PUT`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::address::AddressRejection;
use super::entry::{self, Input};
use super::store::{self, Draft, Narrative, SaveError};
use super::workflow::{self, Author, DraftSave, Origin};
use super::{Period, Quarter, ReportAddress};
use crate::auth::CurrentUser;
use crate::auth::authz::Action;
use crate::catalogue::{Catalogue, Severity};
use crate::error::{AppError, FieldErrors};
use crate::figures;
use crate::units::Unit;
use crate::web::AppState;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn from_app_error(failure: AppError) -> Response {
    match failure {
        AppError::NotFound => error_response_404(),
        AppError::NotFoundWith(message) => error(StatusCode::NOT_FOUND, &message),
        AppError::Forbidden => error(StatusCode::FORBIDDEN, "Không có quyền với báo cáo của đơn vị này."),
        AppError::BadRequest(message) => error(StatusCode::BAD_REQUEST, &message),
        // The database away: 503 with Retry-After (the error layer words it in JSON under /api/).
        AppError::Database(e) if crate::error::is_unavailable(&e) => AppError::Database(e).into_response(),
        AppError::Internal(e) if crate::error::is_unavailable_any(&e) => AppError::Internal(e).into_response(),
        // Refusals answer for themselves: JSON `{"error", "errors"}` with 409 or 422.
        refused @ (AppError::Conflict(_) | AppError::Unprocessable(_)) => refused.into_response(),
        other => {
            tracing::error!(error = %other, "lỗi API báo cáo");
            error(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống; dữ liệu không bị thay đổi.")
        }
    }
}

fn error_response_404() -> Response {
    error(StatusCode::NOT_FOUND, "Không có đơn vị mang mã này trong kỳ báo cáo, hoặc kỳ không hợp lệ (viết 2021-Q1).")
}

async fn document(state: &AppState, address: &ReportAddress, user: &CurrentUser) -> Result<Value, AppError> {
    let unit = address.locate_for(&state.pool, user, Action::ViewData).await?;
    let catalogue = super::catalogue(state).await?;
    let quarter = address.quarter;
    let report = store::find(&state.pool, unit.id, quarter).await?;
    let stored = match &report {
        Some(r) => store::values(&state.pool, r.id).await?,
        None => BTreeMap::new(),
    };
    Ok(document_of(&unit, address.period(), &catalogue, report.as_ref(), &stored))
}

/// The report as the API shows it, from what the caller has already read.
fn document_of(
    unit: &Unit,
    period: Period,
    catalogue: &Catalogue,
    report: Option<&store::Report>,
    stored: &BTreeMap<String, Decimal>,
) -> Value {
    // Catalogue order, so that readers see the figures as the form shows them.
    let mut values = Map::new();
    for field in entry::fields(catalogue, unit.level) {
        let value = stored.get(&field.key).map(|v| figures::json(*v)).unwrap_or(Value::Null);
        values.insert(field.key, value);
    }
    // Figures kept from an earlier catalogue: not fields of the form, still stored.
    let other_values: Map<String, Value> = stored
        .iter()
        .filter(|(key, _)| !values.contains_key(*key))
        .map(|(k, v)| (k.clone(), figures::json(*v)))
        .collect();
    // What was typed on the form and could not be read: the form shows it in the field, so
    // the API says it beside the field's null.
    let unread: Map<String, Value> = report
        .map(|r| unread(&r.raw_inputs.0, stored))
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| values.contains_key(key))
        .map(|(key, text)| (key, Value::String(text)))
        .collect();
    let narrative = report.map(|r| r.narrative()).unwrap_or_default();
    json!({
        "unit": { "code": unit.code, "name": unit.name, "level": unit.level },
        "period": period.code(),
        "period_label": period.label(),
        "status": report.map_or(super::workflow::Status::Draft, |r| r.status),
        "version": report.map(|r| r.version).unwrap_or(0),
        "values": values,
        "other_values": other_values,
        "unread": unread,
        "narrative": narrative,
    })
}

/// The typed text of the fields that hold no figure: input the form kept because it could not
/// be read (typed text of a figure that was read is not listed).
pub fn unread(raw_inputs: &BTreeMap<String, String>, stored: &BTreeMap<String, Decimal>) -> BTreeMap<String, String> {
    raw_inputs
        .iter()
        .filter(|(key, text)| !stored.contains_key(*key) && !text.trim().is_empty())
        .map(|(key, text)| (key.clone(), text.clone()))
        .collect()
}

/// A rule that does not hold, as the API reports it: the message the form shows, and the two
/// sides' values.
fn problem(rule: &entry::RuleOutcome) -> Value {
    json!({
        "rule": rule.code,
        "message": rule.message,
        "working": rule.working,
        "left": figures::json(rule.left),
        "right": figures::json(rule.right),
        "severity": if rule.is_error { Severity::Error } else { Severity::Warning },
    })
}

/// The API's answer to an address that names no report. The handlers take the address as a
/// `Result` so that its refusals are worded as the API's other answers (JSON, with the API's
/// own 404 message for a period that names no quarter).
fn refusal(rejection: AddressRejection) -> Response {
    match rejection {
        AddressRejection::Refused(error) => from_app_error(error),
        unreadable @ AddressRejection::Path(_) => unreadable.into_response(),
    }
}

pub async fn get_report(
    State(state): State<AppState>,
    user: CurrentUser,
    address: Result<ReportAddress, AddressRejection>,
) -> Response {
    let address = match address {
        Ok(address) => address,
        Err(rejection) => return refusal(rejection),
    };
    match document(&state, &address, &user).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => from_app_error(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PutBody {
    version: i32,
    #[serde(default)]
    values: BTreeMap<String, Value>,
    narrative: Option<Narrative>,
}

pub async fn put_report(
    State(state): State<AppState>,
    user: CurrentUser,
    address: Result<ReportAddress, AddressRejection>,
    body: Result<Json<PutBody>, JsonRejection>,
) -> Response {
    let address = match address {
        Ok(address) => address,
        Err(rejection) => return refusal(rejection),
    };
    // Scope first: outside it, nothing about the body is worth saying.
    let unit = match address.locate_for(&state.pool, &user, Action::EnterReport).await {
        Ok(unit) => unit,
        Err(e) => return from_app_error(e),
    };
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => {
            let message =
                format!("JSON không hợp lệ: cần {{\"version\": n, \"values\": {{...}}}} ({})", rejection.body_text());
            return AppError::invalid(FieldErrors::with_summary(message)).into_response();
        }
    };
    match put(&state, &user, (unit, address.quarter), body).await {
        Ok(response) => response,
        Err(e) => from_app_error(e),
    }
}

/// The save itself, on a unit and quarter already located and checked against the user's scope.
/// About a dozen round trips in all (session, unit, catalogue generation, the stored report
/// and its figures, the save's fixed statements and its audit entry; the figures saved come
/// back from the save).
async fn put(
    state: &AppState,
    user: &CurrentUser,
    (unit, quarter): (Unit, Quarter),
    body: PutBody,
) -> Result<Response, AppError> {
    let catalogue = super::catalogue(state).await?;
    let mut inputs = BTreeMap::new();
    let mut cleared = Vec::new();
    for (key, value) in &body.values {
        let input = match value {
            Value::Null => {
                cleared.push(key.clone());
                continue;
            }
            Value::String(text) if text.trim().is_empty() => {
                cleared.push(key.clone());
                continue;
            }
            Value::String(text) => Input::Text(text.clone()),
            Value::Number(n) => Input::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::Bool(b) => Input::Bool(*b),
            _ => Input::Text(value.to_string()),
        };
        inputs.insert(key.clone(), input);
    }
    let existing = store::find(&state.pool, unit.id, quarter).await?;
    let notes = existing.as_ref().map(|r| r.rule_notes.0.clone()).unwrap_or_default();
    let checked = entry::check(&catalogue, unit.level, &inputs, &notes);
    // The rules judge the report as it stands after this PUT: stored figures, with the keys it
    // names replaced.
    let mut merged = match &existing {
        Some(report) => store::values(&state.pool, report.id).await?,
        None => BTreeMap::new(),
    };
    merged.retain(|key, _| !cleared.contains(key) && !inputs.contains_key(key));
    merged.extend(checked.values.iter().map(|(key, value)| (key.clone(), *value)));
    let rules = entry::run_rules(&catalogue, unit.level, &merged, &notes);
    let level_keys: Vec<String> = entry::fields(&catalogue, unit.level).into_iter().map(|f| f.key).collect();
    let mut errors = checked.errors.clone();
    for key in &cleared {
        if !level_keys.contains(key) {
            errors.set(key.clone(), "Chỉ tiêu này không có trong báo cáo của cấp đơn vị này.");
        }
    }
    if !errors.is_empty() {
        // What was sent for each figure that could not be read, as the form keeps it in the field.
        let unread: Map<String, Value> = body
            .values
            .iter()
            .filter(|(key, _)| errors.has(key) && level_keys.contains(*key))
            .map(|(key, value)| {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (key.clone(), Value::String(text))
            })
            .collect();
        let problems: Vec<Value> = rules.iter().map(problem).collect();
        let body = json!({
            "error": "Dữ liệu không hợp lệ; chưa lưu gì.",
            "errors": errors.messages_json(),
            "unread": unread,
            "problems": problems,
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let draft = Draft {
        values: checked.values.clone(),
        cleared,
        raw_inputs: BTreeMap::new(),
        narrative: body.narrative.clone(),
        rule_notes: None,
        tasks: None,
    };
    let mut tx = state.pool.begin().await?;
    let save = DraftSave { unit: &unit, quarter, expected_version: body.version, draft: &draft, origin: Origin::Api };
    let saved = match workflow::save_draft(&mut tx, save, &Author::user(user)).await {
        Ok(saved) => {
            tx.commit().await?;
            saved
        }
        Err(SaveError::Stale { current }) => {
            tx.rollback().await?;
            let mut changes = Vec::new();
            if let Some(report) = &existing {
                let opened = store::snapshot(&state.pool, report.id, body.version).await?.unwrap_or_default();
                let now = store::snapshot(&state.pool, report.id, current).await?.unwrap_or_default();
                changes = super::changes::describe_changes(&catalogue, &opened, &now);
            }
            let body = json!({
                "error": "Báo cáo đã được lưu bởi người khác sau phiên bản bạn gửi; tải lại rồi sửa tiếp.",
                "current_version": current,
                "changes": changes,
            });
            return Ok((StatusCode::CONFLICT, Json(body)).into_response());
        }
        Err(SaveError::Locked(status)) => {
            tx.rollback().await?;
            return Err(AppError::conflict(format!("Báo cáo đang ở trạng thái “{}”: không sửa được.", status.label())));
        }
        Err(SaveError::Database(e)) => return Err(e.into()),
    };
    // The figures as saved come back from the save: no query to read them again.
    let mut document = document_of(&unit, quarter.into(), &catalogue, Some(&saved.report), &saved.values);
    let problems: Vec<Value> = rules.iter().map(problem).collect();
    if let Some(map) = document.as_object_mut() {
        map.insert("problems".to_owned(), Value::Array(problems));
    }
    Ok(Json(document).into_response())
}
