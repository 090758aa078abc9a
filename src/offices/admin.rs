//! `/admin/offices`: administrators list the offices recorded for the units of their subtree,
//! look up the office a unit has on a date (recorded or derived), and record or correct one,
//! with its validity dates. Who may: an administrator whose subtree holds the unit (the
//! `ManageUsers` rule of `auth::authz`, which is "administers this subtree").

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Office, OfficeFields, OfficeId, SaveProblem};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::units::{self, Unit, queries};
use crate::web::{AppState, Flash, Layout, render};

/// Longest heading line, symbol or name accepted.
const MAX_LINE: usize = 200;
/// Longest list of recipients accepted.
const MAX_RECIPIENTS: usize = 4000;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// A unit code to look up (with `date`), or text to filter the recorded offices by.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    date: String,
}

/// The office a unit has on the looked-up date.
pub struct LookedUp {
    pub unit: Unit,
    pub office: Office,
    pub date: NaiveDate,
    pub new_href: String,
}

impl LookedUp {
    pub fn date_text(&self) -> String {
        crate::format::date(self.date)
    }
}

pub struct Row {
    pub office: Office,
    pub unit: Unit,
}

#[derive(Template)]
#[template(path = "offices/index.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    rows: Vec<Row>,
    looked_up: Option<LookedUp>,
    lookup_error: Option<String>,
}

/// GET /admin/offices: the recorded offices of the administrator's subtree; with `unit` (a
/// code) also the office that unit has on `date` (default today), recorded or derived.
pub async fn list(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    let within = admin.unit.as_ref().map(|u| u.path.as_str());
    let mut looked_up = None;
    let mut lookup_error = None;
    let typed = query.unit.trim();
    let is_code = !typed.is_empty() && (typed.chars().all(|c| c.is_ascii_digit()) || typed == units::NATIONAL_CODE);
    if is_code {
        match lookup(&state, &admin, typed, &query.date).await? {
            Ok(found) => looked_up = Some(found),
            Err(message) => lookup_error = Some(message),
        }
    }
    let filter = if is_code { "" } else { typed };
    let rows = super::stored_within(&state.pool, within, filter)
        .await?
        .into_iter()
        .filter(|(_, unit)| !is_code || looked_up.as_ref().is_none_or(|l| l.unit.id == unit.id))
        .map(|(office, unit)| Row { office, unit })
        .collect();
    Ok(render(&ListPage { layout, query, rows, looked_up, lookup_error }))
}

async fn lookup(
    state: &AppState,
    admin: &CurrentUser,
    code: &str,
    date_text: &str,
) -> AppResult<Result<LookedUp, String>> {
    let date = match date_text.trim() {
        "" => units::today(),
        text => match units::parse_date(text) {
            Some(date) => date,
            None => return Ok(Err("Ngày không hợp lệ: nhập theo dạng 01/07/2025.".to_owned())),
        },
    };
    let unit = match units::resolve_for_person(&state.pool, code, date).await {
        Ok(Some(unit)) => unit,
        Ok(None) => {
            return Ok(Err(
                "Cơ quan cấp Trung ương không ghi nhận ở đây: tên cơ quan toàn quốc là cấu hình của hệ thống."
                    .to_owned(),
            ));
        }
        Err(message) => return Ok(Err(message)),
    };
    if !authz::can(admin, Action::AdministerUnit, Some(Place::from(&unit))) {
        return Ok(Err(format!("{} ({}) nằm ngoài phạm vi bạn quản trị.", unit.name, unit.code)));
    }
    let office = super::in_force(&state.pool, &unit, date).await?;
    let new_href = format!("/admin/offices/new?unit={}&date={}", unit.code, unit.a_valid_date(date));
    Ok(Ok(LookedUp { unit, office, date, new_href }))
}

/// What the administrator typed, kept as typed so the form comes back intact.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OfficeForm {
    #[serde(default)]
    unit_code: String,
    /// The date on which the code names the unit meant (codes are reused across the reform).
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    superior: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    on_behalf: String,
    #[serde(default)]
    signer_position: String,
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: i32,
}

impl OfficeForm {
    fn from_office(unit: &Unit, office: &Office, as_of: NaiveDate) -> Self {
        OfficeForm {
            unit_code: unit.code.clone(),
            as_of: as_of.to_string(),
            valid_from: office.valid_from.map(|d| d.to_string()).unwrap_or_default(),
            valid_to: office.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            superior: office.superior.clone(),
            name: office.name.clone(),
            symbol: office.symbol.clone(),
            display_name: office.display_name.clone(),
            on_behalf: office.on_behalf.clone(),
            signer_position: office.signer_position.clone(),
            recipients: office.recipients.join("\n"),
            note: office.note.clone(),
            version: office.version,
        }
    }
}

#[derive(Template)]
#[template(path = "offices/form.html")]
struct FormPage {
    layout: Layout,
    /// The row being edited (None: a new one).
    editing: Option<OfficeId>,
    /// The unit, once known (always when editing).
    unit: Option<Unit>,
    form: OfficeForm,
    errors: FieldErrors,
    /// Set when the form was prefilled from the derived default.
    derived: bool,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

fn form_page(
    layout: Layout,
    editing: Option<OfficeId>,
    unit: Option<Unit>,
    form: OfficeForm,
    errors: FieldErrors,
    derived: bool,
) -> AppResult<Response> {
    let invalid = !errors.is_empty();
    crate::error::page_or_invalid(render(&FormPage { layout, editing, unit, form, errors, derived }), invalid)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    date: String,
}

/// GET /admin/offices/new?unit=91&date=2025-07-01: the form, prefilled with the office the unit
/// has on that date (recorded or derived) when no row covers it yet.
pub async fn new_form(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Query(query): Query<NewQuery>,
) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    if query.unit.trim().is_empty() {
        let form = OfficeForm { as_of: units::today().to_string(), ..OfficeForm::default() };
        return form_page(layout, None, None, form, FieldErrors::new(), false);
    }
    let date = units::parse_date(&query.date).unwrap_or_else(units::today);
    let unit = match units::resolve_for_person(&state.pool, &query.unit, date).await {
        Ok(Some(unit)) => unit,
        Ok(None) | Err(_) => return Err(AppError::NotFound),
    };
    authz::authorize(&admin, Action::AdministerUnit, Some(Place::from(&unit)))?;
    let office = super::in_force(&state.pool, &unit, date).await?;
    if let Some(id) = office.id {
        // A row already covers the date: edit it rather than make an overlapping one.
        return Ok(Redirect::to(&format!("/admin/offices/{id}")).into_response());
    }
    let form = OfficeForm::from_office(&unit, &office, unit.a_valid_date(date));
    form_page(layout, None, Some(unit), form, FieldErrors::new(), true)
}

fn parse_optional_date(text: &str, field: &'static str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    errors.optional(field, text, "Ngày không hợp lệ: nhập theo dạng 01/07/2025.", units::parse_date)
}

/// Checks the fields of a row for `unit`; every problem goes next to its field.
/// `unit` is `None` while the unit code is wrong: the other fields are still checked, so that
/// every message shows at once.
fn check_fields(form: &OfficeForm, unit: Option<&Unit>, errors: &mut FieldErrors) -> OfficeFields {
    let valid_from = parse_optional_date(&form.valid_from, "valid_from", errors);
    let valid_to = parse_optional_date(&form.valid_to, "valid_to", errors);
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && from > to
    {
        errors.set("valid_to", "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.".to_owned());
    }
    // The office lives within its unit's life.
    if !errors.has("valid_from")
        && let Some(unit) = unit
        && let Some(unit_from) = unit.valid_from
        && valid_from.is_none_or(|from| from < unit_from)
    {
        errors.set(
            "valid_from",
            format!(
                "{} có hiệu lực từ {}: ngày bắt đầu của cơ quan không được sớm hơn.",
                unit.name,
                crate::format::date(unit_from)
            ),
        );
    }
    if !errors.has("valid_to")
        && let Some(unit) = unit
        && let Some(unit_to) = unit.valid_to
        && valid_to.is_none_or(|to| to > unit_to)
    {
        errors.set(
            "valid_to",
            format!(
                "{} kết thúc hoạt động ngày {}: ngày kết thúc của cơ quan không được muộn hơn.",
                unit.name,
                crate::format::date(unit_to)
            ),
        );
    }
    // A line with its spaces folded, at most MAX_LINE characters; `line` also refuses an empty one.
    let optional = |value: &str, field: &'static str, errors: &mut FieldErrors| {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.chars().count() > MAX_LINE {
            errors.set(field, format!("Dài quá {MAX_LINE} ký tự."));
        }
        value
    };
    let line = |value: &str, field: &'static str, missing: &str, errors: &mut FieldErrors| {
        let value = optional(value, field, errors);
        if value.is_empty() {
            errors.set(field, missing.to_owned());
        }
        value
    };
    let superior = line(
        &form.superior,
        "superior",
        "Nhập cơ quan cấp trên (dòng thứ nhất của tiêu đề), ví dụ TỈNH ỦY AN GIANG.",
        errors,
    );
    let name = line(
        &form.name,
        "name",
        "Nhập tên cơ quan (dòng thứ hai của tiêu đề), ví dụ BAN TUYÊN GIÁO VÀ DÂN VẬN.",
        errors,
    );
    let symbol = line(&form.symbol, "symbol", "Nhập ký hiệu dùng trong số văn bản, ví dụ BTGDVTU.", errors);
    if !errors.has("symbol") && symbol.chars().any(|c| c.is_whitespace() || c == '/') {
        errors.set("symbol", "Ký hiệu viết liền, không có dấu cách hay dấu /, ví dụ BTGDVTU.".to_owned());
    }
    let display_name = line(
        &form.display_name,
        "display_name",
        "Nhập tên hiển thị trên trang, ví dụ Ban Tuyên giáo và Dân vận Tỉnh ủy An Giang.",
        errors,
    );
    let on_behalf = optional(&form.on_behalf, "on_behalf", errors);
    let signer_position = optional(&form.signer_position, "signer_position", errors);
    let note = optional(&form.note, "note", errors);
    let recipients = super::recipient_lines(&form.recipients).join("\n");
    if recipients.chars().count() > MAX_RECIPIENTS {
        errors.set("recipients", format!("Danh sách nơi nhận dài quá {MAX_RECIPIENTS} ký tự."));
    }
    OfficeFields {
        valid_from,
        valid_to,
        superior,
        name,
        symbol,
        display_name,
        on_behalf,
        signer_position,
        recipients,
        note,
    }
}

/// The message for an overlapping period, naming the rows it overlaps.
async fn overlap_message(state: &AppState, unit: &Unit, except: Option<OfficeId>) -> AppResult<String> {
    let others: Vec<String> = super::stored_within(&state.pool, Some(&unit.path), "")
        .await?
        .into_iter()
        .filter(|(office, u)| u.id == unit.id && office.id != except)
        .map(|(office, _)| format!("{} ({})", office.display_name, office.validity_text()))
        .collect();
    Ok(format!(
        "Khoảng thời gian này trùng với cơ quan đã ghi nhận của đơn vị: {}. Mỗi thời điểm chỉ có một cơ quan; hãy sửa ngày của bản ghi kia trước.",
        others.join("; ")
    ))
}

/// POST /admin/offices: records an office for a unit of the administrator's subtree.
pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<OfficeForm>,
) -> AppResult<Response> {
    authz::authorize(&admin, Action::ManageUsers, admin.own_place())?;
    let mut errors = FieldErrors::new();
    let found =
        units::resolve_typed(&state.pool, &form.unit_code, &form.as_of, units::today(), "01/07/2025", &mut errors)
            .await;
    let unit = match found {
        Some(Some(found)) if authz::can(&admin, Action::AdministerUnit, Some(Place::from(&found))) => Some(found),
        Some(Some(_)) => {
            errors.set("unit_code", "Đơn vị này nằm ngoài phạm vi bạn quản trị.".to_owned());
            None
        }
        Some(None) => {
            errors.set(
                "unit_code",
                "Cơ quan cấp Trung ương không ghi nhận ở đây: nhập mã tỉnh, huyện hoặc xã.".to_owned(),
            );
            None
        }
        None => None,
    };
    let Some(unit) = unit else {
        check_fields(&form, None, &mut errors);
        return form_page(layout, None, None, form, errors, false);
    };
    let fields = check_fields(&form, Some(&unit), &mut errors);
    if !errors.is_empty() {
        return form_page(layout, None, Some(unit), form, errors, false);
    }
    let mut tx = state.pool.begin().await?;
    let id = match super::insert(&mut tx, unit.id, &fields, Some(admin.id)).await? {
        Ok(id) => id,
        Err(_) => {
            tx.rollback().await.ok();
            errors.set("valid_from", overlap_message(&state, &unit, None).await?);
            return form_page(layout, None, Some(unit), form, errors, false);
        }
    };
    let after = super::by_id_in(&mut *tx, id).await?;
    let entry = Entry {
        action: "create",
        entity: "office",
        entity_id: id.to_string(),
        unit_id: Some(unit.id),
        before: None,
        after: after.as_ref().and_then(|o| serde_json::to_value(o).ok()),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    super::clear_header_cache();
    Ok(Flash::success(&format!("Đã ghi nhận cơ quan {} của {}.", fields.display_name, unit.name))
        .redirect(&format!("/admin/offices/{id}")))
}

/// The row and its unit, if the unit lies in the administrator's subtree; otherwise the row
/// does not exist for them.
async fn managed(state: &AppState, admin: &CurrentUser, id: OfficeId) -> AppResult<(Office, Unit)> {
    let office = super::by_id(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let unit = queries::by_id(&state.pool, office.unit_id).await?.ok_or(AppError::NotFound)?;
    authz::authorize_or_hide(admin, Action::AdministerUnit, Some(Place::from(&unit)))?;
    Ok((office, unit))
}

pub async fn edit_form(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(id): Path<OfficeId>,
) -> AppResult<Response> {
    let (office, unit) = managed(&state, &admin, id).await?;
    let form = OfficeForm::from_office(&unit, &office, unit.a_valid_date(units::today()));
    form_page(layout, Some(id), Some(unit), form, FieldErrors::new(), false)
}

/// POST /admin/offices/{id}: saves over the version the form was opened from.
pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(id): Path<OfficeId>,
    Form(form): Form<OfficeForm>,
) -> AppResult<Response> {
    let (before, unit) = managed(&state, &admin, id).await?;
    // The unit of a row does not change: the form shows it read-only.
    let form = OfficeForm { unit_code: unit.code.clone(), ..form };
    let mut errors = FieldErrors::new();
    let fields = check_fields(&form, Some(&unit), &mut errors);
    if before.version != form.version {
        errors.set(
            "version",
            format!(
                "Bản ghi vừa được người khác sửa (nay là phiên bản {}). Nội dung bạn gõ vẫn ở dưới; hãy tải lại trang để xem bản mới rồi sửa lại.",
                before.version
            ),
        );
    }
    if !errors.is_empty() {
        return form_page(layout, Some(id), Some(unit), form, errors, false);
    }
    let mut tx = state.pool.begin().await?;
    match super::update(&mut tx, id, form.version, &fields, Some(admin.id)).await? {
        Ok(()) => {}
        Err(SaveProblem::Overlap) => {
            tx.rollback().await.ok();
            errors.set("valid_from", overlap_message(&state, &unit, Some(id)).await?);
            return form_page(layout, Some(id), Some(unit), form, errors, false);
        }
        Err(SaveProblem::Stale) => {
            tx.rollback().await.ok();
            errors.set(
                "version",
                "Bản ghi vừa được người khác sửa. Nội dung bạn gõ vẫn ở dưới; hãy tải lại trang để xem bản mới."
                    .to_owned(),
            );
            return form_page(layout, Some(id), Some(unit), form, errors, false);
        }
    }
    let after = super::by_id_in(&mut *tx, id).await?;
    let entry = Entry {
        action: "update",
        entity: "office",
        entity_id: id.to_string(),
        unit_id: Some(unit.id),
        before: serde_json::to_value(&before).ok(),
        after: after.as_ref().and_then(|o| serde_json::to_value(o).ok()),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await?;
    tx.commit().await?;
    super::clear_header_cache();
    Ok(Flash::success("Đã lưu thay đổi của cơ quan.").redirect(&format!("/admin/offices/{id}")))
}
