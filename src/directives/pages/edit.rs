//! Creating and editing a directive: the form, its checks (number, issuing unit and the
//! user's right to it, replacement, implements links without cycles), and saving with an
//! optimistic version check.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Editable, Errors, audit_and_commit, directive_or_404};
use crate::audit::Entry;
use crate::auth::CurrentUser;
use crate::auth::authz::{self, Action, Place};
use crate::directives::DirectiveNumber;

use crate::directives::store::{self, Directive, DirectiveId, DirectiveStatus};
use crate::error::{AppError, AppResult, ResultExt};
use crate::units::{self, Unit};
use crate::web::{AppState, Flash, Layout, render};

/// What the user typed, kept as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DirectiveForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    issuing_body: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    replaced_by: String,
    #[serde(default)]
    implements: String,
    #[serde(default)]
    version: i32,
}

impl DirectiveForm {
    /// The form as stored: look-alike letters fixed everywhere (a number typed `09-QÐ/TU` is
    /// 09-QĐ/TU), the text's Word control characters made breaks, the one-line fields on one line.
    fn cleaned(mut self) -> Self {
        for field in [&mut self.number, &mut self.issuing_body, &mut self.unit_code, &mut self.title] {
            *field = crate::text::one_line(field);
        }
        self.replaced_by = crate::text::fix_lookalikes(&self.replaced_by);
        self.implements = crate::text::from_word(&self.implements);
        self.body = crate::text::from_word(&self.body);
        self
    }
}

impl DirectiveForm {
    fn from_directive(d: &Directive, implements: &[String]) -> Self {
        DirectiveForm {
            number: d.number.clone(),
            issuing_body: d.issuing_body.clone(),
            unit_code: d.unit_code.clone().unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
            as_of: d.unit_date().to_string(),
            issued_on: d.issued_on.to_string(),
            title: d.title.clone(),
            body: d.body.clone(),
            status: d.status.as_str().to_owned(),
            replaced_by: d.replaced_by_number.clone().unwrap_or_default(),
            implements: implements.join(", "),
            version: d.version,
        }
    }

    /// The kind named by the number, when it parses.
    fn kind_label(&self) -> String {
        self.number.parse::<DirectiveNumber>().map(|n| n.kind.label().to_owned()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "directives/form.html")]
struct FormPage {
    layout: Layout,
    editing: Option<Directive>,
    form: DirectiveForm,
    statuses: [(&'static str, &'static str); 3],
    errors: Errors,
}

impl FormPage {
    /// A length limit as the help text writes it: 1.000, 200.000.
    fn limit(&self, max: usize) -> String {
        crate::format::integer(max as i64)
    }
}

/// The form; with errors, the 422 that carries it.
fn form_page(layout: Layout, editing: Option<Directive>, form: DirectiveForm, errors: Errors) -> AppResult<Response> {
    let invalid = !errors.is_empty();
    crate::error::page_or_invalid(
        render(&FormPage { layout, editing, form, statuses: DirectiveStatus::CHOICES, errors }),
        invalid,
    )
}

pub(super) async fn new_form(layout: Layout, user: CurrentUser) -> AppResult<Response> {
    let form = DirectiveForm {
        unit_code: user.unit.as_ref().map(|u| u.code.clone()).unwrap_or_else(|| units::NATIONAL_CODE.to_owned()),
        status: DirectiveStatus::InForce.as_str().to_owned(),
        ..DirectiveForm::default()
    };
    form_page(layout, None, form, Errors::new())
}

/// The longest title (trích yếu) accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// The longest issuing body accepted, in characters.
pub const MAX_ISSUING_BODY_CHARS: usize = 300;
/// The longest full text accepted, in characters (about 50 pages; a resolution runs 10–40 000).
/// The form's 1 MiB body limit counts percent-encoded bytes, up to 9 for one Vietnamese letter:
/// 100 000 characters fit even then, so a text over this cap comes back with the message and
/// the input instead of being cut off by the body limit.
pub const MAX_BODY_CHARS: usize = 100_000;
/// How many directives one directive may implement directly.
pub const MAX_IMPLEMENTS: usize = 20;
/// The longest "implements" field accepted (20 numbers with room to spare), in characters.
const MAX_IMPLEMENTS_CHARS: usize = 1_000;
/// A number longer than this that does not parse is refused without quoting it back.
const MAX_NUMBER_CHARS: usize = 40;

/// The message when `text` is longer than `max` characters.
fn too_long(text: &str, max: usize, what: &str) -> Option<String> {
    let count = text.trim().chars().count();
    (count > max).then(|| {
        format!(
            "{what} dài {} ký tự, quá giới hạn {} ký tự: hãy rút gọn.",
            crate::format::integer(count as i64),
            crate::format::integer(max as i64)
        )
    })
}

struct Checked {
    number: DirectiveNumber,
    unit: Option<Unit>,
    issued_on: NaiveDate,
    status: DirectiveStatus,
    replaced_by: Option<DirectiveId>,
    implements: Vec<DirectiveId>,
}

/// Validates the whole form; every problem is reported next to its field.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    form: &DirectiveForm,
    editing: Option<DirectiveId>,
    errors: &mut Errors,
) -> AppResult<Option<Checked>> {
    let number = match form.number.parse::<DirectiveNumber>() {
        // A pasted paragraph is not echoed back in the message.
        Err(_) if form.number.chars().count() > MAX_NUMBER_CHARS => {
            errors.set("number", "Số/ký hiệu quá dài: nhập dạng 25-NQ/TW, 09-QĐ/TU.".to_owned());
            None
        }
        Ok(number) => Some(number),
        Err(message) => {
            errors.set("number", message);
            None
        }
    };
    if form.issuing_body.trim().is_empty() {
        errors.set("issuing_body", "Nhập cơ quan ban hành, ví dụ Ban Thường vụ Tỉnh ủy Kiên Giang.".to_owned());
    }
    let issued_on = units::parse_date(&form.issued_on);
    if issued_on.is_none() {
        errors.set("issued_on", "Ngày ban hành không hợp lệ: nhập theo dạng 15/12/2020 hoặc 2020-12-15.".to_owned());
    }
    let as_of = match form.as_of.trim() {
        "" => Some(issued_on.unwrap_or_else(units::today)),
        text => units::parse_date(text),
    };
    let mut unit = None;
    let mut unit_ok = false;
    match as_of {
        None => {
            errors.set("as_of", "Ngày không hợp lệ: nhập theo dạng 31/12/2020.".to_owned());
        }
        Some(date) => match units::resolve_for_person(&state.pool, &form.unit_code, date).await {
            Err(message) => {
                errors.set("unit_code", message);
            }
            Ok(found) => {
                let expected = number.as_ref().map(|n| n.issuer.level());
                let level = found.as_ref().map(|u| u.level);
                match expected {
                    Some(expected) if expected != level => {
                        let what = match expected {
                            None => "văn bản Trung ương (…/TW): mã đơn vị là TW".to_owned(),
                            Some(l) => format!(
                                "ký hiệu {} cần đơn vị {}",
                                number.as_ref().map_or("", |n| n.issuer.as_str()),
                                l.label().to_lowercase()
                            ),
                        };
                        errors.set("unit_code", format!("Đơn vị không khớp cơ quan ban hành: {what}."));
                    }
                    _ => {
                        if authz::can(user, Action::EditDirective, found.as_ref().map(Place::from)) {
                            unit_ok = true;
                            unit = found;
                        } else {
                            errors.set(
                                "unit_code",
                                "Bạn không được nhập văn bản của đơn vị này (chỉ văn phòng đơn vị ban hành hoặc quản trị cấp trên)."
                                    .to_owned(),
                            );
                        }
                    }
                }
            }
        },
    }
    if form.title.trim().is_empty() {
        errors.set("title", "Nhập trích yếu (tên) của văn bản.".to_owned());
    } else if let Some(message) = too_long(&form.title, MAX_TITLE_CHARS, "Trích yếu") {
        errors.set("title", message);
    }
    if let Some(message) = too_long(&form.issuing_body, MAX_ISSUING_BODY_CHARS, "Tên cơ quan ban hành") {
        errors.set("issuing_body", message);
    }
    if let Some(message) = too_long(&form.body, MAX_BODY_CHARS, "Toàn văn") {
        errors.set("body", message);
    }
    let status = form.status.parse::<DirectiveStatus>().ok();
    if status.is_none() {
        errors.set("status", "Chọn trạng thái.".to_owned());
    }
    let on = issued_on.unwrap_or_else(units::today);
    let mut replaced_by = None;
    let replaced_text = form.replaced_by.trim();
    if status == Some(DirectiveStatus::Replaced) && replaced_text.is_empty() {
        errors
            .set("replaced_by", "Văn bản được thay thế: nhập số/ký hiệu văn bản thay thế, ví dụ 120-KL/TW.".to_owned());
    } else if status != Some(DirectiveStatus::Replaced) && !replaced_text.is_empty() {
        errors.set(
            "replaced_by",
            "Chỉ ghi khi trạng thái là “Được thay thế”; hãy xóa ô này hoặc đổi trạng thái.".to_owned(),
        );
    } else if !replaced_text.is_empty() {
        match replaced_text.parse::<DirectiveNumber>() {
            Err(message) => {
                errors.set("replaced_by", message);
            }
            Ok(n) => match store::find_by_number(&state.pool, &n.to_string(), NaiveDate::MAX).await? {
                Some((id, _)) if Some(id) != editing => replaced_by = Some(id),
                Some(_) => {
                    errors.set("replaced_by", "Văn bản không thể thay thế chính nó.".to_owned());
                }
                None => {
                    errors
                        .set("replaced_by", format!("Chưa có văn bản {n} trong hệ thống: hãy nhập văn bản đó trước."));
                }
            },
        }
    }
    let mut implements: Vec<(DirectiveId, String)> = Vec::new();
    let mut problems = Vec::new();
    let pieces: Vec<&str> = form.implements.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()).collect();
    if form.implements.chars().count() > MAX_IMPLEMENTS_CHARS {
        problems.push(format!(
            "ô này dài quá {} ký tự; hãy chỉ ghi số/ký hiệu của tối đa {MAX_IMPLEMENTS} văn bản trực tiếp cấp trên",
            crate::format::integer(MAX_IMPLEMENTS_CHARS as i64)
        ));
    } else if pieces.len() > MAX_IMPLEMENTS {
        // Refused before any lookup: the count alone decides.
        problems.push(format!(
            "một văn bản cụ thể hóa tối đa {MAX_IMPLEMENTS} văn bản (đang ghi {}); hãy chỉ ghi các văn bản trực tiếp cấp trên",
            pieces.len()
        ));
    } else {
        for piece in pieces {
            match piece.parse::<DirectiveNumber>() {
                Err(_) => problems.push(format!("“{piece}” không phải số/ký hiệu")),
                Ok(n) => match store::find_by_number(&state.pool, &n.to_string(), on).await? {
                    None => problems.push(format!("chưa có văn bản {n}")),
                    Some((id, _)) if Some(id) == editing => {
                        problems.push(format!("{n} là chính văn bản này (vòng lặp)"))
                    }
                    Some((id, _)) => {
                        if !implements.iter().any(|(i, _)| *i == id) {
                            implements.push((id, n.to_string()));
                        }
                    }
                },
            }
        }
    }
    if let Some(id) = editing
        && !implements.is_empty()
    {
        let ids: Vec<DirectiveId> = implements.iter().map(|(i, _)| *i).collect();
        let cyclic = store::implementing_among(&state.pool, id, &ids).await?;
        for (_, n) in implements.iter().filter(|(i, _)| cyclic.contains(i)) {
            problems.push(format!("{n} đang cụ thể hóa văn bản này (vòng lặp)"));
        }
    }
    let implements: Vec<DirectiveId> = implements.into_iter().map(|(i, _)| i).collect();
    if !problems.is_empty() {
        errors.set(
            "implements",
            format!("{}. Ghi các số/ký hiệu cách nhau bởi dấu phẩy, ví dụ 25-NQ/TW, 09-QĐ/TU.", problems.join("; ")),
        );
    }
    match (number, issued_on, status, unit_ok && errors.is_empty()) {
        (Some(number), Some(issued_on), Some(status), true) => {
            Ok(Some(Checked { number, unit, issued_on, status, replaced_by, implements }))
        }
        _ => Ok(None),
    }
}

/// The unique constraint on a directive's number and date of issue (`migrations/0003`).
const NUMBER_ONCE_A_DAY: &str = "directives_number_issued_on_key";

impl Checked {
    /// The message when another directive carries the number on the same date.
    fn number_taken(&self) -> String {
        format!("Đã có văn bản {} ban hành ngày {}.", self.number, crate::format::date(self.issued_on))
    }

    /// The directive as saved: the checked values and the (cleaned) form's text.
    fn directive<'a>(&'a self, number: &'a str, form: &'a DirectiveForm) -> store::NewDirective<'a> {
        store::NewDirective {
            number,
            kind: self.number.kind,
            issuer: self.number.issuer,
            issuing_body: form.issuing_body.trim(),
            issuing_unit_id: self.unit.as_ref().map(|u| u.id),
            issued_on: self.issued_on,
            title: form.title.trim(),
            body: form.body.trim(),
            status: self.status,
            replaced_by_id: self.replaced_by,
            number_is_assumed: false,
        }
    }
}

/// The directive and its links as the audit log records them, read inside the change.
async fn audit_state(tx: &mut sqlx::PgConnection, id: DirectiveId) -> AppResult<(Directive, serde_json::Value)> {
    let directive = store::by_id(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let links = store::implements_direct(&mut *tx, id).await?;
    let json = directive.audit_json(&links);
    Ok((directive, json))
}

pub(super) async fn create(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<DirectiveForm>,
) -> AppResult<Response> {
    let form = form.cleaned();
    let mut errors = Errors::new();
    let Some(checked) = check(&state, &user, &form, None, &mut errors).await? else {
        return form_page(layout, None, form, errors);
    };
    let number = checked.number.to_string();
    let mut tx = state.pool.begin().await?;
    let inserted = store::insert(&mut tx, &checked.directive(&number, &form)).await;
    let Some(id) = inserted.on_constraint_field(NUMBER_ONCE_A_DAY, &mut errors, "number", checked.number_taken())?
    else {
        tx.rollback().await?;
        return form_page(layout, None, form, errors);
    };
    store::save_links(&mut tx, id, &checked.implements).await?;
    let (after, after_json) = audit_state(&mut tx, id).await?;
    let entry = Entry {
        action: "create",
        entity: "directive",
        entity_id: id.to_string(),
        unit_id: after.issuing_unit_id,
        before: None,
        after: Some(after_json),
    };
    audit_and_commit(tx, &user, entry).await?;
    Ok(Flash::success(&format!("Đã lưu văn bản {number}.")).redirect(&format!("/directives/{id}")))
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    layout: Layout,
    Editable { directive, .. }: Editable,
) -> AppResult<Response> {
    let links = store::implements_direct(&state.pool, directive.id).await?;
    let form = DirectiveForm::from_directive(&directive, &links);
    form_page(layout, Some(directive), form, Errors::new())
}

/// The form again as the user typed it, refused with 409: someone else saved the directive
/// meanwhile (`current`, named in the message by its version and title), and saving over it
/// would lose their changes. The form keeps the version it was opened from, so it cannot be
/// saved until reloaded; the typed text stays to be carried over.
fn stale_form(layout: Layout, current: Directive, form: DirectiveForm) -> AppResult<Response> {
    let mut errors = Errors::new();
    errors.set(
        "version",
        format!(
            "Văn bản vừa được người khác sửa (nay là phiên bản {}, tiêu đề «{}»). Nội dung bạn gõ vẫn ở dưới, \
             chưa được lưu: hãy mở văn bản ở thẻ khác để xem bản mới, tải lại trang này rồi nhập lại thay đổi của bạn.",
            current.version, current.title
        ),
    );
    let page = render(&FormPage { layout, editing: Some(current), form, statuses: DirectiveStatus::CHOICES, errors });
    crate::error::page_with_status(StatusCode::CONFLICT, page)
}

pub(super) async fn update(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive: before }: Editable,
    Form(form): Form<DirectiveForm>,
) -> AppResult<Response> {
    let form = form.cleaned();
    let id = before.id;
    let links_before = store::implements_direct(&state.pool, id).await?;
    if form.version != before.version {
        return stale_form(layout, before, form);
    }
    let mut errors = Errors::new();
    let Some(checked) = check(&state, &user, &form, Some(id), &mut errors).await? else {
        return form_page(layout, Some(before), form, errors);
    };
    let number = checked.number.to_string();
    let mut tx = state.pool.begin().await?;
    let updated = store::update(&mut tx, id, form.version, &checked.directive(&number, &form)).await;
    let Some(updated) =
        updated.on_constraint_field(NUMBER_ONCE_A_DAY, &mut errors, "number", checked.number_taken())?
    else {
        tx.rollback().await?;
        return form_page(layout, Some(before), form, errors);
    };
    if !updated {
        tx.rollback().await?;
        let current = directive_or_404(&state, id).await?;
        return stale_form(layout, current, form);
    }
    store::save_links(&mut tx, id, &checked.implements).await?;
    let (after, after_json) = audit_state(&mut tx, id).await?;
    let entry = Entry {
        action: "update",
        entity: "directive",
        entity_id: id.to_string(),
        unit_id: after.issuing_unit_id.or(before.issuing_unit_id),
        before: Some(before.audit_json(&links_before)),
        after: Some(after_json),
    };
    audit_and_commit(tx, &user, entry).await?;
    Ok(Flash::success("Đã lưu thay đổi.").redirect(&format!("/directives/{id}")))
}
