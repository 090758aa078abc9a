//! The catalogue pages under `/admin/catalogue`: administrators of the country or of a province
//! edit organisations, report sections, data elements, indicators and validation rules in the
//! browser. Every save checks the row's version, keeps the input on error and is audited.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::Form;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Indicator;
use super::expression::{Expression, ExpressionError};
use super::forms::{FieldErrors, check_code, checked, parse_integer, parse_number, show_number};
use super::store::{
    self, AGGREGATIONS, DISPLAYS, ElementRecord, LEVELS, OPERATORS, OrganisationRecord, RuleRecord, SEVERITIES,
    SectionRecord, VALUE_TYPES,
};
use crate::audit::{self, Entry};
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::error::{AppError, AppResult};
use crate::web::routes::{Access, RouteSpec};
use crate::web::{AppState, Flash, Layout, render};

const BASE: &str = "/admin/catalogue";

pub fn routes() -> Vec<RouteSpec> {
    use Access::Admin;
    let spec = RouteSpec::new;
    vec![
        spec(Method::GET, "/admin/catalogue", "/admin/catalogue", Admin, get(overview)),
        // Organisations.
        spec(
            Method::GET,
            "/admin/catalogue/organisations",
            "/admin/catalogue/organisations",
            Admin,
            get(organisation_list),
        ),
        spec(
            Method::GET,
            "/admin/catalogue/organisations/new",
            "/admin/catalogue/organisations/new",
            Admin,
            get(organisation_new),
        ),
        spec(
            Method::POST,
            "/admin/catalogue/organisations",
            "/admin/catalogue/organisations",
            Admin,
            post(organisation_create),
        ),
        spec(
            Method::GET,
            "/admin/catalogue/organisations/{code}",
            "/admin/catalogue/organisations/VD_TO_CHUC",
            Admin,
            get(organisation_edit),
        ),
        spec(
            Method::POST,
            "/admin/catalogue/organisations/{code}",
            "/admin/catalogue/organisations/VD_TO_CHUC",
            Admin,
            post(organisation_update),
        ),
        // Report sections.
        spec(Method::GET, "/admin/catalogue/sections", "/admin/catalogue/sections", Admin, get(section_list)),
        spec(Method::GET, "/admin/catalogue/sections/new", "/admin/catalogue/sections/new", Admin, get(section_new)),
        spec(Method::POST, "/admin/catalogue/sections", "/admin/catalogue/sections", Admin, post(section_create)),
        spec(
            Method::GET,
            "/admin/catalogue/sections/{code}",
            "/admin/catalogue/sections/VD_MUC",
            Admin,
            get(section_edit),
        ),
        spec(
            Method::POST,
            "/admin/catalogue/sections/{code}",
            "/admin/catalogue/sections/VD_MUC",
            Admin,
            post(section_update),
        ),
        // Data elements.
        spec(Method::GET, "/admin/catalogue/elements", "/admin/catalogue/elements", Admin, get(element_list)),
        spec(Method::GET, "/admin/catalogue/elements/new", "/admin/catalogue/elements/new", Admin, get(element_new)),
        spec(Method::POST, "/admin/catalogue/elements", "/admin/catalogue/elements", Admin, post(element_create)),
        spec(
            Method::GET,
            "/admin/catalogue/elements/{code}",
            "/admin/catalogue/elements/VD_SO_LIEU",
            Admin,
            get(element_edit),
        ),
        spec(
            Method::POST,
            "/admin/catalogue/elements/{code}",
            "/admin/catalogue/elements/VD_SO_LIEU",
            Admin,
            post(element_update),
        ),
        // Indicators.
        spec(Method::GET, "/admin/catalogue/indicators", "/admin/catalogue/indicators", Admin, get(indicator_list)),
        spec(
            Method::GET,
            "/admin/catalogue/indicators/new",
            "/admin/catalogue/indicators/new",
            Admin,
            get(indicator_new),
        ),
        spec(Method::POST, "/admin/catalogue/indicators", "/admin/catalogue/indicators", Admin, post(indicator_create)),
        spec(
            Method::GET,
            "/admin/catalogue/indicators/{code}",
            "/admin/catalogue/indicators/VD_CHI_SO",
            Admin,
            get(indicator_edit),
        ),
        spec(
            Method::POST,
            "/admin/catalogue/indicators/{code}",
            "/admin/catalogue/indicators/VD_CHI_SO",
            Admin,
            post(indicator_update),
        ),
        // Validation rules.
        spec(Method::GET, "/admin/catalogue/rules", "/admin/catalogue/rules", Admin, get(rule_list)),
        spec(Method::GET, "/admin/catalogue/rules/new", "/admin/catalogue/rules/new", Admin, get(rule_new)),
        spec(Method::POST, "/admin/catalogue/rules", "/admin/catalogue/rules", Admin, post(rule_create)),
        spec(Method::GET, "/admin/catalogue/rules/{code}", "/admin/catalogue/rules/VD_QUY_TAC", Admin, get(rule_edit)),
        spec(
            Method::POST,
            "/admin/catalogue/rules/{code}",
            "/admin/catalogue/rules/VD_QUY_TAC",
            Admin,
            post(rule_update),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared.

/// The catalogue belongs to the country and the provinces: only their administrators edit it.
fn guard(admin: &CurrentUser) -> AppResult<()> {
    authz::authorize(admin, Action::EditCatalogue, admin.unit.as_ref().map(Place::from))
}

/// The page with 422 when the input has errors, 409 when the row changed under the user.
fn respond<T: Template>(page: &T, errors: &FieldErrors) -> Response {
    let mut response = render(page);
    if errors.has("version") {
        *response.status_mut() = StatusCode::CONFLICT;
    } else if !errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

fn stale_message(current_version: i32) -> String {
    format!(
        "Mục này vừa được người khác lưu trong lúc bạn sửa (nay là phiên bản {current_version}); thay đổi của bạn \
         chưa được lưu. Nội dung bạn gõ vẫn còn bên dưới: hãy mở lại trang trong thẻ khác để xem bản mới nhất, \
         rồi bấm Lưu lần nữa nếu vẫn muốn ghi đè."
    )
}

const CODE_TAKEN: &str = "Mã này đã có trong danh mục: chọn mã khác.";

async fn record_change<T: Serialize>(
    tx: &mut sqlx::PgConnection,
    admin: &CurrentUser,
    entity: &str,
    code: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> sqlx::Result<()> {
    let action = if before.is_some() { "update" } else { "create" };
    let entry = Entry {
        action,
        entity,
        entity_id: code.to_owned(),
        unit_id: admin.unit.as_ref().map(|u| u.id),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: after.and_then(|a| serde_json::to_value(a).ok()),
    };
    audit::record(&mut *tx, &admin.actor(), entry).await
}

fn required(errors: &mut FieldErrors, field: &'static str, value: &str, message: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, message);
    }
    value.to_owned()
}

fn sort_order(errors: &mut FieldErrors, text: &str) -> i32 {
    match parse_integer(text, 0, -1_000_000..=1_000_000) {
        Some(value) => value as i32,
        None => {
            errors.add("sort_order", "Thứ tự là số nguyên, ví dụ 10.");
            0
        }
    }
}

/// "Mã số liệu X không có trong danh mục." — the expression error as a sentence.
fn sentence(error: &ExpressionError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

fn check_expression(errors: &mut FieldErrors, field: &'static str, text: &str, known: &[String]) -> Option<String> {
    let parsed = Expression::parse(text).and_then(|e| e.check_known(|c| known.iter().any(|k| k == c)).map(|_| e));
    match parsed {
        Ok(expression) => Some(expression.to_string()),
        Err(error) => {
            errors.add(field, sentence(&error));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Overview.

#[derive(Template)]
#[template(path = "indicators/overview.html")]
struct OverviewPage {
    layout: Layout,
    counts: store::Counts,
}

async fn overview(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let counts = store::counts(&state.pool).await?;
    Ok(render(&OverviewPage { layout, counts }))
}

// ---------------------------------------------------------------------------------------------
// Organisations.

#[derive(Template)]
#[template(path = "indicators/organisations.html")]
struct OrganisationListPage {
    layout: Layout,
    organisations: Vec<OrganisationRecord>,
}

async fn organisation_list(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let organisations = store::organisations(&state.pool).await?;
    Ok(render(&OrganisationListPage { layout, organisations }))
}

#[derive(Debug, Default, Deserialize)]
pub struct OrganisationForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i32,
}

impl OrganisationForm {
    fn from_record(o: &OrganisationRecord) -> Self {
        OrganisationForm {
            code: o.code.clone(),
            name: o.name.clone(),
            short_name: o.short_name.clone(),
            sort_order: o.sort_order.to_string(),
            active: o.active.then(|| "1".to_owned()),
            version: o.version,
        }
    }

    fn check(&self, code: Option<&str>, errors: &mut FieldErrors) -> OrganisationRecord {
        let code = match code {
            Some(code) => code.to_owned(),
            None => check_code(&self.code, 32).unwrap_or_else(|message| {
                errors.add("code", message);
                String::new()
            }),
        };
        OrganisationRecord {
            code,
            name: required(errors, "name", &self.name, "Nhập tên đầy đủ của tổ chức."),
            short_name: required(errors, "short_name", &self.short_name, "Nhập tên ngắn (dùng trong bảng số liệu)."),
            sort_order: sort_order(errors, &self.sort_order),
            active: checked(&self.active),
            version: self.version,
        }
    }
}

#[derive(Template)]
#[template(path = "indicators/organisation_form.html")]
struct OrganisationFormPage {
    layout: Layout,
    editing: Option<OrganisationRecord>,
    form: OrganisationForm,
    errors: FieldErrors,
}

async fn organisation_new(layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let form = OrganisationForm { active: Some("1".into()), ..OrganisationForm::default() };
    Ok(render(&OrganisationFormPage { layout, editing: None, form, errors: FieldErrors::default() }))
}

async fn organisation_create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<OrganisationForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut errors = FieldErrors::default();
    let record = form.check(None, &mut errors);
    let mut tx = state.pool.begin().await?;
    if errors.is_empty() && !store::insert_organisation(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        return Ok(respond(&OrganisationFormPage { layout, editing: None, form, errors: errors.clone() }, &errors));
    }
    let after = store::organisation(&mut *tx, &record.code).await?;
    record_change(&mut tx, &admin, "organisation", &record.code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm tổ chức {}.", record.code));
    Ok(flash.redirect(&format!("{BASE}/organisations/{}", record.code)))
}

async fn organisation_edit(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    guard(&admin)?;
    let record = store::organisation(&state.pool, &code).await?.ok_or(AppError::NotFound)?;
    let form = OrganisationForm::from_record(&record);
    Ok(render(&OrganisationFormPage { layout, editing: Some(record), form, errors: FieldErrors::default() }))
}

async fn organisation_update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
    Form(mut form): Form<OrganisationForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before = store::organisation(&mut *tx, &code).await?.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    let record = form.check(Some(&before.code), &mut errors);
    if errors.is_empty() && !store::update_organisation(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version));
        form.version = before.version;
    }
    if !errors.is_empty() {
        form.code = before.code.clone();
        let page = OrganisationFormPage { layout, editing: Some(before), form, errors: errors.clone() };
        return Ok(respond(&page, &errors));
    }
    let after = store::organisation(&mut *tx, &code).await?;
    record_change(&mut tx, &admin, "organisation", &code, Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("{BASE}/organisations/{code}")))
}

// ---------------------------------------------------------------------------------------------
// Report sections.

#[derive(Template)]
#[template(path = "indicators/sections.html")]
struct SectionListPage {
    layout: Layout,
    sections: Vec<SectionRecord>,
}

async fn section_list(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let sections = store::sections(&state.pool).await?;
    Ok(render(&SectionListPage { layout, sections }))
}

#[derive(Debug, Default, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    version: i32,
}

impl SectionForm {
    fn from_record(s: &SectionRecord) -> Self {
        SectionForm {
            code: s.code.clone(),
            name: s.name.clone(),
            sort_order: s.sort_order.to_string(),
            version: s.version,
        }
    }

    fn check(&self, code: Option<&str>, errors: &mut FieldErrors) -> SectionRecord {
        let code = match code {
            Some(code) => code.to_owned(),
            None => check_code(&self.code, 32).unwrap_or_else(|message| {
                errors.add("code", message);
                String::new()
            }),
        };
        SectionRecord {
            code,
            name: required(errors, "name", &self.name, "Nhập tên mục báo cáo."),
            sort_order: sort_order(errors, &self.sort_order),
            version: self.version,
        }
    }
}

#[derive(Template)]
#[template(path = "indicators/section_form.html")]
struct SectionFormPage {
    layout: Layout,
    editing: Option<SectionRecord>,
    form: SectionForm,
    errors: FieldErrors,
}

async fn section_new(layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    Ok(render(&SectionFormPage { layout, editing: None, form: SectionForm::default(), errors: FieldErrors::default() }))
}

async fn section_create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<SectionForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut errors = FieldErrors::default();
    let record = form.check(None, &mut errors);
    let mut tx = state.pool.begin().await?;
    if errors.is_empty() && !store::insert_section(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        return Ok(respond(&SectionFormPage { layout, editing: None, form, errors: errors.clone() }, &errors));
    }
    let after = store::section(&mut *tx, &record.code).await?;
    record_change(&mut tx, &admin, "report_section", &record.code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm mục báo cáo {}.", record.code));
    Ok(flash.redirect(&format!("{BASE}/sections/{}", record.code)))
}

async fn section_edit(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    guard(&admin)?;
    let record = store::section(&state.pool, &code).await?.ok_or(AppError::NotFound)?;
    let form = SectionForm::from_record(&record);
    Ok(render(&SectionFormPage { layout, editing: Some(record), form, errors: FieldErrors::default() }))
}

async fn section_update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
    Form(mut form): Form<SectionForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before = store::section(&mut *tx, &code).await?.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    let record = form.check(Some(&before.code), &mut errors);
    if errors.is_empty() && !store::update_section(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version));
        form.version = before.version;
    }
    if !errors.is_empty() {
        form.code = before.code.clone();
        let page = SectionFormPage { layout, editing: Some(before), form, errors: errors.clone() };
        return Ok(respond(&page, &errors));
    }
    let after = store::section(&mut *tx, &code).await?;
    record_change(&mut tx, &admin, "report_section", &code, Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("{BASE}/sections/{code}")))
}

// ---------------------------------------------------------------------------------------------
// Data elements.

struct ElementGroup {
    section: SectionRecord,
    elements: Vec<ElementRecord>,
}

#[derive(Template)]
#[template(path = "indicators/elements.html")]
struct ElementListPage {
    layout: Layout,
    groups: Vec<ElementGroup>,
    total: usize,
}

async fn element_list(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let sections = store::sections(&state.pool).await?;
    let mut elements = store::elements(&state.pool).await?;
    let total = elements.len();
    let groups = sections
        .into_iter()
        .map(|section| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                std::mem::take(&mut elements).into_iter().partition(|e| e.section_code == section.code);
            elements = rest;
            ElementGroup { section, elements: mine }
        })
        .collect();
    Ok(render(&ElementListPage { layout, groups, total }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ElementForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    section_code: String,
    #[serde(default)]
    unit_of_measure: String,
    #[serde(default)]
    value_type: String,
    #[serde(default)]
    aggregation: String,
    #[serde(default)]
    by_organisation: Option<String>,
    #[serde(default)]
    levels: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i32,
}

impl ElementForm {
    fn from_record(e: &ElementRecord) -> Self {
        ElementForm {
            code: e.code.clone(),
            name: e.name.clone(),
            section_code: e.section_code.clone(),
            unit_of_measure: e.unit_of_measure.clone(),
            value_type: e.value_type.clone(),
            aggregation: e.aggregation.clone(),
            by_organisation: e.by_organisation.then(|| "1".to_owned()),
            levels: e.levels.iter().map(|l| l.to_string()).collect(),
            description: e.description.clone(),
            sort_order: e.sort_order.to_string(),
            active: e.active.then(|| "1".to_owned()),
            version: e.version,
        }
    }

    pub fn has_level(&self, level: &i16) -> bool {
        self.levels.iter().any(|l| l.trim() == level.to_string())
    }

    pub fn is_by_organisation(&self) -> bool {
        checked(&self.by_organisation)
    }

    pub fn is_active(&self) -> bool {
        checked(&self.active)
    }

    fn check(&self, code: Option<&str>, sections: &[SectionRecord], errors: &mut FieldErrors) -> ElementRecord {
        let code = match code {
            Some(code) => code.to_owned(),
            None => check_code(&self.code, 48).unwrap_or_else(|message| {
                errors.add("code", message);
                String::new()
            }),
        };
        let name = required(errors, "name", &self.name, "Nhập tên số liệu.");
        if !sections.iter().any(|s| s.code == self.section_code) {
            errors.add("section_code", "Chọn mục báo cáo chứa số liệu này.");
        }
        let unit_of_measure =
            required(errors, "unit_of_measure", &self.unit_of_measure, "Nhập đơn vị tính, ví dụ người, cuộc, đơn.");
        if !VALUE_TYPES.iter().any(|(k, _)| *k == self.value_type) {
            errors.add("value_type", "Chọn kiểu giá trị.");
        }
        if !AGGREGATIONS.iter().any(|(k, _)| *k == self.aggregation) {
            errors.add("aggregation", "Chọn cách tổng hợp: cộng dồn (luồng) hoặc số cuối kỳ (tồn).");
        }
        let levels: Vec<i16> = LEVELS.iter().map(|(l, _)| *l).filter(|l| self.has_level(l)).collect();
        if levels.is_empty() {
            errors.add("levels", "Chọn ít nhất một cấp báo cáo số liệu này.");
        }
        ElementRecord {
            code,
            name,
            section_code: self.section_code.clone(),
            unit_of_measure,
            value_type: self.value_type.clone(),
            aggregation: self.aggregation.clone(),
            by_organisation: self.is_by_organisation(),
            levels,
            description: self.description.trim().to_owned(),
            sort_order: sort_order(errors, &self.sort_order),
            active: self.is_active(),
            version: self.version,
        }
    }
}

#[derive(Template)]
#[template(path = "indicators/element_form.html")]
struct ElementFormPage {
    layout: Layout,
    editing: Option<ElementRecord>,
    form: ElementForm,
    errors: FieldErrors,
    sections: Vec<SectionRecord>,
    value_types: &'static [(&'static str, &'static str)],
    aggregations: &'static [(&'static str, &'static str)],
    levels: &'static [(i16, &'static str)],
}

impl ElementFormPage {
    fn new(
        layout: Layout,
        editing: Option<ElementRecord>,
        form: ElementForm,
        errors: FieldErrors,
        sections: Vec<SectionRecord>,
    ) -> Self {
        ElementFormPage {
            layout,
            editing,
            form,
            errors,
            sections,
            value_types: &VALUE_TYPES,
            aggregations: &AGGREGATIONS,
            levels: &LEVELS,
        }
    }
}

async fn element_new(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let sections = store::sections(&state.pool).await?;
    let form = ElementForm {
        value_type: "integer".into(),
        aggregation: "sum".into(),
        levels: vec!["1".into(), "2".into(), "3".into()],
        active: Some("1".into()),
        ..ElementForm::default()
    };
    Ok(render(&ElementFormPage::new(layout, None, form, FieldErrors::default(), sections)))
}

async fn element_create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<ElementForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let sections = store::sections(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(None, &sections, &mut errors);
    if errors.is_empty() && !store::insert_element(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        return Ok(respond(&ElementFormPage::new(layout, None, form, errors.clone(), sections), &errors));
    }
    let after = store::element(&mut *tx, &record.code).await?;
    record_change(&mut tx, &admin, "data_element", &record.code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm số liệu {}.", record.code));
    Ok(flash.redirect(&format!("{BASE}/elements/{}", record.code)))
}

async fn element_edit(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    guard(&admin)?;
    let record = store::element(&state.pool, &code).await?.ok_or(AppError::NotFound)?;
    let sections = store::sections(&state.pool).await?;
    let form = ElementForm::from_record(&record);
    Ok(render(&ElementFormPage::new(layout, Some(record), form, FieldErrors::default(), sections)))
}

async fn element_update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
    Form(mut form): Form<ElementForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before = store::element(&mut *tx, &code).await?.ok_or(AppError::NotFound)?;
    let sections = store::sections(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(Some(&before.code), &sections, &mut errors);
    if errors.is_empty() && !store::update_element(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version));
        form.version = before.version;
    }
    if !errors.is_empty() {
        form.code = before.code.clone();
        let page = ElementFormPage::new(layout, Some(before), form, errors.clone(), sections);
        return Ok(respond(&page, &errors));
    }
    let after = store::element(&mut *tx, &code).await?;
    record_change(&mut tx, &admin, "data_element", &code, Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    let message = if before.active && !record.active {
        "Đã lưu: số liệu này thôi được dùng trong báo cáo mới (số liệu cũ vẫn giữ nguyên)."
    } else {
        "Đã lưu thay đổi."
    };
    Ok(Flash::success(message).redirect(&format!("{BASE}/elements/{code}")))
}

// ---------------------------------------------------------------------------------------------
// Indicators.

pub struct IndicatorRow {
    pub indicator: Indicator,
    pub factor: String,
    pub display: &'static str,
}

#[derive(Template)]
#[template(path = "indicators/indicators.html")]
struct IndicatorListPage {
    layout: Layout,
    indicators: Vec<IndicatorRow>,
}

async fn indicator_list(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let indicators = store::indicators(&state.pool)
        .await?
        .into_iter()
        .map(|indicator| IndicatorRow {
            factor: show_number(indicator.factor),
            display: store::display_label(&indicator.display),
            indicator,
        })
        .collect();
    Ok(render(&IndicatorListPage { layout, indicators }))
}

#[derive(Debug, Default, Deserialize)]
pub struct IndicatorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    numerator: String,
    #[serde(default)]
    denominator: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    decimals: String,
    #[serde(default)]
    display: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    version: i32,
}

impl IndicatorForm {
    fn from_record(i: &Indicator) -> Self {
        IndicatorForm {
            code: i.code.clone(),
            name: i.name.clone(),
            numerator: i.numerator.clone(),
            denominator: i.denominator.clone(),
            factor: show_number(i.factor),
            decimals: i.decimals.to_string(),
            display: i.display.clone(),
            unit: i.unit.clone(),
            sort_order: i.sort_order.to_string(),
            version: i.version,
        }
    }

    fn check(&self, code: Option<&str>, known: &[String], errors: &mut FieldErrors) -> Indicator {
        let code = match code {
            Some(code) => code.to_owned(),
            None => check_code(&self.code, 48).unwrap_or_else(|message| {
                errors.add("code", message);
                String::new()
            }),
        };
        let name = required(errors, "name", &self.name, "Nhập tên chỉ số.");
        let numerator = check_expression(errors, "numerator", &self.numerator, known).unwrap_or_default();
        let denominator = if self.denominator.trim().is_empty() {
            String::new()
        } else {
            check_expression(errors, "denominator", &self.denominator, known).unwrap_or_default()
        };
        let factor = parse_number(&self.factor).filter(|f| !f.is_zero());
        if factor.is_none() {
            errors.add("factor", "Hệ số là một số khác 0: 100 cho tỷ lệ phần trăm, 1 cho số đếm; số lẻ viết 0,5.");
        }
        let decimals = parse_integer(&self.decimals, 0, 0..=6);
        if decimals.is_none() {
            errors.add("decimals", "Số chữ số thập phân từ 0 đến 6.");
        }
        if !DISPLAYS.iter().any(|(k, _)| *k == self.display) {
            errors.add("display", "Chọn cách hiển thị.");
        } else if self.display == "ratio" && self.denominator.trim().is_empty() {
            errors.add("denominator", "Cách hiển thị “tỷ số” cần mẫu số.");
        }
        Indicator {
            code,
            name,
            numerator,
            denominator,
            factor: factor.unwrap_or(Decimal::ONE),
            decimals: decimals.unwrap_or(0) as i16,
            display: self.display.clone(),
            unit: self.unit.trim().to_owned(),
            sort_order: sort_order(errors, &self.sort_order),
            version: self.version,
        }
    }
}

/// The indicator written with sample figures: "81/117 xã (69,23%)".
fn worked_example(indicator: &Indicator) -> Option<String> {
    if indicator.numerator.is_empty() {
        return None;
    }
    let (numerator, denominator) = if indicator.denominator.is_empty() {
        (Decimal::from(143), None)
    } else {
        (Decimal::from(81), Some(Decimal::from(117)))
    };
    let figures = match denominator {
        Some(d) => format!("tử số {} và mẫu số {}", show_number(numerator), show_number(d)),
        None => format!("tử số {}", show_number(numerator)),
    };
    Some(format!("Với {figures}, chỉ số hiển thị: {}", indicator.format(numerator, denominator)))
}

#[derive(Template)]
#[template(path = "indicators/indicator_form.html")]
struct IndicatorFormPage {
    layout: Layout,
    editing: Option<Indicator>,
    form: IndicatorForm,
    errors: FieldErrors,
    example: Option<String>,
    displays: &'static [(&'static str, &'static str)],
}

async fn indicator_new(layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let form = IndicatorForm {
        factor: "100".into(),
        decimals: "2".into(),
        display: "value".into(),
        unit: "%".into(),
        ..IndicatorForm::default()
    };
    let page = IndicatorFormPage {
        layout,
        editing: None,
        form,
        errors: FieldErrors::default(),
        example: None,
        displays: &DISPLAYS,
    };
    Ok(render(&page))
}

async fn indicator_create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<IndicatorForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let known = store::element_codes(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(None, &known, &mut errors);
    if errors.is_empty() && !store::insert_indicator(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        let page = IndicatorFormPage {
            layout,
            editing: None,
            form,
            errors: errors.clone(),
            example: None,
            displays: &DISPLAYS,
        };
        return Ok(respond(&page, &errors));
    }
    let after = store::indicator(&mut *tx, &record.code).await?;
    record_change(&mut tx, &admin, "indicator", &record.code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm chỉ số {}.", record.code));
    Ok(flash.redirect(&format!("{BASE}/indicators/{}", record.code)))
}

async fn indicator_edit(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    guard(&admin)?;
    let record = store::indicator(&state.pool, &code).await?.ok_or(AppError::NotFound)?;
    let form = IndicatorForm::from_record(&record);
    let example = worked_example(&record);
    let page = IndicatorFormPage {
        layout,
        editing: Some(record),
        form,
        errors: FieldErrors::default(),
        example,
        displays: &DISPLAYS,
    };
    Ok(render(&page))
}

async fn indicator_update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
    Form(mut form): Form<IndicatorForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before = store::indicator(&mut *tx, &code).await?.ok_or(AppError::NotFound)?;
    let known = store::element_codes(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(Some(&before.code), &known, &mut errors);
    if errors.is_empty() && !store::update_indicator(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version));
        form.version = before.version;
    }
    if !errors.is_empty() {
        form.code = before.code.clone();
        let example = worked_example(&before);
        let page = IndicatorFormPage {
            layout,
            editing: Some(before),
            form,
            errors: errors.clone(),
            example,
            displays: &DISPLAYS,
        };
        return Ok(respond(&page, &errors));
    }
    let after = store::indicator(&mut *tx, &code).await?;
    record_change(&mut tx, &admin, "indicator", &code, Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("{BASE}/indicators/{code}")))
}

// ---------------------------------------------------------------------------------------------
// Validation rules.

#[derive(Template)]
#[template(path = "indicators/rules.html")]
struct RuleListPage {
    layout: Layout,
    rules: Vec<RuleRecord>,
}

async fn rule_list(State(state): State<AppState>, layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let rules = store::rules(&state.pool).await?;
    Ok(render(&RuleListPage { layout, rules }))
}

#[derive(Debug, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    left_expr: String,
    #[serde(default)]
    operator: String,
    #[serde(default)]
    right_expr: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i32,
}

impl RuleForm {
    fn from_record(r: &RuleRecord) -> Self {
        RuleForm {
            code: r.code.clone(),
            left_expr: r.left_expr.clone(),
            operator: r.operator.clone(),
            right_expr: r.right_expr.clone(),
            message: r.message.clone(),
            severity: r.severity.clone(),
            active: r.active.then(|| "1".to_owned()),
            version: r.version,
        }
    }

    pub fn is_active(&self) -> bool {
        checked(&self.active)
    }

    fn check(&self, code: Option<&str>, known: &[String], errors: &mut FieldErrors) -> RuleRecord {
        let code = match code {
            Some(code) => code.to_owned(),
            None => check_code(&self.code, 64).unwrap_or_else(|message| {
                errors.add("code", message);
                String::new()
            }),
        };
        let left_expr = check_expression(errors, "left_expr", &self.left_expr, known).unwrap_or_default();
        if !OPERATORS.iter().any(|(k, _)| *k == self.operator) {
            errors.add("operator", "Chọn phép so sánh.");
        }
        let right_expr = check_expression(errors, "right_expr", &self.right_expr, known).unwrap_or_default();
        let message = required(
            errors,
            "message",
            &self.message,
            "Nhập thông báo cho người nhập liệu, ví dụ “Số đơn đã giải quyết không được lớn hơn số đơn tiếp nhận”.",
        );
        if !SEVERITIES.iter().any(|(k, _)| *k == self.severity) {
            errors.add("severity", "Chọn mức độ: lỗi hoặc cảnh báo.");
        }
        RuleRecord {
            code,
            left_expr,
            operator: self.operator.clone(),
            right_expr,
            severity: self.severity.clone(),
            message,
            active: self.is_active(),
            version: self.version,
        }
    }
}

#[derive(Template)]
#[template(path = "indicators/rule_form.html")]
struct RuleFormPage {
    layout: Layout,
    editing: Option<RuleRecord>,
    form: RuleForm,
    errors: FieldErrors,
    operators: &'static [(&'static str, &'static str)],
    severities: &'static [(&'static str, &'static str)],
}

impl RuleFormPage {
    fn new(layout: Layout, editing: Option<RuleRecord>, form: RuleForm, errors: FieldErrors) -> Self {
        RuleFormPage { layout, editing, form, errors, operators: &OPERATORS, severities: &SEVERITIES }
    }
}

async fn rule_new(layout: Layout, admin: CurrentUser) -> AppResult<Response> {
    guard(&admin)?;
    let form =
        RuleForm { operator: "<=".into(), severity: "error".into(), active: Some("1".into()), ..RuleForm::default() };
    Ok(render(&RuleFormPage::new(layout, None, form, FieldErrors::default())))
}

async fn rule_create(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Form(form): Form<RuleForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let known = store::element_codes(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(None, &known, &mut errors);
    if errors.is_empty() && !store::insert_rule(&mut tx, &record).await? {
        errors.add("code", CODE_TAKEN);
    }
    if !errors.is_empty() {
        return Ok(respond(&RuleFormPage::new(layout, None, form, errors.clone()), &errors));
    }
    let after = store::rule(&mut *tx, &record.code).await?;
    record_change(&mut tx, &admin, "validation_rule", &record.code, None, after.as_ref()).await?;
    tx.commit().await?;
    let flash = Flash::success(&format!("Đã thêm quy tắc kiểm tra {}.", record.code));
    Ok(flash.redirect(&format!("{BASE}/rules/{}", record.code)))
}

async fn rule_edit(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    guard(&admin)?;
    let record = store::rule(&state.pool, &code).await?.ok_or(AppError::NotFound)?;
    let form = RuleForm::from_record(&record);
    Ok(render(&RuleFormPage::new(layout, Some(record), form, FieldErrors::default())))
}

async fn rule_update(
    State(state): State<AppState>,
    layout: Layout,
    admin: CurrentUser,
    Path(code): Path<String>,
    Form(mut form): Form<RuleForm>,
) -> AppResult<Response> {
    guard(&admin)?;
    let mut tx = state.pool.begin().await?;
    let before = store::rule(&mut *tx, &code).await?.ok_or(AppError::NotFound)?;
    let known = store::element_codes(&mut *tx).await?;
    let mut errors = FieldErrors::default();
    let record = form.check(Some(&before.code), &known, &mut errors);
    if errors.is_empty() && !store::update_rule(&mut tx, &record).await? {
        errors.add("version", stale_message(before.version));
        form.version = before.version;
    }
    if !errors.is_empty() {
        form.code = before.code.clone();
        return Ok(respond(&RuleFormPage::new(layout, Some(before), form, errors.clone()), &errors));
    }
    let after = store::rule(&mut *tx, &code).await?;
    record_change(&mut tx, &admin, "validation_rule", &code, Some(&before), after.as_ref()).await?;
    tx.commit().await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("{BASE}/rules/{code}")))
}
