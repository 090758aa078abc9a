//! Indicators: a numerator and an optional denominator over data elements, a factor and a way
//! of showing the value ("51,95%", "81/117 xã (69,23%)"). Pages under
//! `/admin/catalogue/indicators`, through the shared flow of [`super::edit`].

use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::Indicator;
use super::IndicatorDisplay;
use super::edit::{Entity, Paths, paths};
use super::forms::{
    FieldErrors, check_expression, choice, new_or_existing_code, parse_decimal, parse_integer, required, show_number,
    sort_order,
};
use super::store;
use crate::web::Layout;

pub struct Indicators;

pub struct IndicatorRow {
    pub indicator: Indicator,
    pub factor: String,
    pub display: &'static str,
}

#[derive(Template)]
#[template(path = "catalogue/indicators.html")]
pub struct IndicatorListPage {
    layout: Layout,
    indicators: Vec<IndicatorRow>,
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

#[derive(Template)]
#[template(path = "catalogue/indicator_form.html")]
pub struct IndicatorFormPage {
    layout: Layout,
    editing: Option<Indicator>,
    form: IndicatorForm,
    errors: FieldErrors,
    example: Option<String>,
    displays: [(&'static str, &'static str); 2],
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

impl Entity for Indicators {
    type Record = Indicator;
    type Form = IndicatorForm;
    /// The element codes a numerator or a denominator may name.
    type Context = Vec<String>;
    type ListPage = IndicatorListPage;
    type FormPage = IndicatorFormPage;

    const PATHS: Paths = paths!("indicators", "VD_CHI_SO");
    const NOUN: &'static str = "chỉ số";

    fn blank_form() -> IndicatorForm {
        IndicatorForm {
            factor: "100".into(),
            decimals: "2".into(),
            display: IndicatorDisplay::Value.as_str().into(),
            unit: "%".into(),
            ..IndicatorForm::default()
        }
    }

    fn to_form(i: &Indicator) -> IndicatorForm {
        IndicatorForm {
            code: i.code.clone(),
            name: i.name.clone(),
            numerator: i.numerator.clone(),
            denominator: i.denominator.clone(),
            factor: show_number(i.factor),
            decimals: i.decimals.to_string(),
            display: i.display.as_str().into(),
            unit: i.unit.clone(),
            sort_order: i.sort_order.to_string(),
            version: i.version,
        }
    }

    fn identity(form: &mut IndicatorForm) -> (&mut String, &mut i32) {
        (&mut form.code, &mut form.version)
    }

    fn check(form: &IndicatorForm, code: Option<&str>, known: &Vec<String>, errors: &mut FieldErrors) -> Indicator {
        let code = new_or_existing_code(errors, code, &form.code, 48);
        let name = required(errors, "name", &form.name, "Nhập tên chỉ số.");
        let numerator = check_expression(errors, "numerator", &form.numerator, known).unwrap_or_default();
        let denominator = if form.denominator.trim().is_empty() {
            String::new()
        } else {
            check_expression(errors, "denominator", &form.denominator, known).unwrap_or_default()
        };
        let factor = parse_decimal(&form.factor).filter(|f| !f.is_zero());
        if factor.is_none() {
            errors.add("factor", "Hệ số là một số khác 0: 100 cho tỷ lệ phần trăm, 1 cho số đếm; số lẻ viết 0,5.");
        }
        let decimals = parse_integer(&form.decimals, 0, 0..=6);
        if decimals.is_none() {
            errors.add("decimals", "Số chữ số thập phân từ 0 đến 6.");
        }
        let display = choice(
            errors,
            "display",
            &form.display,
            &IndicatorDisplay::ALL,
            IndicatorDisplay::as_str,
            "Chọn cách hiển thị.",
        );
        if display == IndicatorDisplay::Ratio && form.denominator.trim().is_empty() {
            errors.add("denominator", "Cách hiển thị “tỷ số” cần mẫu số.");
        }
        Indicator {
            code,
            name,
            numerator,
            denominator,
            factor: factor.unwrap_or(Decimal::ONE),
            decimals: decimals.unwrap_or(0) as i16,
            display,
            unit: form.unit.trim().to_owned(),
            sort_order: sort_order(errors, &form.sort_order),
            version: form.version,
        }
    }

    /// The worked example is the stored indicator's, so a refused edit shows it unchanged.
    fn form_page(
        layout: Layout,
        editing: Option<Indicator>,
        form: IndicatorForm,
        errors: FieldErrors,
        _: Vec<String>,
    ) -> IndicatorFormPage {
        let example = editing.as_ref().and_then(worked_example);
        IndicatorFormPage { layout, editing, form, errors, example, displays: IndicatorDisplay::CHOICES }
    }

    async fn list_page(pool: &PgPool, layout: Layout) -> sqlx::Result<IndicatorListPage> {
        let indicators = store::indicators(pool)
            .await?
            .into_iter()
            .map(|indicator| IndicatorRow {
                factor: show_number(indicator.factor),
                display: indicator.display.short_label(),
                indicator,
            })
            .collect();
        Ok(IndicatorListPage { layout, indicators })
    }

    async fn context<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<Vec<String>> {
        store::element_codes(db).await
    }
}
