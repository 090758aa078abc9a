//! The target (chỉ tiêu) forms on a directive's page: adding one, deleting one. How figures
//! measure against targets is [`crate::directives::targets`]; their wording is [`Comparator::wording`].

use axum::extract::{Path, State};
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::show::{Kept, show_page};
use super::{Editable, Errors, audit_and_commit, created, delete_child, inside_issuer, optional_date};
use crate::directives::Comparator;
use crate::directives::store::{self, DirectiveId};
use crate::error::AppResult;
use crate::format::{NumberRules, parse_vietnamese_number};
use crate::units::{self, Level};
use crate::web::{AppState, Flash, Layout};

#[derive(Debug, Default, Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    pub(super) indicator: String,
    #[serde(default)]
    pub(super) comparator: String,
    #[serde(default)]
    pub(super) value: String,
    #[serde(default)]
    pub(super) value_max: String,
    #[serde(default)]
    pub(super) year: String,
    #[serde(default)]
    pub(super) deadline: String,
    #[serde(default)]
    pub(super) scope_level: String,
    #[serde(default)]
    pub(super) scope_unit: String,
    #[serde(default)]
    pub(super) per_unit: Option<String>,
    #[serde(default)]
    pub(super) description: String,
}

/// What a target's value may be: the report form's rule for decimals (not negative, at most
/// six decimals), read the Vietnamese way: `95`, `51,95`, `1.000`, `12.345,6`.
const VALUE_RULES: NumberRules = NumberRules::decimal(false, Some(6));

/// The message when the value is left empty.
const VALUE_MISSING: &str = "Nhập một số, dùng dấu phẩy cho phần thập phân, ví dụ 95 hoặc 51,95.";

/// A value as typed: `Ok(None)` when empty, the Vietnamese message when refused.
fn parse_value(text: &str) -> Result<Option<rust_decimal::Decimal>, String> {
    parse_vietnamese_number(text, &VALUE_RULES).map_err(|e| e.message())
}

pub(super) async fn add(
    State(state): State<AppState>,
    layout: Layout,
    Editable { user, directive }: Editable,
    Form(form): Form<TargetForm>,
) -> AppResult<Response> {
    let id = directive.id;
    let mut errors = Errors::new();
    let indicator = form.indicator.trim();
    let indicator = crate::catalogue::lookup::indicator_exists(&state.pool, indicator).await?.then_some(indicator);
    if indicator.is_none() {
        errors.set("target.indicator", "Chọn chỉ số trong danh mục.".to_owned());
    }
    let comparator = form.comparator.parse::<Comparator>().ok();
    if comparator.is_none() {
        errors.set("target.comparator", "Chọn phép so sánh.".to_owned());
    }
    let value = match parse_value(&form.value) {
        Ok(Some(value)) => Some(value),
        Ok(None) => {
            errors.set("target.value", VALUE_MISSING.to_owned());
            None
        }
        Err(message) => {
            errors.set("target.value", message);
            None
        }
    };
    let value_max = if comparator == Some(Comparator::Between) {
        match (value, parse_value(&form.value_max)) {
            (Some(low), Ok(Some(high))) if high >= low => Some(high),
            (_, Ok(Some(_))) => {
                errors.set("target.value_max", "Giá trị “đến” phải không nhỏ hơn giá trị “từ”.".to_owned());
                None
            }
            (_, Ok(None)) => {
                errors.set("target.value_max", "Với “từ … đến …”, nhập cả giá trị “đến”, ví dụ 2.".to_owned());
                None
            }
            (_, Err(message)) => {
                errors.set("target.value_max", message);
                None
            }
        }
    } else {
        None
    };
    let year = errors.optional(
        "target.year",
        &form.year,
        "Năm gồm 4 chữ số, ví dụ 2025; bỏ trống nếu áp dụng hằng năm.",
        |text| text.parse::<i32>().ok().filter(|y| (1930..=2100).contains(y)),
    );
    let deadline = optional_date(&form.deadline, &mut errors, "target.deadline");
    let scope_level = errors.optional("target.scope_level", &form.scope_level, "Chọn cấp áp dụng.", |text| {
        text.parse::<Level>().ok()
    });
    let mut scope_unit = None;
    if !form.scope_unit.trim().is_empty() {
        match units::resolve_for_person(&state.pool, &form.scope_unit, directive.unit_date()).await {
            Ok(Some(unit)) if !inside_issuer(&directive, &unit) => {
                errors.set(
                    "target.scope_unit",
                    format!(
                        "{} không thuộc {}: chỉ tiêu chỉ đặt cho đơn vị ban hành hoặc các đơn vị trực thuộc.",
                        unit.name,
                        directive.unit_label()
                    ),
                );
            }
            Ok(Some(unit)) => scope_unit = Some(unit),
            Ok(None) => {}
            Err(message) => {
                errors.set("target.scope_unit", message);
            }
        }
    }
    let (Some(indicator), Some(comparator), Some(value), true) = (indicator, comparator, value, errors.is_empty())
    else {
        return show_page(&state, layout, &user, directive, Kept { target: form, errors, ..Kept::default() }).await;
    };
    let new = store::NewTarget {
        directive_id: id,
        indicator_code: indicator,
        comparator,
        value,
        value_max,
        year,
        deadline,
        scope_level,
        scope_unit_id: scope_unit.as_ref().map(|u| u.id).or(directive.issuing_unit_id),
        per_unit: form.per_unit.is_some(),
        description: form.description.trim(),
    };
    let mut tx = state.pool.begin().await?;
    let target_id = store::insert_target(&mut tx, &new).await?;
    let after = store::target_json(&mut tx, target_id).await?;
    audit_and_commit(tx, &user, created(&directive, "target", target_id, after)).await?;
    Ok(Flash::success("Đã thêm chỉ tiêu.").redirect(&format!("/directives/{id}#chi-tieu")))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Editable { user, directive }: Editable,
    Path((_, target)): Path<(DirectiveId, store::TargetId)>,
) -> AppResult<Response> {
    let id = directive.id;
    delete_child(&state, &user, &directive, store::Child::Target(target)).await?;
    Ok(Flash::success("Đã xóa chỉ tiêu.").redirect(&format!("/directives/{id}#chi-tieu")))
}
