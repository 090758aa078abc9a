//! Validation rules: two expressions over data elements compared (`≤`, `=`, …), an error that
//! blocks sending a report or a warning that asks for a note. Pages under
//! `/admin/catalogue/rules`, through the shared flow of [`super::edit`].

use askama::Template;
use serde::Deserialize;
use sqlx::{PgExecutor, PgPool};

use super::Severity;
use super::ValidationRule;
use super::edit::{Entity, Paths, paths};
use super::forms::{FieldErrors, check_expression, checked, choice, new_or_existing_code, required};
use super::store::{self, OPERATORS};
use crate::directives::Comparator;
use crate::web::Layout;

pub struct Rules;

#[derive(Template)]
#[template(path = "catalogue/rules.html")]
pub struct RuleListPage {
    layout: Layout,
    rules: Vec<ValidationRule>,
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
    pub fn is_active(&self) -> bool {
        checked(&self.active)
    }
}

#[derive(Template)]
#[template(path = "catalogue/rule_form.html")]
pub struct RuleFormPage {
    layout: Layout,
    editing: Option<ValidationRule>,
    form: RuleForm,
    errors: FieldErrors,
    operators: [Comparator; 5],
    severities: [(&'static str, &'static str); 2],
}

impl Entity for Rules {
    type Record = ValidationRule;
    type Form = RuleForm;
    /// The element codes either side may name.
    type Context = Vec<String>;
    type ListPage = RuleListPage;
    type FormPage = RuleFormPage;

    const PATHS: Paths = paths!("rules", "VD_QUY_TAC");
    const NOUN: &'static str = "quy tắc kiểm tra";

    fn blank_form() -> RuleForm {
        RuleForm {
            operator: Comparator::AtMost.as_str().into(),
            severity: Severity::Error.as_str().into(),
            active: Some("1".into()),
            ..RuleForm::default()
        }
    }

    fn to_form(r: &ValidationRule) -> RuleForm {
        RuleForm {
            code: r.code.clone(),
            left_expr: r.left_expr.clone(),
            operator: r.operator.as_str().into(),
            right_expr: r.right_expr.clone(),
            message: r.message.clone(),
            severity: r.severity.as_str().into(),
            active: r.active.then(|| "1".to_owned()),
            version: r.version,
        }
    }

    fn identity(form: &mut RuleForm) -> (&mut String, &mut i32) {
        (&mut form.code, &mut form.version)
    }

    fn check(form: &RuleForm, code: Option<&str>, known: &Vec<String>, errors: &mut FieldErrors) -> ValidationRule {
        let code = new_or_existing_code(errors, code, &form.code, 64);
        let left_expr = check_expression(errors, "left_expr", &form.left_expr, known).unwrap_or_default();
        let operator = choice(errors, "operator", &form.operator, &OPERATORS, Comparator::as_str, "Chọn phép so sánh.");
        let right_expr = check_expression(errors, "right_expr", &form.right_expr, known).unwrap_or_default();
        let message = required(
            errors,
            "message",
            &form.message,
            "Nhập thông báo cho người nhập liệu, ví dụ “Số đơn đã giải quyết không được lớn hơn số đơn tiếp nhận”.",
        );
        let severity = choice(
            errors,
            "severity",
            &form.severity,
            &Severity::ALL,
            Severity::as_str,
            "Chọn mức độ: lỗi hoặc cảnh báo.",
        );
        ValidationRule {
            code,
            left_expr,
            operator,
            right_expr,
            severity,
            message,
            active: form.is_active(),
            version: form.version,
        }
    }

    fn form_page(
        layout: Layout,
        editing: Option<ValidationRule>,
        form: RuleForm,
        errors: FieldErrors,
        _: Vec<String>,
    ) -> RuleFormPage {
        RuleFormPage { layout, editing, form, errors, operators: OPERATORS, severities: Severity::CHOICES }
    }

    async fn list_page(pool: &PgPool, layout: Layout) -> sqlx::Result<RuleListPage> {
        Ok(RuleListPage { layout, rules: store::rules(pool).await? })
    }

    async fn context<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<Vec<String>> {
        store::element_codes(db).await
    }
}
